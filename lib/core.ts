/**
 * What method handlers see: the server's registries ({@linkcode Core}) and
 * the request being served ({@linkcode Call}). Types, plus the one function
 * that makes a request's {@linkcode Context}.
 *
 * @module
 */
import { RequestContext } from "./context.ts";
import type { Prompt } from "./prompts.ts";
import type { Registry } from "./registry.ts";
import type { Resource, ResourceTemplate } from "./resources.ts";
import type { Deadlines } from "./deadlines.ts";
import type { Running } from "./running.ts";
import type { Channel, Session } from "./session.ts";
import type { SseWriterOptions } from "./sse.ts";
import type { Tool } from "./tools.ts";
import type { Implementation, JsonObject, RequestId } from "./types.ts";

/** What the dispatcher needs from the server. */
export interface Core {
  readonly info: Implementation;
  readonly instructions: string | undefined;
  readonly tools: Registry<Tool>;
  readonly resources: Registry<Resource>;
  readonly templates: Registry<ResourceTemplate>;
  readonly prompts: Registry<Prompt>;
  readonly pageSize: number;
  readonly requestTimeoutMs: number;
  /** Requests one session may have running at once. */
  readonly maxInflight: number;
  /** Milliseconds a tool may run before its signal aborts and it answers `isError`; 0 = no limit. */
  readonly toolTimeoutMs: number;
  /** Aborts tool calls past `toolTimeoutMs`. */
  readonly deadlines: Deadlines;
  /** Grows with every change to tools, resources or prompts. */
  readonly listVersion: number;
  /** The server capabilities, reflecting what is registered now. */
  capabilities(): JsonObject;
  /** Receives a line per request served, when the server was given a `logger`. */
  readonly trace: ((line: string) => void) | undefined;
  /** Receives unexpected errors (never sent to clients). */
  reportError(error: unknown, where: string): void;
}

/** What HTTP transports need from the server beyond the dispatcher's {@linkcode Core}. */
export interface Host extends Core {
  readonly maxBodyBytes: number;
  readonly streamOptions: SseWriterOptions;
  /**
   * Counts a new session in, until it closes; a `shared` one can be reached
   * through other instances of a cluster, once the returned promise settles.
   */
  track(session: Session, shared?: boolean): Promise<void> | undefined;
  /**
   * Refuses a new session when the server is full or shutting down.
   *
   * @throws {HttpError} 503 with `Retry-After`
   */
  admit(): void;
  /** Called for `notifications/roots/list_changed`. */
  onRootsChanged?: (session: Session) => void;
}

/** One request being served. */
export interface Call {
  readonly core: Core;
  readonly session: Session;
  readonly id: RequestId;
  readonly params: JsonObject;
  /** The request's running state: its (lazy) signal, and how to abort it. */
  readonly running: Running;
  /** Where messages related to this request go. */
  readonly channel: Channel;
}

/** A method handler: params in, result object out; throw a JsonRpcError to fail. */
export type MethodHandler = (call: Call) => JsonObject | Promise<JsonObject>;

/** The frozen empty object handlers return for `{}` results. */
export const EMPTY: JsonObject = Object.freeze({}) as JsonObject;

/** Makes the {@linkcode Context} that user functions receive for `call`. */
export function contextOf(call: Call): RequestContext {
  return new RequestContext({
    session: call.session,
    id: call.id,
    running: call.running,
    channel: call.channel,
    meta: call.params._meta as JsonObject | undefined,
    requestTimeoutMs: call.core.requestTimeoutMs,
  });
}

/** Adds `nextCursor` to a list result when there is a next page. */
export function pageResult(key: string, items: unknown[], nextCursor: string | undefined): JsonObject {
  return nextCursor ? { [key]: items, nextCursor } : { [key]: items };
}
