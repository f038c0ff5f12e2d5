/**
 * The second argument of every tool, prompt and resource function: the
 * request's signal, progress and logging, and requests back to the client.
 *
 * @module
 */
import { ClientError, ErrorCode, JsonRpcError } from "./errors.ts";
import type { Running } from "./running.ts";
import type { Channel, Headers, Session } from "./session.ts";
import { LOG_LEVELS } from "./types.ts";
import type { ClientCapabilities, ContentBlock, JsonObject, LogLevel, RequestId } from "./types.ts";

/** Params of `sampling/createMessage`. */
export interface SamplingRequest {
  messages: { role: "user" | "assistant"; content: ContentBlock | ContentBlock[] }[];
  maxTokens: number;
  systemPrompt?: string;
  temperature?: number;
  stopSequences?: string[];
  modelPreferences?: JsonObject;
  includeContext?: "none" | "thisServer" | "allServers";
  metadata?: JsonObject;
  [key: string]: unknown;
}

/** The client's answer to `sampling/createMessage`. */
export interface SamplingResult {
  role: "user" | "assistant";
  content: ContentBlock | ContentBlock[];
  model: string;
  stopReason?: string;
  [key: string]: unknown;
}

/** Params of `elicitation/create`: a form (2025-06-18) or a URL (2025-11-25). */
export type ElicitRequest =
  | { mode?: "form"; message: string; requestedSchema: JsonObject }
  | { mode: "url"; message: string; url: string; elicitationId?: string };

/** The client's answer to `elicitation/create`. */
export interface ElicitResult {
  action: "accept" | "decline" | "cancel";
  content?: Record<string, string | number | boolean | string[]>;
  [key: string]: unknown;
}

/** Options of the questions a tool asks the client. */
export interface AskOptions {
  /**
   * The question's key in a 2026-07-28 `input_required` result (MRTR).
   * Default: `q0`, `q1`, … in the order the tool asks. Ignored in session
   * eras, where the question is a real request to the client.
   */
  key?: string;
}

/** A root the client exposes (`roots/list`). */
export interface Root {
  uri: string;
  name?: string;
}

/** What a tool, prompt or resource function receives beside its arguments. */
export interface Context {
  /** Aborted when the client cancels the request, the session ends, or the server closes. */
  readonly signal: AbortSignal;
  /** The JSON-RPC id of the request being served. */
  readonly requestId: RequestId;
  /** The session id, if the transport keeps sessions. */
  readonly sessionId: string | undefined;
  /** The HTTP headers of the request that carried this call (empty on stdio). */
  readonly headers: Headers;
  /** The request's `params._meta`. */
  readonly meta: Readonly<JsonObject>;
  /** The principal returned by the server's `authenticate` option, if any. */
  readonly auth: unknown;
  /**
   * Reports progress. Sent as `notifications/progress` only when the request
   * carried a `progressToken`; each value must exceed the last.
   *
   * @throws {RangeError} when `progress` does not increase
   */
  progress(progress: number, total?: number, message?: string): void;
  /** Sends `notifications/message` at `level`, if the client's `logging/setLevel` lets it through. */
  log(level: LogLevel, data: unknown, logger?: string): void;
  /** What the client declared it can do (`initialize`, or the 2026-07-28 request's `_meta`). */
  readonly clientCapabilities: Readonly<ClientCapabilities>;
  /** Asks the client's model for a completion (`sampling/createMessage`). */
  sample(request: SamplingRequest, options?: AskOptions): Promise<SamplingResult>;
  /** Asks the user for input (`elicitation/create`). */
  elicit(request: ElicitRequest, options?: AskOptions): Promise<ElicitResult>;
  /** Asks the client for its roots (`roots/list`). */
  roots(options?: AskOptions): Promise<Root[]>;
  /**
   * Ends the HTTP connection that carries this request's SSE stream, keeping
   * the stream: the client reconnects after `retryMs` with `Last-Event-ID`
   * and receives what it missed (SSE polling, 2025-11-25). Lets long calls
   * survive proxies that cut idle connections. Does nothing where the
   * transport cannot resume (HTTP+SSE, stdio, JSON replies, older clients).
   */
  closeSseStream(retryMs?: number): void;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Whether `level` passes a session's minimum level. */
export function logPasses(level: LogLevel, minimum: LogLevel | undefined): boolean {
  return minimum === undefined || LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimum);
}

/** The shape of one served request, from which a {@linkcode Context} is made. */
export interface CallInit {
  session: Session;
  id: RequestId;
  running: Running;
  /** Where messages related to this request go (its POST stream, or the session's stream). */
  channel: Channel;
  meta: JsonObject | undefined;
  /** Milliseconds to wait for the client's answer to a server→client request. */
  requestTimeoutMs: number;
}

/**
 * The {@linkcode Context} of one request. Its methods live on the prototype,
 * so making one per call costs a single small object.
 */
