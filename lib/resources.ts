/**
 * Resources: fixed URIs and RFC 6570 templates, read by plain functions;
 * `resources/list`, `resources/templates/list`, `resources/read` and
 * subscriptions (2024-11-05 onward).
 *
 * @module
 */
import type { Completer } from "./completion.ts";
import { resourceContents } from "./content.ts";
import { contextOf, EMPTY, pageResult } from "./core.ts";
import type { Call } from "./core.ts";
import type { Context } from "./context.ts";
import { ErrorCode, JsonRpcError } from "./errors.ts";
import type { Annotations, Icon, JsonObject, ResourceContents } from "./types.ts";
import { parseUriTemplate } from "./uri_template.ts";
import type { UriTemplate } from "./uri_template.ts";

/** How a resource describes itself in `resources/list`. */
export interface ResourceDefinition {
  /** A short name; defaults to the URI. */
  name?: string;
  /** A display name (2025-06-18). */
  title?: string;
  description?: string;
  /** The MIME type of the contents; also the default for what `read` returns. */
  mimeType?: string;
  /** Size in bytes, if known. */
  size?: number;
  annotations?: Annotations;
  icons?: Icon[];
  _meta?: JsonObject;
  /** Cache hints for `resources/read` in the 2026-07-28 era. Default: `{ ttlMs: 0, scope: "private" }`. */
  cache?: CacheHint;
}

/** How long a 2026-07-28 client may cache a result, and with whom it may share it. */
export interface CacheHint {
  ttlMs?: number;
  scope?: "public" | "private";
}

/** How a resource template describes itself, and completes its variables. */
export interface ResourceTemplateDefinition extends Omit<ResourceDefinition, "size"> {
  /** Completers for template variables, by variable name. */
  complete?: Record<string, Completer>;
}

/** What a read function receives: the URI, and the template's variables. */
export interface ResourceRequest {
  uri: string;
  /** Variables matched by the template; empty for a fixed resource. */
  params: Record<string, string | string[]>;
}

/**
 * A read function. It may return a string (text), bytes (a base64 blob),
 * one `ResourceContents`, an array of them, or `{ contents }`.
 */
export type ResourceReader = (request: ResourceRequest, ctx: Context) => unknown;

/** A registered fixed resource. */
export interface Resource {
  readonly uri: string;
  readonly definition: ResourceDefinition;
  readonly read: ResourceReader;
  readonly listing: JsonObject;
}

/** A registered resource template. */
export interface ResourceTemplate {
  readonly uriTemplate: UriTemplate;
  readonly definition: ResourceTemplateDefinition;
  readonly read: ResourceReader;
  readonly listing: JsonObject;
  readonly completers: Map<string, Completer>;
}

function listing(key: string, value: string, definition: ResourceDefinition): JsonObject {
  const { name, ...rest } = definition as ResourceDefinition & { complete?: unknown };
  delete rest.complete;
  delete rest.cache;
  return { [key]: value, name: name ?? value, ...rest };
}

function checkReader(what: string, read: unknown): void {
  if (typeof read !== "function") throw new TypeError(`Cannot register ${what}: its read function must be a function`);
}

/**
 * Checks a fixed resource.
 *
 * @throws {TypeError} when the URI is not absolute (RFC 3986 scheme) or `read` is not a function
 */
export function defineResource(uri: string, definition: ResourceDefinition, read: ResourceReader): Resource {
  if (typeof uri !== "string" || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) {
    throw new TypeError(`Cannot register resource "${uri}": a URI needs a scheme, like "file:" or "test:"`);
  }
  checkReader(`resource "${uri}"`, read);
  return { uri, definition, read, listing: listing("uri", uri, definition) };
}

/**
 * Checks and parses a resource template.
 *
 * @throws {TypeError} for a malformed template, a completer for an unknown variable, or a bad `read`
 */
