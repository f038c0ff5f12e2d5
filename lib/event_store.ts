/**
 * Where Streamable HTTP keeps the events it sent, so a client that lost its
 * connection can resume with `Last-Event-ID` (2025-03-26 §Resumability).
 *
 * Event ids encode their stream (`<stream>_<seq>`), as 2025-11-25 asks, and
 * lookups are always scoped to one session: a client can never replay
 * another session's events, whatever id it sends.
 *
 * @module
 */

/** One stored event. */
export interface StoredEvent {
  id: string;
  data: string;
}

/** What a resumed stream replays: its id, and the events after the client's last one. */
export interface Replay {
  streamId: string;
  events: StoredEvent[];
}

/** Storage for resumable SSE streams; implement it to keep events elsewhere. */
export interface EventStore {
  /**
   * Stores one event of a stream.
   *
   * @returns the event's id, unique within the session
   */
  append(sessionId: string, streamId: string, data: string): string;
  /**
   * The events of the same stream after `lastEventId`, now or as a promise
   * (a store kept elsewhere answers asynchronously).
   *
   * @returns undefined when the id is not one this session's streams issued
   */
  after(sessionId: string, lastEventId: string): Replay | undefined | Promise<Replay | undefined>;
  /** Forgets everything of a session. */
  drop(sessionId: string): void;
}

/** Splits `<stream>_<seq>`; undefined when malformed. */
export function parseEventId(id: string): { streamId: string; seq: number } | undefined {
  const at = id.lastIndexOf("_");
  if (at <= 0) return undefined;
  const seq = Number(id.slice(at + 1));
  return Number.isSafeInteger(seq) && seq >= 0 ? { streamId: id.slice(0, at), seq } : undefined;
}

interface Log {
  next: number;
  events: StoredEvent[];
}

/**
 * The default store: in memory, bounded per stream, so a stream that keeps
 * talking to a client that never returns cannot grow without limit. Events
 * older than the bound are forgotten; a resume then replays what is left.
 *
 * @example
 * ```ts
 * const store = new MemoryEventStore({ maxEventsPerStream: 50 });
 * ```
 */
export class MemoryEventStore implements EventStore {
  #sessions = new Map<string, Map<string, Log>>();
  #max: number;

  /** @param options `maxEventsPerStream` (default 100) */
  constructor(options: { maxEventsPerStream?: number } = {}) {
    this.#max = options.maxEventsPerStream ?? 100;
  }

  append(sessionId: string, streamId: string, data: string): string {
    let streams = this.#sessions.get(sessionId);
    if (!streams) this.#sessions.set(sessionId, streams = new Map());
    let log = streams.get(streamId);
    if (!log) streams.set(streamId, log = { next: 0, events: [] });
    const id = `${streamId}_${log.next++}`;
    log.events.push({ id, data });
    if (log.events.length > this.#max) log.events.shift();
    return id;
  }

  after(sessionId: string, lastEventId: string): Replay | undefined {
    const parsed = parseEventId(lastEventId);
    const log = parsed && this.#sessions.get(sessionId)?.get(parsed.streamId);
    if (!parsed || !log || parsed.seq >= log.next) return undefined;
    const first = log.next - log.events.length;
    return { streamId: parsed.streamId, events: log.events.slice(Math.max(0, parsed.seq + 1 - first)) };
  }

  drop(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }
}
