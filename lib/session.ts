/**
 * One client's protocol state: what it negotiated, what it is running, and
 * the requests the server has sent it. Transports own sessions and give each
 * one a way to send messages that belong to no particular request.
 *
 * @module
 */
import { ClientError } from "./errors.ts";
import type { InputBroker } from "./mrtr.ts";
import type { Running } from "./running.ts";
import type {
  ClientCapabilities,
  Implementation,
  JsonObject,
  JsonRpcMessage,
  JsonRpcResponse,
  LogLevel,
  RequestId,
} from "./types.ts";

/** Sends one message to the client. */
export type Send = (message: JsonRpcMessage) => void;

/** HTTP request headers, as `node:http` gives them. */
export type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** Where one request's related messages go, and what else its transport offers. */
export interface Channel {
  /** Sends a message related to the request (progress, logs, server→client requests); may be a method, so call it on the channel. */
  send(message: JsonRpcMessage): void;
  /** The HTTP headers that carried the request. */
  headers?: Headers;
  /**
   * Ends the HTTP connection of the request's SSE stream while the stream
   * lives on, asking the client to reconnect after `retryMs` (2025-11-25 SSE
   * polling). Absent where the transport cannot resume.
   */
  closeSseStream?: (retryMs: number) => void;
}

/**
 * Told when a session ends. One watcher can serve every session of a
 * transport, so watching costs an idle session no closure of its own.
 */
export interface SessionWatcher {
  sessionClosed(session: Session): void;
}

/** What {@linkcode Session.onClose} accepts. */
export type CloseListener = (() => void) | SessionWatcher;

/** The oldest protocol a client without a version header is assumed to speak (2025-06-18 §2.4). */
export const DEFAULT_HTTP_VERSION = "2025-03-26";

interface Pending {
  resolve: (result: JsonObject) => void;
  reject: (error: Error) => void;
}

/** Options of {@linkcode Session.request}. */
export interface RequestOptions {
  /** Aborts the wait (the client's answer is then ignored). */
  signal?: AbortSignal;
  /** Milliseconds to wait for the answer. */
  timeoutMs?: number;
  /** Where to send the request; defaults to the session's own channel. */
  send?: Send;
}

/**
 * A client session.
 *
 * Nothing here touches a socket: the transport passes `send` for messages
 * unrelated to a request (list changes, server-wide logs), and closes the
 * session when its connection ends.
 */
export class Session {
  /** The session id, unique and unguessable. */
  readonly id: string;
  /** The negotiated protocol version. */
  protocolVersion = DEFAULT_HTTP_VERSION;
  /** What the client declared in `initialize`. */
  clientCapabilities: ClientCapabilities = {};
  /** Who the client said it is. */
  clientInfo: Implementation | undefined;
  /** The minimum level set by `logging/setLevel`; undefined sends every level. */
  logLevel: LogLevel | undefined;
  /** Whether `initialize` has been answered. */
  initialized = false;
  /** The server's list version when this session initialized: older changes are not announced to it. */
  listVersion = 0;
  #subscriptions: Set<string> | undefined;
  /** The principal that opened the session, if authentication is on. */
  auth: unknown;
  /** A stable key of {@linkcode Session.auth}: requests of another principal never reach this session. */
  authKey: string | undefined;
  /** When the client last sent something (ms since the epoch), for idle expiry. */
  lastActive: number = Date.now();
  /** SSE connections currently open for this session; an idle session with one is not expired. */
  openStreams = 0;
  /** Whether this is a 2026-07-28 request, which carries its protocol state in `_meta` and has no session. */
  modern = false;
  /** No log notifications at all (a 2026-07-28 request without a `logLevel`). */
  quiet = false;
  /** Answers and collects questions to the client in the 2026-07-28 era (MRTR). */
  broker: InputBroker | undefined;

  #send: Send | undefined;
  // Made on first use: an idle session should be small (most never subscribe, get asked anything, or even call).
  #inflightMap: Map<RequestId, Running> | undefined;
  #pendingMap: Map<RequestId, Pending> | undefined;
  #nextId = 0;
  #controller: AbortController | undefined;
  #closed = false;
  // Usually a watcher or two: the first is held as it is, an array only from the second.
  #closeListeners: CloseListener | CloseListener[] | undefined;

  /**
   * @param id the session id
   * @param send the channel for messages that belong to no request
   */
  constructor(id: string, send?: Send) {
    this.id = id;
    this.#send = send;
  }

  /** Requests running for this client, by id, so `notifications/cancelled` can stop them. */
  get inflight(): Map<RequestId, Running> {
    return this.#inflightMap ??= new Map();
  }

  /** The running request with this id, if any (without making the map). */
  running(id: RequestId): Running | undefined {
    return this.#inflightMap?.get(id);
  }

  /** How many requests are running (without making the map). */
  get inflightCount(): number {
    return this.#inflightMap?.size ?? 0;
  }