export function defineResourceTemplate(
  template: string,
  definition: ResourceTemplateDefinition,
  read: ResourceReader,
): ResourceTemplate {
  const uriTemplate = parseUriTemplate(template);
  checkReader(`resource template "${template}"`, read);
  const completers = new Map(Object.entries(definition.complete ?? {}));
  for (const name of completers.keys()) {
    if (!uriTemplate.variables.includes(name)) {
      throw new TypeError(`Cannot register resource template "${template}": it has no variable "${name}" to complete`);
    }
  }
  return { uriTemplate, definition, read, completers, listing: listing("uriTemplate", template, definition) };
}

function isContents(value: unknown): value is ResourceContents {
  return typeof value === "object" && value !== null &&
    (typeof (value as JsonObject).text === "string" || typeof (value as JsonObject).blob === "string");
}

/**
 * Turns what a read function returned into `contents`.
 *
 * @throws {TypeError} when the value is none of the accepted shapes
 */
export function toContents(uri: string, mimeType: string | undefined, value: unknown): ResourceContents[] {
  if (typeof value === "string" || value instanceof Uint8Array) return [resourceContents(uri, value, mimeType)];
  const list = Array.isArray(value)
    ? value
    : typeof value === "object" && value !== null && Array.isArray((value as JsonObject).contents)
    ? (value as { contents: unknown[] }).contents
    : [value];
  return list.map((item) => {
    if (!isContents(item)) {
      throw new TypeError(`Cannot read "${uri}": the read function must return text, bytes or resource contents`);
    }
    const withUri = { uri, ...(item as object) } as ResourceContents;
    if (withUri.mimeType === undefined && mimeType !== undefined) withUri.mimeType = mimeType;
    return withUri;
  });
}

function requireUri(call: Call): string {
  const uri = call.params.uri;
  if (typeof uri !== "string") throw new JsonRpcError(ErrorCode.InvalidParams, 'Invalid params: "uri" must be a string');
  return uri;
}

/** `resources/list`. */
export function listResources({ core, params }: Call): JsonObject {
  const page = core.resources.page(params.cursor, core.pageSize);
  return pageResult("resources", page.items.map((r) => r.listing), page.nextCursor);
}

/** `resources/templates/list`. */
export function listTemplates({ core, params }: Call): JsonObject {
  const page = core.templates.page(params.cursor, core.pageSize);
  return pageResult("resourceTemplates", page.items.map((t) => t.listing), page.nextCursor);
}

/** The resource or template a URI reads from, with the template's variables. */
export function findResource(
  core: Call["core"],
  uri: string,
): { read: ResourceReader; definition: ResourceTemplateDefinition; params: Record<string, string | string[]> } | undefined {
  const fixed = core.resources.get(uri);
  if (fixed) return { read: fixed.read, definition: fixed.definition, params: {} };
  for (const template of core.templates.values()) {
    const params = template.uriTemplate.match(uri);
    if (params) return { read: template.read, definition: template.definition, params };
  }
  return undefined;
}

/**
 * `resources/read`: a fixed resource first, then the first template that
 * matches. Unknown → -32002 with `data.uri` (2024-11-05 … 2025-11-25).
 */
export async function readResource(call: Call): Promise<JsonObject> {
  const uri = requireUri(call);
  const found = findResource(call.core, uri);
  if (!found) {
    // -32002 in session eras (2024-11-05 … 2025-11-25); 2026-07-28 folds it into -32602.
    const code = call.session.modern ? ErrorCode.InvalidParams : ErrorCode.ResourceNotFound;
    throw new JsonRpcError(code, `Resource not found: ${uri}`, { uri });
  }
  const ctx = contextOf(call);
  try {
    const value = await found.read({ uri, params: found.params }, ctx);
    let contents: ResourceContents[];
    try {
      contents = toContents(uri, found.definition.mimeType, value);
    } catch (error) {
      throw new JsonRpcError(ErrorCode.InternalError, (error as Error).message);
    }
    return { contents };
  } finally {
    ctx.done = true;
  }
}

/** `resources/subscribe`. */
export function subscribe(call: Call): JsonObject {
  call.session.subscriptions.add(requireUri(call));
  return EMPTY;
}

/** `resources/unsubscribe`. */
export function unsubscribe(call: Call): JsonObject {
  call.session.subscriptions.delete(requireUri(call));
  return EMPTY;
}
