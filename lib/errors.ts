/**
 * JSON-RPC error codes and the one error class every layer throws.
 *
 * A handler that throws a {@linkcode JsonRpcError} is answered with exactly that
 * `code`, `message` and `data`; any other throw becomes `-32603` with no detail,
 * so stack traces and file paths never reach a client.
 *
 * @module
 */

/**
 * The error codes emcee emits. JSON-RPC 2.0 defines -32700…-32600; MCP adds
 * -32002 (resource not found, 2024-11-05 … 2025-11-25), -32042 (URL elicitation
 * required, 2025-11-25) and -32020…-32022 (2026-07-28).
 */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ResourceNotFound: -32002,
  UrlElicitationRequired: -32042,
  HeaderMismatch: -32020,
  MissingCapability: -32021,
  UnsupportedVersion: -32022,
} as const;

/**
 * A protocol failure with a JSON-RPC error code.
 *
 * @example
 * ```ts
 * throw new JsonRpcError(ErrorCode.InvalidParams, 'Unknown tool "nope"');
 * ```
 */
export class JsonRpcError extends Error {
  /** The JSON-RPC error code. */
  readonly code: number;
  /** Optional structured detail sent as `error.data`. */
  readonly data: unknown;

  /**
   * @param code a JSON-RPC error code, usually one of {@linkcode ErrorCode}
   * @param message a one-line description for the client
   * @param data optional detail sent as `error.data`
   */
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "JsonRpcError";
    this.code = code;
    this.data = data;
  }

  /** The `error` member of a JSON-RPC response. */
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/**
 * A server→client request (sampling, elicitation, roots) that did not get a
 * result: the client answered with an error, never answered in time, lacked
 * the capability, or went away. Inside a tool it becomes an `isError` result
 * unless the tool catches it; it is never sent as the tool call's own
 * JSON-RPC error, since the failure was the client's.
 */
export class ClientError extends Error {
  /** The client's JSON-RPC error code, when it answered with one. */
  readonly code: number | undefined;
  /** The client's `error.data`, when it answered with one. */
  readonly data: unknown;

  /**
   * @param message what went wrong
   * @param code the client's error code, if any
   * @param data the client's error data, if any
   */
  constructor(message: string, code?: number, data?: unknown) {
    super(message);
    this.name = "ClientError";
    this.code = code;
    this.data = data;
  }
}

/**
 * A failure that ends an HTTP request with a status code and, usually, a
 * JSON-RPC error body with `"id": null`.
 */
export class HttpError extends Error {
  /** The HTTP status code. */
  readonly status: number;
  /** The JSON-RPC error sent as the body, if any. */
  readonly rpc: JsonRpcError | undefined;
  /** Extra response headers, such as `Allow` or `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * @param status an HTTP status code
   * @param rpc the JSON-RPC error for the body; omit for an empty body
   * @param headers extra response headers
   */
  constructor(status: number, rpc?: JsonRpcError, headers: Record<string, string> = {}) {
    super(rpc?.message ?? `HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
    this.rpc = rpc;
    this.headers = headers;
  }
}

/** Shorthand for an {@linkcode HttpError} whose body is a JSON-RPC error. */
export function httpError(
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): HttpError {
  return new HttpError(status, new JsonRpcError(code, message), headers);
}

/**
 * A short, safe rendering of a client-sent value for an error message:
 * strings quoted and cut at 64 characters, other primitives as they are,
 * objects and arrays by kind only (never serialised: they may be huge or
 * nested deeper than the stack).
 */
export function preview(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}
