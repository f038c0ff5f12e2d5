/**
 * Streamable HTTP (2025-03-26 … 2025-11-25): one endpoint, `POST` for every
 * client message, an optional `GET` stream for messages unrelated to a
 * request, `DELETE` to end a session, and resumable SSE streams.
 *
 * A request is answered with `application/json` unless something must be
 * sent before its result (progress, logs, a request to the client): the
 * reply then switches to `text/event-stream` at that first message.
 *
 * @module
 */
import { dispatchNotification, dispatchRequest } from "../dispatcher.ts";
import { principalKey } from "../auth.ts";
import { ErrorCode, httpError, JsonRpcError } from "../errors.ts";
import { parseEventId } from "../event_store.ts";
import type { EventStore, StoredEvent } from "../event_store.ts";
import { accepted, isJsonContentType, parseAccept, readBody, sendError, sendJson } from "../http.ts";
import type { Accepts, HttpRequest, HttpResponse } from "../http.ts";
import { classify, failure, parseJson } from "../jsonrpc.ts";
import type { Classified } from "../jsonrpc.ts";
import { DEFAULT_HTTP_VERSION, Session } from "../session.ts";
import type { SessionWatcher } from "../session.ts";
import { SseWriter } from "../sse.ts";
import { Reply, Stream } from "./reply.ts";
import type { StreamTable } from "./reply.ts";
import type { JsonRpcRequest, JsonRpcResponse } from "../types.ts";
import { isLegacyVersion } from "../versions.ts";
import { claimsModern, isModernHeader, requestSession, serveModern, unsupportedVersion, validateModern } from "../modern.ts";
import type { ModernHost } from "../modern.ts";
import type { JsonObject } from "../types.ts";

/** Options of {@linkcode StreamableHttpTransport}. */
export interface StreamableOptions {
  /** No sessions: every POST stands alone; GET and DELETE are refused (405). */
  stateless?: boolean;
  /** Where sent events are kept for resumption; undefined turns resumption off. */
  eventStore?: EventStore;
  /** Which protocol eras to serve: both (default), only 2026-07-28, or only the session eras. */
  eras?: "all" | "modern" | "legacy";
  /** Serves a GET without a session id, from an HTTP+SSE client given this URL. */
  legacyGet?: (req: HttpRequest, res: HttpResponse, principal: unknown) => void;
}

/** A session found or opened for a request; `claimed` settles once a new one is known to the whole cluster. */
interface Opened {
  session: Session;
  entry: Entry | undefined;
  claimed?: Promise<void>;
}

/** A stateful session and its live streams. */
interface Entry extends StreamTable {
  session: Session;
}

/**
 * Serves the Streamable HTTP endpoint.
 *
 * @example
 * ```ts
 * const streamable = new StreamableHttpTransport(host, { eventStore: new MemoryEventStore() });
 * // POST /mcp → streamable.post(req, res); GET → get; DELETE → delete
 * ```
 */
export class StreamableHttpTransport {
  /** The server. */
  readonly host: ModernHost;
  /** The event store, when resumption is on. */
  readonly store: EventStore | undefined;
  #options: StreamableOptions;
  #sessions = new Map<string, Entry>();
  #retryMs: number | undefined;
  // One watcher for every session: an idle session holds no closure of its own.
  #watcher: SessionWatcher = {
    sessionClosed: (session) => {
      const entry = this.#sessions.get(session.id);
      this.#sessions.delete(session.id);
      if (entry?.streams) for (const stream of entry.streams.values()) stream.close(this.#retryMs);
      this.store?.drop(session.id);
    },
  };

  /**
   * @param host the server
   * @param options stateless mode, event store, legacy GET
   */
  constructor(host: ModernHost, options: StreamableOptions = {}) {
    this.host = host;
    this.store = options.eventStore;
    this.#options = options;
  }

  /** Whether the transport keeps no sessions. */
  get stateless(): boolean {
    return this.#options.stateless === true;
  }

  /** The ids of the sessions this instance holds. */
  ids(): IterableIterator<string> {
    return this.#sessions.keys();
  }

  /** Whether this instance holds session `id`. */
  has(id: string): boolean {
    return this.#sessions.has(id);
  }

