/**
 * MCP 2026-07-28 over Streamable HTTP: no `initialize`, no sessions. Every
 * request carries its protocol version and client capabilities in
 * `params._meta`, headers that must agree with the body, and is served on
 * its own. Questions to the client become `input_required` results (MRTR);
 * `subscriptions/listen` replaces the GET stream.
 *
 * @module
 */
import { principalKey } from "./auth.ts";
import { EMPTY } from "./core.ts";
import type { Host, MethodHandler } from "./core.ts";
import { dispatchRequest, METHODS } from "./dispatcher.ts";
import { ErrorCode, JsonRpcError, preview } from "./errors.ts";
import { sendJson } from "./http.ts";
import type { Accepts, HttpRequest, HttpResponse, IncomingHeaders } from "./http.ts";
import { failure, serialize, success } from "./jsonrpc.ts";
import { checkMethodHeaders, checkParamHeaders, paramHeaders } from "./modern_headers.ts";
import { InputBroker, paramsDigest } from "./mrtr.ts";
import { findResource } from "./resources.ts";
import { Session } from "./session.ts";
import type { Channel } from "./session.ts";
import { SseWriter } from "./sse.ts";
import { Reply } from "./transports/reply.ts";
import { LOG_LEVELS } from "./types.ts";
import type {
  ClientCapabilities,
  Implementation,
  JsonObject,
  JsonRpcMessage,
  JsonRpcRequest,
  JsonRpcResponse,
  LogLevel,
} from "./types.ts";
import { LEGACY_VERSIONS } from "./versions.ts";

/** Versions served statelessly, newest first. */
export const MODERN_VERSIONS = ["2026-07-28"] as const;

/** The `_meta` key prefix MCP reserves. */
const MCP = "io.modelcontextprotocol/";

/** A change a `subscriptions/listen` stream may carry. */
export type ServerEvent =
  | { type: "tools" | "prompts" | "resources" }
  | { type: "resource"; uri: string };

/** How long 2026-07-28 clients may cache discovery and list results. */
export interface ListCache {
  ttlMs: number;
  scope: "public" | "private";
}

/** What the 2026-07-28 era needs from the server beyond a {@linkcode Host}. */
export interface ModernHost extends Host {
  readonly states: import("./mrtr.ts").RequestStates;
  readonly listCache: ListCache;
  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: (event: ServerEvent) => void): () => void;
}

/** Whether a parsed body claims the 2026-07-28 era: its `params._meta` names a protocol version. */
export function claimsModern(value: unknown): boolean {
  const params = (value as { params?: unknown } | null)?.params;
  const meta = (params as { _meta?: unknown } | null | undefined)?._meta;
  return typeof meta === "object" && meta !== null && Object.hasOwn(meta, `${MCP}protocolVersion`);
}

/** Whether a `MCP-Protocol-Version` header names the 2026-07-28 era or later. */
export function isModernHeader(header: string | string[] | undefined): boolean {
  return typeof header === "string" && header.trim() >= "2026-07-28";
}

/** The -32022 error for a version not served statelessly. */
export function unsupportedVersion(requested: unknown, legacyOnly = false): JsonRpcError {
  // What -32022 lists must match server/discover's supportedVersions; a legacy-only server lists its own.
  const supported = legacyOnly ? [...LEGACY_VERSIONS] : [...MODERN_VERSIONS];
  return new JsonRpcError(ErrorCode.UnsupportedVersion, `Unsupported protocol version: ${preview(requested)}`, {
    supported,
    requested,
  });
}

function discover(host: ModernHost): JsonObject {
  const result: JsonObject = { supportedVersions: [...MODERN_VERSIONS], capabilities: host.capabilities() };
  if (host.instructions !== undefined) result.instructions = host.instructions;
  return result;
}

/** Methods removed in 2026-07-28: answered -32601 with 404 (spec §8). */
const REMOVED = new Set(["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"]);