  /** Resource URIs this session subscribed to. */
  get subscriptions(): Set<string> {
    return this.#subscriptions ??= new Set();
  }

  /** Whether the session subscribed to `uri` (without making the set). */
  subscribed(uri: string): boolean {
    return this.#subscriptions?.has(uri) ?? false;
  }

  get #pending(): Map<RequestId, Pending> {
    return this.#pendingMap ??= new Map();
  }

  /** Aborted when the session ends; made on first use. */
  get signal(): AbortSignal {
    const controller = this.#controller ??= new AbortController();
    if (this.#closed && !controller.signal.aborted) controller.abort(new ClientError("The session has ended"));
    return controller.signal;
  }

  /** Whether the session has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Replaces the channel for unrelated messages (e.g. when a GET stream opens or closes). */
  setChannel(send: Send | undefined): void {
    this.#send = send;
  }

  /** Whether the session currently has a channel for unrelated messages. */
  get hasChannel(): boolean {
    return this.#send !== undefined;
  }

  /**
   * Sends a message that belongs to no request. Dropped when no channel is
   * open: the spec lets a server send nothing when the client keeps no stream.
   */
  send(message: JsonRpcMessage): void {
    if (!this.closed) this.#send?.(message);
  }

  /**
   * Sends a request to the client and waits for its answer.
   *
   * @param method e.g. `sampling/createMessage`
   * @param params the request params
   * @param options signal, timeout and channel
   * @returns the client's `result`
   * @throws {ClientError} when the client answers with an error, the wait times out or the session ends
   * @throws the signal's reason when `signal` aborts
   */
  request(method: string, params: JsonObject, options: RequestOptions = {}): Promise<JsonObject> {
    if (this.closed) return Promise.reject(new ClientError(`Cannot send ${method}: the session has ended`));
    const { signal, timeoutMs = 300_000 } = options;
    signal?.throwIfAborted();
    const id = this.#nextId++;
    return new Promise<JsonObject>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.signal.removeEventListener("abort", onAbort);
        this.#pendingMap?.delete(id);
      };
      const onAbort = () => {
        finish();
        reject(signal?.aborted ? signal.reason : new ClientError(`Cannot finish ${method}: the session has ended`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new ClientError(`Timed out after ${timeoutMs} ms waiting for the client to answer ${method}`));
      }, timeoutMs);
      timer.unref?.();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (result) => (finish(), resolve(result)),
        reject: (error) => (finish(), reject(error)),
      });
      (options.send ?? ((m) => this.send(m)))({ jsonrpc: "2.0", id, method, params });
    });
  }

  /**
   * Hands a response from the client to the request waiting for it.
   *
   * @returns false when no request of this session has that id
   */
  receive(response: JsonRpcResponse): boolean {
    const pending = response.id === null ? undefined : this.#pendingMap?.get(response.id);
    if (!pending) return false;
    if ("result" in response) pending.resolve(response.result);
    else {
      const { code, message, data } = response.error;
      pending.reject(new ClientError(`The client answered with an error: ${message}`, code, data));
    }
    return true;
  }

  /** Counts an open SSE connection until it closes. */
  holdOpen(stream: { onClose(listener: () => void): void }): void {
    this.openStreams++;
    stream.onClose(() => {
      this.openStreams--;
      this.lastActive = Date.now(); // idle time counts from the end of the last activity
    });
  }

  /** Whether the session may be expired: nothing running, no stream open, quiet since `before`. */
  idleSince(before: number): boolean {
    return this.inflightCount === 0 && this.openStreams === 0 && (this.#pendingMap?.size ?? 0) === 0 && this.lastActive < before;
  }

  /** Tells `listener` once when the session ends (at once if it has). */
  onClose(listener: CloseListener): void {
    const listeners = this.#closeListeners;
    if (this.closed) notify(listener, this);
    else if (listeners === undefined) this.#closeListeners = listener;
    else if (Array.isArray(listeners)) listeners.push(listener);
    else this.#closeListeners = [listeners, listener];
  }

  /** Set when the client ended the session's only request itself (a closed stream, `notifications/cancelled`). */
  cancelled = false;

  /** Ends the session: aborts what runs, fails what waits, tells the listeners. */
  close(): void {
    if (this.closed) return;
    const reason = new ClientError("The session has ended");
    this.#closed = true;
    this.#controller?.abort(reason);
    if (this.#inflightMap) for (const running of this.#inflightMap.values()) running.abort(reason);
    this.#inflightMap?.clear();
    this.#send = undefined;
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    if (Array.isArray(listeners)) for (const listener of listeners) notify(listener, this);
    else if (listeners) notify(listeners, this);
  }
}

function notify(listener: CloseListener, session: Session): void {
  if (typeof listener === "function") listener();
  else listener.sessionClosed(session);
}