  /** Number of open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Handles `POST`: one message, or a batch from a 2025-03-26 client. */
  async post(req: HttpRequest, res: HttpResponse, principal?: unknown): Promise<void> {
    try {
      const accept = parseAccept(req.headers.accept);
      if (!accept.json && !accept.sse) {
        throw httpError(406, ErrorCode.InvalidRequest, "Not acceptable: accept application/json or text/event-stream");
      }
      if (!isJsonContentType(req.headers["content-type"])) {
        throw httpError(415, ErrorCode.InvalidRequest, "Unsupported media type: the body must be application/json");
      }
      const value = parseJson(await readBody(req, this.host.maxBodyBytes));
      const batch = Array.isArray(value);
      if (batch && value.length === 0) throw httpError(400, ErrorCode.InvalidRequest, "Invalid request: an empty batch");
      const messages = batch ? value.map(classify) : [classify(value)];
      if (this.#era(req, res, accept, value, messages, principal)) return;
      const init = messages.find((m) => m.kind === "request" && m.message.method === "initialize");
      if (init && batch) throw httpError(400, ErrorCode.InvalidRequest, "Invalid request: initialize must not be batched");
      if (!batch && messages[0]!.kind === "invalid") {
        const { id, error } = messages[0] as Extract<Classified, { kind: "invalid" }>;
        sendJson(res, 400, failure(id, error));
        return;
      }
      const { session, entry, claimed }: Opened = init ? this.#open(res, principal) : this.#find(req, principal);
      if (batch && !this.#batchAllowed(req, session)) {
        throw httpError(400, ErrorCode.InvalidRequest, "Invalid request: batches are only accepted from 2025-03-26 clients");
      }
      // In a cluster, the client learns its session id once every instance can find it.
      if (claimed) await claimed;
      this.#serve(req, res, accept, session, entry, messages, batch);
    } catch (error) {
      if (error instanceof JsonRpcError) sendJson(res, 400, failure(null, error));
      else sendError(res, error);
    }
  }

  /**
   * Routes the eras on one endpoint (2026-07-28 §transports): a body whose
   * `_meta` names a protocol version is served statelessly by the 2026-07-28
   * rules; anything else is the session era. Answers what it handles.
   *
   * @returns true when the request was answered here
   */
  #era(
    req: HttpRequest,
    res: HttpResponse,
    accept: Accepts,
    value: unknown,
    messages: Classified[],
    principal: unknown,
  ): boolean {
    const eras = this.#options.eras ?? "all";
    const header = req.headers["mcp-protocol-version"];
    if (Array.isArray(value)) {
      if (eras !== "legacy" && value.some(claimsModern)) {
        throw httpError(400, ErrorCode.InvalidRequest, "Invalid request: 2026-07-28 requests cannot be batched");
      }
      return false;
    }
    const message = messages[0]!;
    if (claimsModern(value)) {
      if (eras === "legacy") {
        const requested = ((value as JsonObject).params as JsonObject)._meta as JsonObject;
        return refuse(res, message, 400, unsupportedVersion(requested["io.modelcontextprotocol/protocolVersion"], true));
      }
      if (message.kind === "invalid") return refuse(res, message, 400, message.error);
      if (message.kind === "notification") return (accepted(res), true);
      if (message.kind === "response") {
        return refuse(res, message, 400, new JsonRpcError(ErrorCode.InvalidRequest, "Invalid request: 2026-07-28 has no server requests to answer"));
      }
      let validated;
      try {
        validated = validateModern(this.host, req.headers, message.message);
      } catch (error) {
        if (!(error instanceof JsonRpcError)) throw error;
        return refuse(res, message, error.code === ErrorCode.MethodNotFound ? 404 : 400, error);
      }
      const session = requestSession(validated.envelope, message.message.params ?? {}, principal);
      void serveModern(this.host, req, res, accept, message.message, validated.handler, session);
      return true;
    }
    if (eras === "legacy") return false;
    if (isModernHeader(header)) {
      // [SDK] an initialize under a 2026-07-28 header: the header and the body disagree.
      return message.kind === "request" && message.message.method === "initialize"
        ? refuse(res, message, 400, new JsonRpcError(ErrorCode.HeaderMismatch, "Header mismatch: initialize belongs to the session era, not 2026-07-28"))
        : refuse(res, message, 400, new JsonRpcError(ErrorCode.InvalidParams, "Invalid params: a 2026-07-28 request needs its _meta envelope"));
    }
    if (eras === "modern") {
      if (message.kind === "request" && message.message.method === "initialize") {
        // A 2026-07-28-only server names what it speaks, so the client can pick (2026-07-28 §transports).
        return refuse(res, message, 400, unsupportedVersion(message.message.params?.protocolVersion));
      }
      return refuse(res, message, 400, new JsonRpcError(ErrorCode.InvalidParams, "Invalid params: this server speaks 2026-07-28 only; send the _meta envelope"));
    }
    return false;
  }

