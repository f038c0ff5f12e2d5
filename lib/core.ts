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
import type { Channel, Session } from "./session.ts";
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
  /** The server capabilities, reflecting what is registered now. */
  capabilities(): JsonObject;
}

/** One request being served. */
export interface Call {
  readonly core: Core;
  readonly session: Session;
  readonly id: RequestId;
  readonly params: JsonObject;
  readonly signal: AbortSignal;
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
    signal: call.signal,
    channel: call.channel,
    meta: call.params._meta as JsonObject | undefined,
    requestTimeoutMs: call.core.requestTimeoutMs,
  });
}

/** Adds `nextCursor` to a list result when there is a next page. */
export function pageResult(key: string, items: unknown[], nextCursor: string | undefined): JsonObject {
  return nextCursor ? { [key]: items, nextCursor } : { [key]: items };
}