/** The server capability each method needs; without it the method does not exist here. */
const GATES: Record<string, string> = {
  "tools/list": "tools",
  "tools/call": "tools",
  "prompts/list": "prompts",
  "prompts/get": "prompts",
  "resources/list": "resources",
  "resources/templates/list": "resources",
  "resources/read": "resources",
  "completion/complete": "completions",
};

/** Results clients may cache, which must carry `ttlMs` and `cacheScope` (2026-07-28 §caching). */
const CACHEABLE = new Set(["server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read"]);

/** Methods that may answer `input_required` (MRTR). */
const ASKING = new Set(["tools/call", "prompts/get", "resources/read"]);

function handlerFor(host: ModernHost, method: string): MethodHandler | undefined {
  if (REMOVED.has(method)) return undefined;
  if (method === "server/discover") return () => discover(host);
  // Streams, so serveModern answers it itself; this only marks the method as known.
  if (method === "subscriptions/listen") return () => EMPTY;
  const gate = GATES[method];
  if (gate && host.capabilities()[gate] === undefined) return undefined;
  return Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
}

function decorate(host: ModernHost, method: string, params: JsonObject, result: JsonObject): JsonObject {
  const meta = { ...(result._meta as JsonObject | undefined), [`${MCP}serverInfo`]: serverInfo(host.info) };
  const out: JsonObject = { ...result, resultType: "complete", _meta: meta };
  if (CACHEABLE.has(method)) {
    let hint: { ttlMs?: number; scope?: string } = host.listCache;
    if (method === "resources/read") {
      const cache = typeof params.uri === "string" ? findResource(host, params.uri)?.definition.cache : undefined;
      hint = { ttlMs: cache?.ttlMs ?? 0, scope: cache?.scope ?? "private" };
    }
    out.ttlMs = hint.ttlMs;
    out.cacheScope = hint.scope;
  }
  return out;
}

function serverInfo(info: Implementation): JsonObject {
  return { name: info.name, version: info.version };
}

/** HTTP status of a 2026-07-28 error response. */
function statusOf(response: JsonRpcResponse): number {
  if (!("error" in response)) return 200;
  const code = response.error.code;
  if (code === ErrorCode.MethodNotFound) return 404;
  if (code === ErrorCode.HeaderMismatch || code === ErrorCode.MissingCapability || code === ErrorCode.UnsupportedVersion) return 400;
  return 200;
}

/** The parsed `_meta` envelope of a 2026-07-28 request. */
export interface Envelope {
  version: string;
  capabilities: ClientCapabilities;
  logLevel: LogLevel | undefined;
}