  #serve(
    req: HttpRequest,
    res: HttpResponse,
    accept: Accepts,
    session: Session,
    entry: Entry | undefined,
    messages: Classified[],
    batch: boolean,
  ): void {
    const requests: JsonRpcRequest[] = [];
    const errors: JsonRpcResponse[] = [];
    for (const m of messages) {
      if (m.kind === "request") requests.push(m.message);
      else if (m.kind === "notification") dispatchNotification(session, m.message, this.host);
      else if (m.kind === "response") session.receive(m.message);
      else errors.push(failure(m.id, m.error));
    }
    if (requests.length === 0 && errors.length === 0) {
      accepted(res);
      return;
    }
    if (!entry) {
      // A stateless request is a session of one POST: counted, and closed (aborting its calls) with the server.
      this.host.track(session);
      res.once("close", () => session.close());
    }
    const reply = new Reply({
      res,
      headers: req.headers,
      accept,
      session,
      streamOptions: this.host.streamOptions,
      table: entry,
      expected: requests.length + errors.length,
      batch,
    });
    for (const error of errors) reply.answer(error);
    for (const request of requests) {
      void dispatchRequest(this.host, session, request, reply).then((response) => reply.answer(response));
    }
  }

  /** Handles `GET`: the standalone stream, a resumed stream, or a legacy client. */
  async get(req: HttpRequest, res: HttpResponse, principal?: unknown): Promise<void> {
    try {
      if (!parseAccept(req.headers.accept).sse) {
        throw httpError(406, ErrorCode.InvalidRequest, "Not acceptable: the GET stream is text/event-stream");
      }
      if (req.headers["mcp-session-id"] === undefined && this.#options.legacyGet) {
        // A 2024-11-05 client given this URL: the backwards-compatible layout of 2025-03-26.
        this.#options.legacyGet(req, res, principal);
        return;
      }
      const { session, entry } = this.#find(req, principal);
      const header = req.headers["last-event-id"];
      const lastEventId = typeof header === "string" ? header : undefined;
      const found = lastEventId !== undefined && this.store ? this.store.after(session.id, lastEventId) : undefined;
      // The stream as it is now: one that ends while an asynchronous store answers still knows its last event.
      const live = found instanceof Promise ? entry!.streams?.get(parseEventId(lastEventId!)?.streamId ?? "") : undefined;
      const replay = found instanceof Promise ? await found.catch(storeUnavailable) : found;
      const conn = new SseWriter(res, this.host.streamOptions);
      session.holdOpen(conn);
      if (replay) {
        // Replay only that stream of this session, never another's (2025-03-26 §Resumability).
        let last = replayOn(conn, replay.events) ?? lastEventId!;
        // What the stream sent while the store answered is not in its answer: catch up, then go live in the same turn.
        for (let i = 0; live && live.lastId !== last && i < 10; i++) {
          const more = await Promise.resolve(this.store!.after(session.id, last)).catch(storeUnavailable);
          if (!more) break;
          last = replayOn(conn, more.events) ?? last;
        }
        const open = entry!.streams?.get(replay.streamId);
        if (open && !conn.closed) open.attach(conn);
        else conn.close();
        return;
      }
      let standalone = entry!.streams?.get("standalone");
      if (!standalone) {
        standalone = new Stream("standalone", session, this.store);
        (entry!.streams ??= new Map()).set("standalone", standalone);
        const stream = standalone;
        session.setChannel((message) => stream.write(message));
      }
      // A newer GET replaces an older one, so each message goes to exactly one stream.
      standalone.attach(conn);
    } catch (error) {
      sendError(res, error);
    }
  }

  /** Handles `DELETE`: ends the session, its streams and its calls. */
  delete(req: HttpRequest, res: HttpResponse, principal?: unknown): void {
    try {
      const { session } = this.#find(req, principal);
      session.close();
      res.writeHead(200).end();
    } catch (error) {
      sendError(res, error);
    }
  }

  /** Ends every session, its streams told when to come back when `retryMs` is given. */
  closeAll(retryMs?: number): void {
    this.#retryMs = retryMs;
    for (const { session } of this.#sessions.values()) session.close();
    this.#retryMs = undefined;
  }

  #open(res: HttpResponse, principal: unknown): Opened {
    if (this.stateless) return { session: this.#ephemeral(principal), entry: undefined };
    this.host.admit();
    // An initialize always starts a new session, even one carrying a stale id.
    const id = crypto.randomUUID();
    const session = new Session(id);
    session.auth = principal;
    session.authKey = principalKey(principal);
    const entry: Entry = { session, streams: undefined, nextStream: 1, store: this.store };
    this.#sessions.set(id, entry);
    const claimed = this.host.track(session, true);
    session.onClose(this.#watcher);
    res.setHeader("mcp-session-id", id);
    return { session, entry, claimed };
  }

  #find(req: HttpRequest, principal: unknown): { session: Session; entry: Entry | undefined } {
    const header = req.headers["mcp-protocol-version"];
    if (typeof header === "string" && !isLegacyVersion(header)) {
      // 2025-06-18 §Protocol Version Header: an unsupported version is a 400.
      throw httpError(400, ErrorCode.InvalidRequest, `Bad request: unsupported MCP-Protocol-Version ${JSON.stringify(header)}`);
    }
    if (this.stateless) {
      const session = this.#ephemeral(principal);
      session.initialized = true;
      session.protocolVersion = typeof header === "string" ? header : DEFAULT_HTTP_VERSION;
      return { session, entry: undefined };
    }
    const id = req.headers["mcp-session-id"];
    if (typeof id !== "string" || id === "") {
      throw httpError(400, ErrorCode.InvalidRequest, "Bad request: the Mcp-Session-Id header is missing; send initialize first");
    }
    const entry = this.#sessions.get(id);
    // Unknown, expired or deleted: 404 tells the client to initialize again (2025-03-26 §Session Management).
    // So does another principal's id: sessions are bound to whoever opened them.
    if (!entry || entry.session.authKey !== principalKey(principal)) {
      throw httpError(404, ErrorCode.InvalidRequest, "Session not found: it has ended or never existed");
    }
    entry.session.lastActive = Date.now();
    return { session: entry.session, entry };
  }

  #ephemeral(principal: unknown): Session {
    const session = new Session("");
    session.auth = principal;
    return session;
  }

  #batchAllowed(req: HttpRequest, session: Session): boolean {
    const header = req.headers["mcp-protocol-version"];
    const version = this.stateless ? (typeof header === "string" ? header : DEFAULT_HTTP_VERSION) : session.protocolVersion;
    return version === "2025-03-26";
  }
}

/** Answers `message` with an error; true, for `#era` to return. */
function refuse(res: HttpResponse, message: Classified, status: number, error: JsonRpcError): true {
  const id = message.kind === "invalid" ? message.id : "id" in message.message ? message.message.id ?? null : null;
  sendJson(res, status, failure(id, error));
  return true;
}

/** Sends stored events (priming events carry no message, so they are skipped); returns the last id. */
function replayOn(conn: SseWriter, events: StoredEvent[]): string | undefined {
  for (const event of events) if (event.data !== "") conn.send({ id: event.id, data: event.data });
  return events.at(-1)?.id;
}

function storeUnavailable(): never {
  throw httpError(503, ErrorCode.InvalidRequest, "Service unavailable: the event store cannot be reached, try again", { "retry-after": "1" });
}
