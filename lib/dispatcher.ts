/**
 * The messages dispatcher: one JSON-RPC message in, at most one response
 * out. It knows the MCP methods and nothing of transports; a transport hands
 * it a session and a channel for messages related to the request.
 *
 * @module
 */
import { complete } from "./completion.ts";
import { contextOf, EMPTY, pageResult } from "./core.ts";
import type { Call, Core, MethodHandler } from "./core.ts";
import { ErrorCode, JsonRpcError, preview } from "./errors.ts";
import { failure, success } from "./jsonrpc.ts";
import { getPrompt, listPrompts } from "./prompts.ts";
import { listResources, listTemplates, readResource, subscribe, unsubscribe } from "./resources.ts";
import type { Channel, Session } from "./session.ts";
import { callTool } from "./tools.ts";
import { LOG_LEVELS } from "./types.ts";
import type {
  CallToolResult,
  ClientCapabilities,
  Implementation,
  JsonObject,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  LogLevel,
  RequestId,
} from "./types.ts";
import { Running } from "./running.ts";
import { negotiate } from "./versions.ts";

export type { Call, Core, MethodHandler } from "./core.ts";

function requireString(params: JsonObject, key: string): string {
  const value = params[key];
  if (typeof value !== "string") throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params: "${key}" must be a string`);
  return value;
}

function initialize({ core, session, params }: Call): JsonObject {
  if (session.initialized) {
    throw new JsonRpcError(ErrorCode.InvalidRequest, "Invalid request: the session is already initialized");
  }
  const capabilities = params.capabilities;
  session.protocolVersion = negotiate(params.protocolVersion);
  session.clientCapabilities = typeof capabilities === "object" && capabilities !== null
    ? capabilities as ClientCapabilities
    : {};
  session.clientInfo = params.clientInfo as Implementation | undefined;
  session.initialized = true;
  session.listVersion = core.listVersion;
  const result: JsonObject = {
    protocolVersion: session.protocolVersion,
    capabilities: core.capabilities(),
    serverInfo: core.info,
  };
  if (core.instructions !== undefined) result.instructions = core.instructions;
  return result;
}

function setLevel({ session, params }: Call): JsonObject {
  const level = params.level;
  if (!LOG_LEVELS.includes(level as LogLevel)) {
    throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params: "level" must be one of ${LOG_LEVELS.join(", ")}`);
  }
  session.logLevel = level as LogLevel;
  return EMPTY;
}

function listTools({ core, params }: Call): JsonObject {
  const page = core.tools.page(params.cursor, core.pageSize);
  return pageResult("tools", page.items.map((t) => t.listing), page.nextCursor);
}

async function callToolMethod(call: Call): Promise<JsonObject> {
  const name = requireString(call.params, "name");
  const tool = call.core.tools.get(name);
  // Unknown tool is a protocol error, -32602 (tools, 2024-11-05 onward).
  if (!tool) throw new JsonRpcError(ErrorCode.InvalidParams, `Unknown tool: "${name}"`);
  const ctx = contextOf(call);
  const ms = call.core.toolTimeoutMs;
  const run = callTool(tool, call.params.arguments, ctx);
  try {
    if (ms <= 0) return await run as unknown as JsonObject;
    // No timer per call: the server's deadline sweep aborts overdue calls (see Deadlines).
    const { running } = call;
    running.deadline = Date.now() + ms;
    call.core.deadlines.watch(running);
    return await new Promise<JsonObject>((resolve, reject) => {
      (run as unknown as Promise<JsonObject>).then(resolve, reject);
      running.onAbort = () => {
        run.catch(() => {}); // it may still settle; nobody listens then
        // A timeout answers isError; a cancellation answers nothing (the response is silenced).
        resolve(timeoutResult(name, ms) as unknown as JsonObject);
      };
    });
  } finally {
    call.core.deadlines.forget(call.running);
    const settled = ctx.settle(); // a promise only after progress was sent: most calls skip the extra turn
    if (settled) await settled;
  }
}

/** The methods every session-era server answers; features add theirs. */
export const METHODS: Record<string, MethodHandler> = {
  initialize,
  ping: () => EMPTY,
  "logging/setLevel": setLevel,
  "tools/list": listTools,
  "tools/call": callToolMethod,
  "resources/list": listResources,
  "resources/templates/list": listTemplates,
  "resources/read": readResource,
  "resources/subscribe": subscribe,
  "resources/unsubscribe": unsubscribe,
  "prompts/list": listPrompts,
  "prompts/get": getPrompt,
  "completion/complete": complete,
};

