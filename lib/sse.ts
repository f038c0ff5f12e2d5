/**
 * Server-Sent Events: the WHATWG event-stream encoder and a writer over a
 * `node:http` response that keeps the connection alive through proxies and
 * cuts off readers that stop reading.
 *
 * @module
 */
import type { HttpResponse } from "./http.ts";

/** One event of a `text/event-stream`. */
export interface SseEvent {
  /** The event type; the client's default is `message`. */
  event?: string;
  /** Sets the client's last event id (sent back as `Last-Event-ID`). */
  id?: string;
  /** The payload; CR, LF and CRLF each start a new `data:` line. */
  data?: string;
  /** Reconnection delay in milliseconds. */
  retry?: number;
}

const LINE_BREAK = /\r\n|\r|\n/;
/** How long a backlog over the bound may last before the reader counts as stalled. */
const STALL_MS = 2000;
const FORBIDDEN = /[\r\n\0]/;

/**
 * Encodes one event per WHATWG HTML §9.2.
 *
 * Multi-line data becomes one `data:` line per line, so the client joins them
 * back with LF. An empty `data` is sent as `data:` (used for priming events
 * that carry only an id).
 *
 * @param event the fields to send
 * @returns the encoded event, ending in a blank line
 * @throws {TypeError} when `event` or `id` holds a CR, LF or NUL, or `retry` is not a whole number
 * @example
 * ```ts
 * encodeEvent({ event: "message", data: "a\nb" }); // "event: message\ndata: a\ndata: b\n\n"
 * ```
 */
export function encodeEvent(event: SseEvent): string {
  let out = "";
  if (event.event !== undefined) {
    if (FORBIDDEN.test(event.event)) throw new TypeError("Cannot encode SSE event: the event type contains CR, LF or NUL");
    out += `event: ${event.event}\n`;
  }
  if (event.id !== undefined) {
    if (FORBIDDEN.test(event.id)) throw new TypeError("Cannot encode SSE event: the id contains CR, LF or NUL");
    out += `id: ${event.id}\n`;
  }
  if (event.retry !== undefined) {
    if (!Number.isInteger(event.retry) || event.retry < 0) {
      throw new TypeError("Cannot encode SSE event: retry must be a non-negative integer");
    }
    out += `retry: ${event.retry}\n`;
  }
  if (event.data !== undefined) {
    if (event.data === "") out += "data:\n";
    else if (!LINE_BREAK.test(event.data)) out += `data: ${event.data}\n`;
    else for (const line of event.data.split(LINE_BREAK)) out += line === "" ? "data:\n" : `data: ${line}\n`;
  }
  return out + "\n";
}

/**
 * Encodes a comment line, which clients ignore; proxies see traffic.
 *
 * @param text the comment; line breaks are replaced by spaces
 * @returns `: text\n\n`
 */
export function encodeComment(text = ""): string {
  return `:${text === "" ? "" : " " + text.replace(/[\r\n]+/g, " ")}\n\n`;
}

/** Options of {@linkcode SseWriter}. */
export interface SseWriterOptions {
  /** Milliseconds between keep-alive comments; 0 turns them off. Default 15000. */
  keepAliveMs?: number;
  /**
   * Bytes a slow reader may leave unread: past it for 2 s without draining,
   * or past four times it at all, the reader is disconnected. Default 4 MiB.
   */
  maxQueuedBytes?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** HTTP status. Default 200. */
  status?: number;
}

/**
 * Streams events over a `HttpResponse`.
 *
 * The head is flushed at once with `Content-Type: text/event-stream`,
 * `Cache-Control: no-cache, no-transform` and `X-Accel-Buffering: no` so
 * proxies neither buffer nor transform the stream. Writes honour
 * back-pressure: bytes the socket has not taken stay in Node's buffer, and a
 * reader that lets more than `maxQueuedBytes` pile up is disconnected rather
 * than growing the server's memory.
 *
 * @example
 * ```ts
 * const sse = new SseWriter(res);
 * sse.send({ event: "endpoint", data: "/messages?sessionId=abc" });
 * sse.onClose(() => console.log("gone"));
 * ```
 */
export class SseWriter {
  #res: HttpResponse;
  #timer: ReturnType<typeof setInterval> | undefined;
  #maxQueued: number;
  #closed = false;
  #listeners: (() => void)[] = [];
  #overSince: number | undefined;

  /**
   * @param res the response to stream on; its head must not be sent yet
   * @param options keep-alive, queue bound and extra headers
   */
  constructor(res: HttpResponse, options: SseWriterOptions = {}) {
    this.#res = res;
    this.#maxQueued = options.maxQueuedBytes ?? 4 * 1024 * 1024;
    res.writeHead(options.status ?? 200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
      ...options.headers,
    });
    res.flushHeaders();
    res.on("close", () => this.#finish());
    res.on("drain", () => (this.#overSince = undefined));
    const keepAlive = options.keepAliveMs ?? 15_000;
    if (keepAlive > 0) {
      this.#timer = setInterval(() => this.#write(encodeComment()), keepAlive);
      this.#timer.unref?.();
    }
  }

  /** Whether the stream has ended, by either side. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one event.
   *
   * @returns false when the stream is closed or the reader was cut off
   */
  send(event: SseEvent): boolean {
    return this.#write(encodeEvent(event));
  }

  /** Sends a comment line. */
  comment(text?: string): boolean {
    return this.#write(encodeComment(text));
  }

  /** Runs `listener` once when the stream ends, at once if it already has. */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#listeners.push(listener);
  }

  /** Ends the stream; pending bytes are flushed first. */
  close(): void {
    if (this.#closed) return;
    this.#res.end();
    this.#finish();
  }

  #write(chunk: string): boolean {
    if (this.#closed) return false;
    // Judge the reader by what it left unread before this write, so one event
    // larger than the bound still reaches a reader that keeps up. A backlog
    // over the bound is forgiven for a moment (a burst, or a runtime that
    // counts bytes it has not flushed yet), never past four times the bound.
    const queued = this.#res.writableLength;
    if (queued > this.#maxQueued) {
      const now = Date.now();
      this.#overSince ??= now;
      if (queued > this.#maxQueued * 4 || now - this.#overSince > STALL_MS) {
        // The reader stopped reading; holding more would let one client grow our memory.
        this.#res.destroy();
        this.#finish();
        return false;
      }
    } else this.#overSince = undefined;
    this.#res.write(chunk);
    return true;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }
}
