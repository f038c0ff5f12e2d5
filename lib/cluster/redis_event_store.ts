/**
 * An {@linkcode EventStore} in Redis: each resumable stream's events are a
 * list (`RPUSH`, trimmed to a bound, expiring with `PEXPIRE`), so they live
 * outside the process's memory and vanish on their own when a session is
 * abandoned. Event ids are numbered here, by the instance that owns the
 * session — the only one that ever appends to or replays its streams (in a
 * cluster, requests reach a session's owner), so ids stay in order without
 * a round trip per event.
 *
 * @module
 */
import { parseEventId } from "../event_store.ts";
import type { EventStore, Replay } from "../event_store.ts";
import type { RedisCommands } from "./redis.ts";

/** Options of {@linkcode RedisEventStore}. */
export interface RedisEventStoreOptions {
  /** A connected client for commands (node-redis: `sendCommand`). */
  client: RedisCommands;
  /** Prefix of every key. Default `emcee`. */
  prefix?: string;
  /** Events kept per stream; older ones are trimmed. Default 100. */
  maxEventsPerStream?: number;
  /** Milliseconds a stream's events outlive its last event. Default 30 minutes. */
  ttlMs?: number;
  /** Told when a write fails (the event then cannot be replayed); once per outage. Default `console.error`. */
  onError?: (error: unknown) => void;
}

/**
 * Keeps resumable events in Redis.
 *
 * @example
 * ```ts ignore
 * createServer({ name: "demo", version: "1.0.0", eventStore: new RedisEventStore({ client }) });
 * ```
 */
export class RedisEventStore implements EventStore {
  #client: RedisCommands;
  #prefix: string;
  #max: string;
  #ttl: string;
  #onError: (error: unknown) => void;
  #failing = false;
  /** Per session, per stream: the next event number. */
  #next = new Map<string, Map<string, number>>();

  /** @param options the client, key prefix, bound and time to live */
  constructor(options: RedisEventStoreOptions) {
    if (typeof options?.client?.sendCommand !== "function") {
      throw new TypeError("Cannot create RedisEventStore: pass a client with sendCommand()");
    }
    const max = options.maxEventsPerStream ?? 100;
    const ttl = options.ttlMs ?? 30 * 60_000;
    for (const [name, value] of [["maxEventsPerStream", max], ["ttlMs", ttl]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`Cannot create RedisEventStore: ${name} must be an integer >= 1, not ${value}`);
    }
    this.#client = options.client;
    this.#prefix = options.prefix ?? "emcee";
    this.#max = String(-max);
    this.#ttl = String(ttl);
    this.#onError = options.onError ?? ((error) => console.error("emcee: RedisEventStore cannot write:", error));
  }

  append(sessionId: string, streamId: string, data: string): string {
    let streams = this.#next.get(sessionId);
    if (!streams) this.#next.set(sessionId, streams = new Map());
    const seq = streams.get(streamId) ?? 0;
    streams.set(streamId, seq + 1);
    const key = this.#key(sessionId, streamId);
    // Sent in order on one connection (and pipelined by clients that do), without waiting.
    Promise.all([
      this.#client.sendCommand(["RPUSH", key, `${seq}\n${data}`]),
      this.#client.sendCommand(["LTRIM", key, this.#max, "-1"]),
      this.#client.sendCommand(["PEXPIRE", key, this.#ttl]),
    ]).then(() => (this.#failing = false), (error) => {
      if (!this.#failing) this.#onError(error);
      this.#failing = true;
    });
    return `${streamId}_${seq}`;
  }

  async after(sessionId: string, lastEventId: string): Promise<Replay | undefined> {
    const parsed = parseEventId(lastEventId);
    const next = parsed && this.#next.get(sessionId)?.get(parsed.streamId);
    // Only ids this session's streams issued: another session's, or a made-up one, replays nothing.
    if (!parsed || next === undefined || parsed.seq >= next) return undefined;
    const entries = await this.#client.sendCommand(["LRANGE", this.#key(sessionId, parsed.streamId), "0", "-1"]);
    const events = [];
    for (const entry of Array.isArray(entries) ? entries : []) {
      const text = String(entry);
      const cut = text.indexOf("\n");
      const seq = Number(text.slice(0, cut));
      if (seq > parsed.seq) events.push({ id: `${parsed.streamId}_${seq}`, data: text.slice(cut + 1) });
    }
    return { streamId: parsed.streamId, events };
  }

  drop(sessionId: string): void {
    const streams = this.#next.get(sessionId);
    this.#next.delete(sessionId);
    if (!streams || streams.size === 0) return;
    const keys = [...streams.keys()].map((stream) => this.#key(sessionId, stream));
    this.#client.sendCommand(["DEL", ...keys]).catch(() => {}); // they expire anyway
  }

  #key(sessionId: string, streamId: string): string {
    return `${this.#prefix}:events:${sessionId}:${streamId}`;
  }
}