/** Methods a client may send before `initialize` is answered. */
const BEFORE_INIT = new Set(["initialize", "ping"]);

/**
 * Serves one request.
 *
 * @param core the server
 * @param session the client's session
 * @param request the request
 * @param channel where messages related to the request go, and its headers
 * @param resolved the handler, when the caller chose it (the 2026-07-28 method table)
 * @returns the response, or undefined when the client cancelled the request (no response is sent then)
 */
export async function dispatchRequest(
  core: Core,
  session: Session,
  request: JsonRpcRequest,
  channel: Channel,
  resolved?: MethodHandler,
): Promise<JsonRpcResponse | undefined> {
  const { id, method } = request;
  const handler = resolved ?? (Object.hasOwn(METHODS, method) ? METHODS[method] : undefined);
  const refused = !handler
    ? new JsonRpcError(ErrorCode.MethodNotFound, `Method not found: ${method}`)
    : !session.initialized && !BEFORE_INIT.has(method)
    ? new JsonRpcError(ErrorCode.InvalidRequest, `Cannot call ${method}: send initialize first`)
    : session.running(id)
    ? new JsonRpcError(ErrorCode.InvalidRequest, `Invalid request: id ${preview(id)} is already in use`)
    : session.inflightCount >= core.maxInflight
    ? new JsonRpcError(ErrorCode.InvalidRequest, `Too many requests in flight: this session may run ${core.maxInflight} at once`)
    : undefined;
  if (refused || !handler) {
    if (core.trace) trace(core, session, method, id, `error ${refused!.code}`, 0);
    return failure(id, refused);
  }
  const running = new Running();
  // initialize cannot be cancelled (2025-03-26 §Cancellation) and comes first: left untracked, a session
  // that never calls anything has no in-flight map.
  const tracked = method !== "initialize";
  if (tracked) session.inflight.set(id, running);
  const started = core.trace && Date.now();
  let outcome = "cancelled";
  try {
    const result = await handler({ core, session, id, params: request.params ?? EMPTY, running, channel });
    if (silenced(running, session)) return undefined;
    outcome = "ok";
    return success(id, result);
  } catch (error) {
    if (silenced(running, session)) return undefined;
    if (!(error instanceof JsonRpcError)) core.reportError(error, method);
    outcome = `error ${error instanceof JsonRpcError ? error.code : ErrorCode.InternalError}`;
    return failure(id, error);
  } finally {
    if (tracked && session.running(id) === running) session.inflight.delete(id);
    session.lastActive = Date.now();
    if (core.trace) trace(core, session, method, id, outcome, Date.now() - started!);
  }
}

/** One line for the `logger` option. */
function trace(core: Core, session: Session, method: string, id: RequestId, outcome: string, ms: number): void {
  const where = session.id ? ` session=${session.id}` : session.modern ? " 2026-07-28" : "";
  core.trace!(`${preview(method)} ${preview(id)} ${outcome} ${ms}ms${where}`);
}

/** Why a request was stopped by the client: its response is never sent (cancellation, 2024-11-05). */
class Cancelled extends Error {
  override name = "Cancelled";
}

/** A request cancelled by the client, or whose session ended, gets no response. */
function silenced(running: Running, session: Session): boolean {
  return session.closed || (running.aborted && running.reason instanceof Cancelled);
}

function timeoutResult(name: string, ms: number): CallToolResult {
  return { content: [{ type: "text", text: `Tool "${name}" timed out after ${ms} ms` }], isError: true };
}

/**
 * Handles one notification from the client. Never answers.
 *
 * @param session the client's session
 * @param notification the notification
 * @param hooks callbacks for notifications the server exposes
 */
export function dispatchNotification(
  session: Session,
  notification: JsonRpcNotification,
  hooks: { onRootsChanged?: (session: Session) => void } = {},
): void {
  const params = notification.params ?? EMPTY;
  switch (notification.method) {
    case "notifications/cancelled": {
      // Cancellation refers to a request in the same direction; unknown or finished ids are ignored.
      const requestId = params.requestId;
      if (typeof requestId !== "string" && typeof requestId !== "number") return;
      const running = session.running(requestId);
      if (running) {
        session.inflight.delete(requestId);
        running.abort(new Cancelled(`Cancelled by the client${typeof params.reason === "string" ? `: ${params.reason}` : ""}`));
      }
      return;
    }
    case "notifications/roots/list_changed":
      hooks.onRootsChanged?.(session);
      return;
    default:
      // notifications/initialized, notifications/progress and unknown ones need no action.
      return;
  }
}
