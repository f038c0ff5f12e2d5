/**
 * The two halves of answering over Streamable HTTP: a logical SSE stream
 * that can outlive its connection ({@linkcode Stream}), and the reply to one
 * POST, which starts as JSON and becomes a stream only when something must
 * be sent before the result ({@linkcode Reply}).
 *
 * @module
 */
import type { EventStore } from "../event_store.ts";
import { byteLength } from "../http.ts";
import type { Accepts, HttpResponse } from "../http.ts";
import { serialize } from "../jsonrpc.ts";
import type { Channel, Headers, Session } from "../session.ts";
import { SseWriter } from "../sse.ts";
import type { SseWriterOptions } from "../sse.ts";
import type { JsonRpcMessage, JsonRpcResponse } from "../types.ts";
import { atLeast } from "../versions.ts";

/**
 * One logical SSE stream of a session: a POST's reply or the GET stream.
 * With an event store it outlives its HTTP connection, so a client can
 * reconnect with `Last-Event-ID` and get what it missed.
 */
export class Stream {
  readonly id: string;
  #session: Session;
  #store: EventStore | undefined;
  #conn: SseWriter | undefined;
  #lastId: string | undefined;

  /**
   * @param id unique within the session
   * @param session the owner
   * @param store where events are kept; undefined for a stream that cannot resume (no ids)
   */
  constructor(id: string, session: Session, store: EventStore | undefined) {
    this.id = id;
    this.#session = session;
    this.#store = store;
  }

  /** Whether the client can resume this stream. */
  get resumable(): boolean {
    return this.#store !== undefined;
  }

  write(message: JsonRpcMessage): void {
    this.#event(serialize(message));
  }

  /** Sends an event with an id and empty data (2025-11-25 priming): it carries a resume point, no message. */
  prime(): void {
    this.#event("");
  }

  attach(conn: SseWriter): void {
    if (this.#conn !== conn) this.#conn?.close();
    this.#conn = conn;
    conn.onClose(() => {
      if (this.#conn === conn) this.#conn = undefined;
    });
  }

  /** Ends the connection but not the stream, asking the client to come back in `retryMs`. */
  release(retryMs: number): void {
    if (!this.resumable || !this.#conn) return;
    this.#conn.send({ retry: retryMs });
    this.#conn.close();
  }

  /** Ends the stream and its connection, first telling the client when to come back if `retryMs` is given. */
  close(retryMs?: number): void {
    if (retryMs !== undefined) this.#conn?.send({ retry: retryMs });
    this.#conn?.close();
    this.#conn = undefined;
  }

  /** The id of the last event sent, when resumable. */
  get lastId(): string | undefined {
    return this.#lastId;
  }

  #event(data: string): void {
    const id = this.#store?.append(this.#session.id, this.id, data);
    this.#lastId = id;
    this.#conn?.send({ id, data });
  }
}

/** Where a session keeps its live streams, for resumption. */
export interface StreamTable {
  /** Made with the session's first stream: many sessions never open one. */
  streams: Map<string, Stream> | undefined;
  nextStream: number;
  store: EventStore | undefined;
}

/** What a {@linkcode Reply} needs to know. */
export interface ReplyInit {
  res: HttpResponse;
  /** The POST's request headers. */
  headers: Headers;
  accept: Accepts;
  session: Session;
  streamOptions: SseWriterOptions;
  /** The session's stream table; undefined when the reply cannot be resumed (stateless, 2026-07-28). */
  table: StreamTable | undefined;
  /** How many responses to wait for. */
  expected: number;
  /** Whether to answer a JSON array. */
  batch: boolean;
  /** The HTTP status of a JSON reply. Default 200. */
  status?: (responses: JsonRpcResponse[]) => number;
}

/**
 * The reply to one POST that holds requests: JSON until a related message
 * needs a stream, then SSE. It is also the channel of the POST's requests.
 */
export class Reply implements Channel {
  #init: ReplyInit;
  #pending: number;
  #collected: JsonRpcResponse[] = [];
  #stream: Stream | undefined;

  constructor(init: ReplyInit) {
    this.#init = init;
    this.#pending = init.expected;
    // A client that takes only SSE gets a stream at once: it may be waiting on it for progress.
    if (!init.accept.json) this.#openStream();
  }

  /** Whether the reply has become a stream. */
  get streaming(): boolean {
    return this.#stream !== undefined;
  }

  /** The POST's headers, for its requests' contexts. */
  get headers(): Headers {
    return this.#init.headers;
  }

  /** Sends a message related to a request of this POST: on the reply's stream, opened for it if need be. */
  send(message: JsonRpcMessage): void {
    if (this.#openStream()) this.#stream!.write(message);
    else this.#init.session.send(message); // a JSON-only client: the GET stream, if it keeps one
  }

  /** Ends the reply's connection while its stream lives on (2025-11-25 SSE polling). */
  closeSseStream(retryMs: number): void {
    const { table, session } = this.#init;
    // SSE polling is a 2025-11-25 feature: older clients cannot resume a stream they never got an id on.
    if (table?.store && atLeast(session.protocolVersion, "2025-11-25") && this.#openStream()) {
      this.#stream!.release(retryMs);
    }
  }

  /** Takes one request's response (undefined when it was cancelled). */
  answer(response: JsonRpcResponse | undefined): void {
    if (response) {
      if (this.#stream) this.#stream.write(response);
      else this.#collected.push(response);
    }
    if (--this.#pending > 0) return;
    const { res, table, batch, status } = this.#init;
    if (this.#stream) {
      // The spec asks the server to close the stream once every response is sent.
      this.#stream.close();
      table?.streams?.delete(this.#stream.id);
    } else if (res.writableEnded || res.destroyed) {
      return;
    } else if (this.#collected.length === 0) {
      // Every request was cancelled (or its session ended): nothing to answer, and 202 is only for bodies without requests.
      res.writeHead(204).end();
    } else {
      const body = batch ? `[${this.#collected.map(serialize).join(",")}]` : serialize(this.#collected[0]!);
      res.writeHead(status?.(this.#collected) ?? 200, {
        "content-type": "application/json",
        "content-length": byteLength(body),
      });
      res.end(body);
    }
  }

  #openStream(): boolean {
    if (this.#stream) return true;
    const { res, accept, session, table, streamOptions } = this.#init;
    if (!accept.sse || res.headersSent) return false;
    const id = table ? String(table.nextStream++) : "0";
    const stream = new Stream(id, session, table?.store);
    if (table) (table.streams ??= new Map()).set(id, stream);
    const conn = new SseWriter(res, streamOptions);
    session.holdOpen(conn);
    stream.attach(conn);
    this.#stream = stream;
    // Priming lets a 2025-11-25 client resume even before the first message;
    // older clients parse every data line as JSON, so they never get one.
    if (stream.resumable && atLeast(session.protocolVersion, "2025-11-25")) stream.prime();
    // A batch may have answered some requests before another turned the reply into a stream.
    for (const response of this.#collected.splice(0)) stream.write(response);
    return true;
  }
}
