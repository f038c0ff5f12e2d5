/**
 * JSON-RPC 2.0 and MCP wire types, spelled as the specification spells them
 * (schema 2025-11-25, with the 2026-07-28 additions where noted).
 *
 * @module
 */

/** A request id: a string or a number, never null (JSON-RPC 2.0 §4, MCP basic). */
export type RequestId = string | number;

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A plain JSON object, as `params` and `result` are. */
export type JsonObject = Record<string, unknown>;

/** A request: expects exactly one response with the same id. */
export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: RequestId;
  method: string;
  params?: JsonObject;
}

/** A notification: has no id and is never answered. */
export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: JsonObject;
}

/** A successful response. */
export interface JsonRpcResult {
  jsonrpc: "2.0";
  id: RequestId;
  result: JsonObject;
}

/** An error response; `id` is null when the request's id could not be read. */
export interface JsonRpcErrorResponse {
  jsonrpc: "2.0";
  id: RequestId | null;
  error: { code: number; message: string; data?: unknown };
}

/** Either kind of response. */
export type JsonRpcResponse = JsonRpcResult | JsonRpcErrorResponse;

/** Any JSON-RPC message. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** Log levels of RFC 5424, in increasing severity, as MCP lists them. */
export const LOG_LEVELS = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Name and version of a client or server (`Implementation` in the schema). */
export interface Implementation {
  name: string;
  version: string;
  title?: string;
  description?: string;
  websiteUrl?: string;
  icons?: Icon[];
}

/** An icon for a server, tool, resource or prompt (2025-11-25). */
export interface Icon {
  src: string;
  mimeType?: string;
  sizes?: string[];
  theme?: "light" | "dark";
}

/** What the client said it can do. */
export interface ClientCapabilities {
  roots?: { listChanged?: boolean };
  sampling?: JsonObject;
  elicitation?: { form?: JsonObject; url?: JsonObject };
  experimental?: JsonObject;
  [key: string]: unknown;
}

/** Optional hints for display and priority on content. */
export interface Annotations {
  audience?: ("user" | "assistant")[];
  priority?: number;
  lastModified?: string;
}

/** Text content. */
export interface TextContent {
  type: "text";
  text: string;
  annotations?: Annotations;
  _meta?: JsonObject;
}

/** Image content; `data` is base64. */
export interface ImageContent {
  type: "image";
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: JsonObject;
}

/** Audio content; `data` is base64 (2025-03-26). */
export interface AudioContent {
  type: "audio";
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: JsonObject;
}

/** The contents of a resource: `text` or base64 `blob`. */
export type ResourceContents =
  & { uri: string; mimeType?: string; _meta?: JsonObject }
  & ({ text: string; blob?: never } | { blob: string; text?: never });

/** A resource embedded in content. */
export interface EmbeddedResource {
  type: "resource";
  resource: ResourceContents;
  annotations?: Annotations;
  _meta?: JsonObject;
}

/** A link to a resource (2025-06-18). */
export interface ResourceLink {
  type: "resource_link";
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: Annotations;
  _meta?: JsonObject;
}

/** Any content block of a tool result or prompt message. */
export type ContentBlock =
  | TextContent
  | ImageContent
  | AudioContent
  | ResourceLink
  | EmbeddedResource;

/** The result of `tools/call`. */
export interface CallToolResult {
  content: ContentBlock[];
  structuredContent?: JsonObject;
  isError?: boolean;
  _meta?: JsonObject;
}

/** Hints about a tool's behaviour, which clients treat as untrusted (2025-03-26). */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}