export class RequestContext implements Context {
  readonly requestId: RequestId;
  readonly headers: Headers;
  #running: Running;
  readonly meta: Readonly<JsonObject>;
  #session: Session;
  #channel: Channel;
  #timeoutMs: number;
  #lastProgress = -Infinity;
  /** Set once the response is sent; later progress is dropped (spec: progress stops with the response). */
  done = false;
  /** Whether progress was sent; see {@linkcode settle}. */
  #progressed = false;

  constructor(init: CallInit) {
    this.#session = init.session;
    this.requestId = init.id;
    this.#running = init.running;
    this.#channel = init.channel;
    this.meta = init.meta ?? NO_HEADERS;
    this.headers = init.channel.headers ?? NO_HEADERS;
    this.#timeoutMs = init.requestTimeoutMs;
  }

  get signal(): AbortSignal {
    return this.#running.signal;
  }

  get sessionId(): string | undefined {
    return this.#session.id || undefined;
  }

  get auth(): unknown {
    return this.#session.auth;
  }

  get clientCapabilities(): Readonly<ClientCapabilities> {
    return this.#session.clientCapabilities;
  }

  progress(progress: number, total?: number, message?: string): void {
    if (!Number.isFinite(progress)) throw new RangeError(`Cannot report progress ${progress}: it must be a finite number`);
    if (progress <= this.#lastProgress) {
      throw new RangeError(`Cannot report progress ${progress}: it must exceed the last value, ${this.#lastProgress}`);
    }
    this.#lastProgress = progress;
    const token = this.meta.progressToken;
    if (this.done || (typeof token !== "string" && typeof token !== "number")) return;
    const params: JsonObject = { progressToken: token, progress };
    if (total !== undefined) params.total = total;
    if (message !== undefined) params.message = message;
    this.#progressed = true;
    this.#channel.send({ jsonrpc: "2.0", method: "notifications/progress", params });
  }

  log(level: LogLevel, data: unknown, logger?: string): void {
    if (!LOG_LEVELS.includes(level)) throw new RangeError(`Cannot log at level "${level}": use one of ${LOG_LEVELS.join(", ")}`);
    if (this.done || this.#session.quiet || !logPasses(level, this.#session.logLevel)) return;
    const params: JsonObject = { level, data };
    if (logger !== undefined) params.logger = logger;
    this.#channel.send({ jsonrpc: "2.0", method: "notifications/message", params });
  }

  /**
   * Marks the request done. When progress was sent, waits a millisecond
   * first: the official SDK clients handle notifications a microtask late and
   * drop progress that lands in the same read as the response, so the last
   * update and the result must leave as separate writes (one event-loop turn
   * is enough on Node and Deno, not on Bun, which batches writes per turn).
   */
  settle(): Promise<void> | undefined {
    this.done = true;
    return this.#progressed ? new Promise((resolve) => setTimeout(resolve, 1)) : undefined;
  }

  closeSseStream(retryMs = 1000): void {
    if (!this.done) this.#channel.closeSseStream?.(retryMs);
  }

  sample(request: SamplingRequest, options?: AskOptions): Promise<SamplingResult> {
    return this.#ask("sampling", "sampling/createMessage", request, options?.key) as Promise<SamplingResult>;
  }

  elicit(request: ElicitRequest, options?: AskOptions): Promise<ElicitResult> {
    const caps = this.#session.clientCapabilities.elicitation;
    if (request.mode === "url" && caps && !caps.url) {
      return Promise.reject(
        this.#session.modern
          ? new JsonRpcError(ErrorCode.MissingCapability, 'Missing client capability: URL elicitation needs "elicitation.url"', {
            requiredCapabilities: { elicitation: { url: {} } },
          })
          : missingCapability("elicitation/create", "elicitation.url"),
      );
    }
    return this.#ask("elicitation", "elicitation/create", request, options?.key) as Promise<ElicitResult>;
  }

  async roots(options?: AskOptions): Promise<Root[]> {
    const result = await this.#ask("roots", "roots/list", {}, options?.key);
    return Array.isArray(result.roots) ? result.roots as Root[] : [];
  }

  #ask(capability: string, method: string, params: object, key: string | undefined): Promise<JsonObject> {
    const session = this.#session;
    if (session.modern) {
      // 2026-07-28: no server→client requests; questions become an input_required result (MRTR).
      if (session.clientCapabilities[capability] === undefined || !session.broker) {
        return Promise.reject(
          new JsonRpcError(ErrorCode.MissingCapability, `Missing client capability: ${method} needs "${capability}"`, {
            requiredCapabilities: { [capability]: {} },
          }),
        );
      }
      return session.broker.ask(method, params as JsonObject, key);
    }
    if (session.clientCapabilities[capability] === undefined) {
      return Promise.reject(missingCapability(method, capability));
    }
    return this.#session.request(method, params as JsonObject, {
      signal: this.signal,
      timeoutMs: this.#timeoutMs,
      send: (message) => this.#channel.send(message),
    });
  }
}

function missingCapability(method: string, capability: string): ClientError {
  return new ClientError(`Cannot send ${method}: the client did not declare the "${capability}" capability`);
}
