/**
 * The HTTP+SSE transport of protocol 2024-11-05: `GET /sse` opens a stream
 * whose first event names the endpoint; the client POSTs every message to
 * `/messages?sessionId=…` and every server message travels back on the
 * stream. Deprecated by 2025-03-26, but most deployed clients still speak it.
 *
 * @module
 */
import { dispatchNotification, dispatchRequest } from "../dispatcher.ts";
import type { Host } from "../core.ts";
import { principalKey } from "../auth.ts";
import { ErrorCode, httpError, JsonRpcError } from "../errors.ts";
import { accepted, isJsonContentType, readBody, sendError, sendJson } from "../http.ts";
import { classify, failure, parseJson, serialize } from "../jsonrpc.ts";
import { Session } from "../session.ts";
import type { Channel, Headers } from "../session.ts";
import { SseWriter } from "../sse.ts";
import type { JsonRpcMessage } from "../types.ts";
import type { HttpRequest, HttpResponse } from "../http.ts";

/**
 * Serves `GET {base}/sse` and `POST {base}/messages`.
 *
 * @example
 * ```ts
 * const legacy = new LegacySseTransport(host, "/tools");
 * // GET /tools/sse      → legacy.open(req, res)
 * // POST /tools/messages?sessionId=… → legacy.post(req, res, sessionId)
 * ```
 */
export class LegacySseTransport {
  #host: Host;
  #endpoint: string;
  #sessions = new Map<string, Session>();
  #retryMs: number | undefined;

  /**
   * @param host the server
   * @param basePath the mount prefix, e.g. `/tools` (empty for none)
   */
  constructor(host: Host, basePath: string) {
    this.#host = host;
    this.#endpoint = `${basePath}/messages?sessionId=`;
  }

  /** The ids of the sessions this instance holds. */
  ids(): IterableIterator<string> {
    return this.#sessions.keys();
  }

  /** Whether this instance holds session `id`. */
  has(id: string): boolean {
    return this.#sessions.has(id);
  }

  /** Number of open streams. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Opens a session's stream. The first event is `endpoint`, whose data is
   * the path to POST to; it is path-absolute, so it holds under any origin.
   */
  open(_req: HttpRequest, res: HttpResponse, principal?: unknown): void {
    try {
      this.#host.admit();
    } catch (error) {
      sendError(res, error);
      return;
    }
    const id = crypto.randomUUID();
    const stream = new SseWriter(res, this.#host.streamOptions);
    const send = (message: JsonRpcMessage) => {
      stream.send({ event: "message", data: serialize(message) });
    };
    const session = new Session(id, send);
    session.auth = principal;
    session.authKey = principalKey(principal);
    session.holdOpen(stream);
    this.#sessions.set(id, session);
    const claimed = this.#host.track(session, true);
    stream.onClose(() => {
      this.#sessions.delete(id);
      session.close();
    });
    session.onClose(() => {
      // On shutdown, tell the client when to come back (to this or another instance).
      if (this.#retryMs !== undefined) stream.send({ retry: this.#retryMs });
      stream.close();
    });
    const endpoint = { event: "endpoint", data: this.#endpoint + id };
    // In a cluster, the client learns its session once every instance can find it.
    if (claimed) void claimed.then(() => stream.send(endpoint));
    else stream.send(endpoint);
  }

  /**
   * Accepts one message for a session: 202 at once, the reply on the stream.
   * Every refusal carries a JSON-RPC error with `"id": null`.
   *
   * @param id the `sessionId` query parameter, absent when the URL has none
   */
  async post(req: HttpRequest, res: HttpResponse, id: string | null | undefined, principal?: unknown): Promise<void> {
    try {
      if (!id) throw httpError(400, ErrorCode.InvalidRequest, "Bad request: the sessionId query parameter is missing");
      const session = this.#sessions.get(id);
      // Another principal presenting this id learns nothing: the same 404 as for no session at all.
      if (!session || session.authKey !== principalKey(principal)) {
        throw httpError(404, ErrorCode.InvalidRequest, "Session not found: it has ended or never existed");
      }
      session.lastActive = Date.now();
      if (!isJsonContentType(req.headers["content-type"])) {
        throw httpError(415, ErrorCode.InvalidRequest, "Unsupported media type: the body must be application/json");
      }
      const value = parseJson(await readBody(req, this.#host.maxBodyBytes));
      const message = classify(value);
      if (message.kind === "invalid") {
        sendJson(res, 400, failure(message.id, message.error));
        return;
      }
      accepted(res);
      if (message.kind === "response") session.receive(message.message);
      else if (message.kind === "notification") {
        dispatchNotification(session, message.message, this.#host);
      } else {
        const response = await dispatchRequest(this.#host, session, message.message, new StreamChannel(session, req.headers));
        if (response) session.send(response);
      }
    } catch (error) {
      // A JsonRpcError here can only be parseJson's -32700: the body was not JSON.
      if (error instanceof JsonRpcError) sendJson(res, 400, failure(null, error));
      else sendError(res, error);
    }
  }

  /** Ends every session and its stream, with a `retry:` hint when given. */
  closeAll(retryMs?: number): void {
    this.#retryMs = retryMs;
    for (const session of this.#sessions.values()) session.close();
    this.#retryMs = undefined;
  }
}

/** An HTTP+SSE request's channel: everything related to it goes on the session's stream. */
class StreamChannel implements Channel {
  readonly #session: Session;
  readonly headers: Headers;

  constructor(session: Session, headers: Headers) {
    this.#session = session;
    this.headers = headers;
  }

  send(message: JsonRpcMessage): void {
    this.#session.send(message);
  }
}