function envelope(params: JsonObject): Envelope {
  const meta = params._meta as JsonObject;
  const version = meta[`${MCP}protocolVersion`];
  const capabilities = meta[`${MCP}clientCapabilities`];
  if (typeof version !== "string") {
    throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params: _meta["${MCP}protocolVersion"] must be a string`);
  }
  if (typeof capabilities !== "object" || capabilities === null || Array.isArray(capabilities)) {
    throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params: _meta["${MCP}clientCapabilities"] must be an object`);
  }
  const logLevel = meta[`${MCP}logLevel`];
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params: _meta["${MCP}logLevel"] must be one of ${LOG_LEVELS.join(", ")}`);
  }
  return { version, capabilities: capabilities as ClientCapabilities, logLevel: logLevel as LogLevel | undefined };
}

/**
 * Validates a 2026-07-28 request in the order the official SDK does:
 * envelope (-32602), version header against body (-32020), version
 * (-32022), `Mcp-Method`/`Mcp-Name` (-32020), method (-32601),
 * `Mcp-Param-*` (-32020).
 *
 * @returns the handler and envelope
 * @throws {JsonRpcError} the first failed rule; see {@linkcode statusOf} for its HTTP status
 */
export function validateModern(
  host: ModernHost,
  headers: IncomingHeaders,
  request: JsonRpcRequest,
): { handler: MethodHandler; envelope: Envelope } {
  const params = request.params ?? EMPTY;
  const env = envelope(params);
  const header = headers["mcp-protocol-version"];
  if (typeof header !== "string") throw new JsonRpcError(ErrorCode.HeaderMismatch, "Header mismatch: MCP-Protocol-Version is missing");
  if (header.trim() !== env.version) {
    throw new JsonRpcError(ErrorCode.HeaderMismatch, "Header mismatch: MCP-Protocol-Version does not match the body's protocolVersion");
  }
  if (!(MODERN_VERSIONS as readonly string[]).includes(env.version)) throw unsupportedVersion(env.version);
  checkMethodHeaders(headers, request.method, params);
  const handler = findHandler(host, request.method);
  if (request.method === "tools/call" && typeof params.name === "string") {
    const tool = host.tools.get(params.name);
    if (tool) checkParamHeaders(headers, paramHeaders(tool.listing.inputSchema as JsonObject), params.arguments);
  }
  return { handler, envelope: env };
}

/**
 * Validates a 2026-07-28 request where there are no headers (stdio):
 * envelope (-32602), version (-32022), method (-32601).
 */
export function validateModernBody(
  host: ModernHost,
  request: JsonRpcRequest,
): { handler: MethodHandler; envelope: Envelope } {
  const env = envelope(request.params ?? EMPTY);
  if (!(MODERN_VERSIONS as readonly string[]).includes(env.version)) throw unsupportedVersion(env.version);
  return { handler: findHandler(host, request.method), envelope: env };
}

function findHandler(host: ModernHost, method: string): MethodHandler {
  const handler = handlerFor(host, method);
  if (!handler) throw new JsonRpcError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
  return handler;
}

/** A 2026-07-28 request's own session: nothing outlives the request. */
export function requestSession(env: Envelope, params: JsonObject, principal: unknown): Session {
  const session = new Session("");
  session.modern = true;
  session.initialized = true;
  session.protocolVersion = env.version;
  session.clientCapabilities = env.capabilities;
  const info = (params._meta as JsonObject)[`${MCP}clientInfo`];
  if (typeof info === "object" && info !== null) session.clientInfo = info as Implementation;
  // No logLevel, no logs (2026-07-28 §logging).
  session.logLevel = env.logLevel;
  session.quiet = env.logLevel === undefined;
  session.auth = principal;
  session.authKey = principalKey(principal);
  return session;
}

/**
 * Opens what a retry brings (MRTR): its sealed `requestState` and its
 * answers, before anything is sent, so a bad state is a plain error.
 *
 * @throws {JsonRpcError} -32602 for a forged, tampered, expired or replayed `requestState`
 */
export async function prepareModern(host: ModernHost, session: Session, request: JsonRpcRequest): Promise<void> {
  const { method } = request;
  if (!ASKING.has(method)) return;
  const params = request.params ?? EMPTY;
  const state = params.requestState === undefined
    ? undefined
    : await host.states.open(params.requestState, method, await paramsDigest(params), session.authKey);
  session.broker = new InputBroker(state, params.inputResponses);
}

/**
 * Runs one validated 2026-07-28 request, transport aside: MRTR (questions
 * end the run with `input_required`), and `resultType`, `serverInfo` and
 * cache hints on the result.
 *
 * @returns the response, or undefined when the request was cancelled
 */
export async function runModern(
  host: ModernHost,
  session: Session,
  request: JsonRpcRequest,
  handler: MethodHandler,
  channel: Channel,
): Promise<JsonRpcResponse | undefined> {
  const { id, method } = request;
  const params = request.params ?? EMPTY;
  const ran = dispatchRequest(host, session, request, channel, handler);
  const broker = session.broker;
  const outcome = broker ? await Promise.race([ran, broker.needed.then(() => "input" as const)]) : await ran;
  if (outcome === "input") {
    const requestState = await host.states.seal(method, await paramsDigest(params), session.authKey, broker!.answers, broker!.order);
    session.close(); // the run that asked stops here; the retry runs it again
    const meta = { [`${MCP}serverInfo`]: serverInfo(host.info) };
    return success(id, { resultType: "input_required", inputRequests: broker!.asked, requestState, _meta: meta });
  }
  const response = outcome as JsonRpcResponse | undefined;
  return response && "result" in response ? success(id, decorate(host, method, params, response.result)) : response;
}

/**
 * Serves one 2026-07-28 request over HTTP, in the session
 * {@linkcode requestSession} made for it: JSON, or SSE once the request has
 * progress or logs to send first.
 */
export async function serveModern(
  host: ModernHost,
  req: HttpRequest,
  res: HttpResponse,
  accept: Accepts,
  request: JsonRpcRequest,
  handler: MethodHandler,
  session: Session,
): Promise<void> {
  const { id, method } = request;
  host.track(session);
  // A client that closes the stream cancels the request (2026-07-28 §transports).
  res.once("close", () => {
    if (!res.writableFinished) session.cancelled = true;
    session.close();
  });
  if (method === "subscriptions/listen") {
    if (!accept.sse) {
      sendJson(res, 406, failure(id, new JsonRpcError(ErrorCode.InvalidRequest, "Not acceptable: subscriptions/listen answers text/event-stream")));
      return;
    }
    let stream: SseWriter | undefined;
    try {
      openListen(host, request, session, (message) => {
        stream ??= new SseWriter(res, host.streamOptions);
        stream.send({ data: serialize(message) });
      });
    } catch (error) {
      sendJson(res, 200, failure(id, error));
      return;
    }
    session.onClose(() => stream?.close());
    return;
  }
  try {
    await prepareModern(host, session, request);
  } catch (error) {
    sendJson(res, 400, failure(id, error));
    session.close();
    return;
  }
  const reply = new Reply({
    res,
    headers: req.headers,
    accept,
    session,
    streamOptions: host.streamOptions,
    table: undefined,
    expected: 1,
    batch: false,
    status: (responses) => statusOf(responses[0]!),
  });
  reply.answer(await runModern(host, session, request, handler, reply));
  session.close();
}

/**
 * `subscriptions/listen`: acknowledges what the stream will carry, then
 * carries it, each notification tagged with the subscription id, until the
 * session of the request closes. A graceful end (the server shutting down)
 * sends the request's `complete` result; a cancelled one sends nothing.
 *
 * @param write sends one message down the stream
 * @throws {JsonRpcError} -32602 for malformed params
 */
export function openListen(
  host: ModernHost,
  request: JsonRpcRequest,
  session: Session,
  write: (message: JsonRpcMessage) => void,
): void {
  const { id } = request;
  const wanted = (request.params ?? EMPTY).notifications as JsonObject | undefined;
  if (typeof wanted !== "object" || wanted === null || Array.isArray(wanted)) {
    throw new JsonRpcError(ErrorCode.InvalidParams, 'Invalid params: "notifications" must be an object');
  }
  const caps = host.capabilities();
  const honoured: JsonObject = {};
  if (wanted.toolsListChanged === true && caps.tools) honoured.toolsListChanged = true;
  if (wanted.promptsListChanged === true && caps.prompts) honoured.promptsListChanged = true;
  if (wanted.resourcesListChanged === true && caps.resources) honoured.resourcesListChanged = true;
  const uris = Array.isArray(wanted.resourceSubscriptions) && caps.resources
    ? wanted.resourceSubscriptions.filter((u): u is string => typeof u === "string")
    : undefined;
  if (uris) honoured.resourceSubscriptions = uris;
  const meta = { [`${MCP}subscriptionId`]: id };
  // Nothing may precede the acknowledgement (2026-07-28 §subscriptions).
  write({ jsonrpc: "2.0", method: "notifications/subscriptions/acknowledged", params: { notifications: honoured, _meta: meta } });
  const watched = new Set(uris);
  const stop = host.subscribe((event) => {
    const method = event.type === "resource"
      ? watched.has(event.uri) ? "notifications/resources/updated" : undefined
      : honoured[`${event.type}ListChanged`] ? `notifications/${event.type}/list_changed` : undefined;
    if (!method) return;
    write({ jsonrpc: "2.0", method, params: event.type === "resource" ? { uri: event.uri, _meta: meta } : { _meta: meta } });
  });
  session.onClose(() => {
    stop();
    if (!session.cancelled) write(success(id, { resultType: "complete", _meta: meta }));
  });
}
