/**
 * The request headers of MCP 2026-07-28 over HTTP: `MCP-Protocol-Version`,
 * `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` must agree with the body, so
 * proxies and gateways can route on headers without parsing JSON.
 *
 * @module
 */
import { ErrorCode, JsonRpcError, preview } from "./errors.ts";
import type { Headers } from "./session.ts";
import type { JsonObject } from "./types.ts";

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;

/**
 * Decodes a header value: trimmed, and unwrapped from the `=?base64?…?=`
 * sentinel that carries values unsafe in a header (non-ASCII, control
 * characters, edge spaces). A value that only starts like a sentinel is
 * literal.
 *
 * @returns the value, or undefined when a sentinel is malformed
 */
export function decodeHeaderValue(raw: string): string | undefined {
  const value = raw.trim();
  if (!value.startsWith("=?base64?") || !value.endsWith("?=")) return value;
  const match = SENTINEL.exec(value);
  if (!match || match[1]!.length % 4 !== 0) return undefined;
  try {
    const bytes = Uint8Array.from(atob(match[1]!), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Encodes a value for a header, using the base64 sentinel when it is not plain visible ASCII. */
export function encodeHeaderValue(value: string): string {
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.startsWith("=?base64?")) return value;
  const bytes = new TextEncoder().encode(value);
  return `=?base64?${btoa(String.fromCharCode(...bytes))}?=`;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function mismatch(message: string): JsonRpcError {
  return new JsonRpcError(ErrorCode.HeaderMismatch, message);
}

/** The body value a header names: `params.name`, or `params.uri` for `resources/read`. */
export function nameOf(method: string, params: JsonObject): unknown {
  if (method === "tools/call" || method === "prompts/get") return params.name;
  if (method === "resources/read") return params.uri;
  return undefined;
}

/**
 * Checks `Mcp-Method` and `Mcp-Name` against the body.
 *
 * @throws {JsonRpcError} -32020 when one is missing, malformed or disagrees
 */
export function checkMethodHeaders(headers: Headers, method: string, params: JsonObject): void {
  const rawMethod = header(headers, "mcp-method");
  if (rawMethod === undefined) throw mismatch("Header mismatch: Mcp-Method is missing");
  if (decodeHeaderValue(rawMethod) !== method) {
    throw mismatch(`Header mismatch: Mcp-Method ${preview(rawMethod.trim())} does not match the body's ${preview(method)}`);
  }
  const name = nameOf(method, params);
  if (name === undefined) return;
  const rawName = header(headers, "mcp-name");
  if (rawName === undefined) throw mismatch("Header mismatch: Mcp-Name is missing");
  const decoded = decodeHeaderValue(rawName);
  if (decoded === undefined) throw mismatch("Header mismatch: Mcp-Name holds a malformed base64 sentinel");
  if (decoded !== name) throw mismatch(`Header mismatch: Mcp-Name does not match the body's ${preview(name)}`);
}

/**
 * The `x-mcp-header` annotations of a tool's input schema: header suffix by
 * argument name. Only direct `properties` of string, integer or boolean type
 * qualify.
 */
export function paramHeaders(inputSchema: JsonObject): Map<string, string> {
  const map = new Map<string, string>();
  const properties = inputSchema.properties;
  if (typeof properties !== "object" || properties === null) return map;
  for (const [arg, schema] of Object.entries(properties as Record<string, JsonObject>)) {
    const name = schema?.["x-mcp-header"];
    // A string, integer or boolean property, possibly nullable (`["string", "null"]`).
    const types = (Array.isArray(schema?.type) ? schema.type : [schema?.type]).filter((t) => t !== "null");
    const scalar = types.length === 1 && ["string", "integer", "boolean"].includes(types[0] as string);
    if (typeof name === "string" && name !== "" && scalar) map.set(arg, name);
  }
  return map;
}

/**
 * Checks each `Mcp-Param-<Name>` header against its argument (2026-07-28):
 * strings as they are, integers compared as numbers, booleans as
 * `true`/`false`. An absent or null argument needs no header.
 *
 * @throws {JsonRpcError} -32020 when a header is missing, malformed or disagrees
 */
export function checkParamHeaders(headers: Headers, annotated: Map<string, string>, args: unknown): void {
  if (annotated.size === 0) return;
  const values = typeof args === "object" && args !== null ? args as Record<string, unknown> : {};
  for (const [arg, name] of annotated) {
    const value = values[arg];
    if (value === undefined || value === null) continue;
    const raw = header(headers, `mcp-param-${name.toLowerCase()}`);
    if (raw === undefined) throw mismatch(`Header mismatch: Mcp-Param-${name} is missing for argument "${arg}"`);
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) throw mismatch(`Header mismatch: Mcp-Param-${name} holds a malformed base64 sentinel`);
    const same = typeof value === "number"
      ? /^-?\d+$/.test(decoded.trim()) && Number(decoded) === value // integers travel in decimal
      : typeof value === "boolean"
      ? decoded === String(value)
      : decoded === value;
    if (!same) throw mismatch(`Header mismatch: Mcp-Param-${name} does not match argument "${arg}"`);
  }
}
