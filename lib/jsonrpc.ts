/**
 * Parsing and classifying JSON-RPC 2.0 messages, and building responses.
 * Pure: no I/O.
 *
 * @module
 */
import { ErrorCode, JsonRpcError } from "./errors.ts";
import type {
  JsonObject,
  JsonRpcMessage,
  JsonRpcErrorResponse,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  JsonRpcResult,
  RequestId,
} from "./types.ts";

/** What a received value turned out to be. */
export type Classified =
  | { kind: "request"; message: JsonRpcRequest }
  | { kind: "notification"; message: JsonRpcNotification }
  | { kind: "response"; message: JsonRpcResponse }
  | { kind: "invalid"; id: RequestId | null; error: JsonRpcError };

/**
 * Parses a JSON text.
 *
 * @param text the body as received
 * @returns the parsed value
 * @throws {JsonRpcError} -32700 when the text is not JSON
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new JsonRpcError(ErrorCode.ParseError, "Parse error: the body is not valid JSON");
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is RequestId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

function invalid(id: RequestId | null, message: string): Classified {
  return { kind: "invalid", id, error: new JsonRpcError(ErrorCode.InvalidRequest, message) };
}

/**
 * Tells a request, a notification and a response apart, and names what is
 * wrong with anything else (JSON-RPC 2.0 §4–§5).
 *
 * @param value a parsed JSON value
 * @returns the classified message, or `invalid` with a -32600 error
 * @example
 * ```ts
 * classify({ jsonrpc: "2.0", id: 1, method: "ping" }).kind; // "request"
 * ```
 */
export function classify(value: unknown): Classified {
  if (!isObject(value)) return invalid(null, "Invalid request: a message must be a JSON object");
  const id = isId(value.id) ? value.id : null;
  if (value.jsonrpc !== "2.0") return invalid(id, 'Invalid request: "jsonrpc" must be "2.0"');
  if ("method" in value) {
    if (typeof value.method !== "string") {
      return invalid(id, 'Invalid request: "method" must be a string');
    }
    if (value.params !== undefined && !isObject(value.params)) {
      return invalid(id, 'Invalid request: "params" must be an object');
    }
    if (!("id" in value)) return { kind: "notification", message: value as unknown as JsonRpcNotification };
    if (!isId(value.id)) return invalid(null, 'Invalid request: "id" must be a string or a number');
    return { kind: "request", message: value as unknown as JsonRpcRequest };
  }
  if ("result" in value || "error" in value) {
    if ("result" in value && "error" in value) {
      return invalid(id, 'Invalid response: it has both "result" and "error"');
    }
    // Only an error response may have a null id: the request's could not be read (JSON-RPC 2.0 §5).
    if (!isId(value.id) && !("error" in value && value.id === null)) {
      return invalid(null, 'Invalid response: "id" must be a string or a number');
    }
    if ("result" in value ? !isObject(value.result) : !isObject(value.error)) {
      return invalid(id, "Invalid response: needs a result object or an error object");
    }
    return { kind: "response", message: value as unknown as JsonRpcResponse };
  }
  return invalid(id, 'Invalid request: needs "method", "result" or "error"');
}

/** Builds a success response. */
export function success(id: RequestId, result: JsonObject): JsonRpcResult {
  return { jsonrpc: "2.0", id, result };
}

/**
 * Builds an error response. Anything that is not a {@linkcode JsonRpcError}
 * becomes -32603 "Internal error" with no detail, so internals never leak.
 */
export function failure(id: RequestId | null, error: unknown): JsonRpcErrorResponse {
  const e = error instanceof JsonRpcError
    ? error
    : new JsonRpcError(ErrorCode.InternalError, "Internal error");
  return { jsonrpc: "2.0", id, error: e.toJSON() };
}

/**
 * Serialises a message for the wire. A result that cannot be serialised (a
 * cycle, a BigInt) becomes a -32603 error for the same id instead of
 * throwing, so one bad value never leaves a request unanswered.
 */
export function serialize(message: JsonRpcMessage): string {
  try {
    return JSON.stringify(message);
  } catch {
    const id = "id" in message && message.id !== undefined ? message.id : null;
    return JSON.stringify(failure(id, new JsonRpcError(ErrorCode.InternalError, "Internal error: the result is not serialisable")));
  }
}
