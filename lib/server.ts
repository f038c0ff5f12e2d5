/**
 * `createServer()`: one registry of tools served over every transport, as a
 * `(req, res)` handler for any `node:http` server or through `listen()`.
 *
 * @module
 */
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { logPasses } from "./context.ts";
import { canComplete } from "./completion.ts";
import type { Core } from "./core.ts";
import { ErrorCode, httpError } from "./errors.ts";
import { DEFAULT_MAX_BODY_BYTES, sendError, sendJson } from "./http.ts";
import { Registry } from "./registry.ts";
import type { Registered } from "./registry.ts";
import { Router } from "./router.ts";
import type { Session } from "./session.ts";
import type { SseWriterOptions } from "./sse.ts";
import { definePrompt } from "./prompts.ts";
import type { Prompt, PromptDefinition, PromptFunction } from "./prompts.ts";
import { defineResource, defineResourceTemplate } from "./resources.ts";
import type {
  Resource,
  ResourceDefinition,
  ResourceReader,
  ResourceTemplate,
  ResourceTemplateDefinition,
} from "./resources.ts";
import { defineTool } from "./tools.ts";
import type { Tool, ToolDefinition, ToolFunction } from "./tools.ts";
import { MemoryEventStore } from "./event_store.ts";
import type { EventStore } from "./event_store.ts";
import { createGuard } from "./guard.ts";
import type { GuardOptions } from "./guard.ts";
import { LegacySseTransport } from "./transports/sse.ts";
import { StreamableHttpTransport } from "./transports/streamable.ts";
import type { Icon, Implementation, JsonObject, LogLevel } from "./types.ts";

/** Options of {@linkcode createServer}. */
export interface ServerOptions {
  /** The server's name, sent as `serverInfo.name`. */
  name: string;
  /** The server's version, sent as `serverInfo.version`. */
  version: string;
  /** A display name (2025-06-18). */
  title?: string;
  /** A description (2025-11-25). */
  description?: string;
  /** The project's web site (2025-11-25). */
  websiteUrl?: string;
  /** Icons (2025-11-25). */
  icons?: Icon[];
  /** A hint for the model on how to use this server, sent in `initialize`. */
  instructions?: string;
  /** Prefix of every MCP endpoint, e.g. `/tools` serves `/tools/sse`. Default: none. */
  basePath?: string;
  /** Largest request body accepted, in bytes. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Milliseconds between SSE keep-alive comments; 0 turns them off. Default 15000. */
  keepAliveMs?: number;
  /** Bytes a slow SSE reader may leave unread before it is cut off. Default 4 MiB. */
  maxQueuedBytes?: number;
  /** Milliseconds a tool waits for the client's answer to sampling, elicitation or roots. Default 300000. */
  requestTimeoutMs?: number;
  /** Entries per page of the list methods. Default 100. */
  pageSize?: number;
  /** Called when a client sends `notifications/roots/list_changed`. */
  onRootsChanged?: (sessionId: string) => void;
  /** Streamable HTTP without sessions: every POST stands alone; GET and DELETE answer 405. Default false. */
  stateless?: boolean;
  /**
   * Where Streamable HTTP keeps sent events for clients that resume with
   * `Last-Event-ID`. Default: a bounded in-memory store; `false` turns
   * resumption (and SSE polling) off.
   */
  eventStore?: EventStore | false;
  /** `Host` names allowed to reach the MCP endpoints; see {@linkcode GuardOptions}. */
  allowedHosts?: string[];
  /** Origins allowed to reach the MCP endpoints; see {@linkcode GuardOptions}. */
  allowedOrigins?: string[];
}

/**
 * A route handler of your own, served beside the MCP endpoints. A returned
 * object or array becomes a JSON response, a string a text response; return
 * nothing after writing to `res` yourself.
 */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => unknown;

/** Options of {@linkcode McpServer.listen}. */
export interface ListenOptions {
  /** The port; 0 picks a free one. Default 3000. */
  port?: number;
  /** The interface to bind. Default `127.0.0.1` (loopback only). */
  hostname?: string;
}

/** What {@linkcode McpServer.listen} resolves to. */
export interface Listening {
  /** The base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The bound port. */
  port: number;
  /** Stops the server; the same as {@linkcode McpServer.close}. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, query: URLSearchParams) => unknown;

/**
 * An MCP server: register tools, then serve them.
 *
 * Create one with {@linkcode createServer}.
 */
export class McpServer implements Core {
  /** `serverInfo` as sent to clients. */
  readonly info: Implementation;
  readonly instructions: string | undefined;
  readonly tools: Registry<Tool> = new Registry("tool");
  readonly resources: Registry<Resource> = new Registry("resource");
  readonly templates: Registry<ResourceTemplate> = new Registry("resource template");
  readonly prompts: Registry<Prompt> = new Registry("prompt");
  readonly pageSize: number;
  readonly requestTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly streamOptions: SseWriterOptions;
  readonly onRootsChanged: ((session: Session) => void) | undefined;

  #router = new Router<Handler>();
  #sessions = new Set<Session>();
  #legacy: LegacySseTransport;
  #streamable: StreamableHttpTransport;
  #http: HttpServer | undefined;

  /** @param options see {@linkcode ServerOptions} */
  constructor(options: ServerOptions) {
    if (!options || typeof options.name !== "string" || typeof options.version !== "string") {
      throw new TypeError("Cannot create server: options.name and options.version must be strings");
    }
    const { name, version, title, description, websiteUrl, icons } = options;
    this.info = { name, version };
    if (title !== undefined) this.info.title = title;
    if (description !== undefined) this.info.description = description;
    if (websiteUrl !== undefined) this.info.websiteUrl = websiteUrl;
    if (icons !== undefined) this.info.icons = icons;
    this.instructions = options.instructions;
    this.pageSize = options.pageSize ?? 100;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) {
      throw new RangeError(`Cannot create server: pageSize must be a positive integer, not ${options.pageSize}`);
    }
    this.requestTimeoutMs = options.requestTimeoutMs ?? 300_000;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.streamOptions = { keepAliveMs: options.keepAliveMs, maxQueuedBytes: options.maxQueuedBytes };
    const hook = options.onRootsChanged;
    this.onRootsChanged = hook && ((session) => hook(session.id));

    const base = normaliseBase(options.basePath ?? "");
    const guard = createGuard({ allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins });
    const mcp = (method: string, path: string, handler: Handler) =>
      this.#router.add(method, `${base}${path}`, (req, res, params, query) => {
        const refused = guard(req);
        return refused ? sendError(res, refused) : handler(req, res, params, query);
      });
    const legacy = this.#legacy = new LegacySseTransport(this, base);
    mcp("GET", "/sse", (req, res) => legacy.open(req, res));
    mcp("POST", "/messages", (req, res, _p, query) => legacy.post(req, res, query));
    const streamable = this.#streamable = new StreamableHttpTransport(this, {
      stateless: options.stateless,
      eventStore: options.eventStore === false ? undefined : options.eventStore ?? new MemoryEventStore(),
      legacyGet: (req, res) => legacy.open(req, res),
    });
    mcp("POST", "/mcp", (req, res) => streamable.post(req, res));
    if (!streamable.stateless) {
      mcp("GET", "/mcp", (req, res) => streamable.get(req, res));
      mcp("DELETE", "/mcp", (req, res) => streamable.delete(req, res));
    }

    this.tools.onChange(() => this.#broadcast("notifications/tools/list_changed"));
    const resourcesChanged = () => this.#broadcast("notifications/resources/list_changed");
    this.resources.onChange(resourcesChanged);
    this.templates.onChange(resourcesChanged);
    this.prompts.onChange(() => this.#broadcast("notifications/prompts/list_changed"));
  }

  /**
   * Registers a tool.
   *
   * @param name 1–128 characters of `A-Za-z0-9_-.`, unique
   * @param definition description, `inputSchema` (plain JSON Schema) and more
   * @param fn a plain (async) function of the validated arguments and a {@linkcode Context}
   * @returns a handle to disable, enable or remove the tool while clients are connected
   * @throws {TypeError} for a bad or duplicate name, or a schema that does not compile
   * @example
   * ```ts
   * server.tool("add", {
   *   inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
   * }, async ({ a, b }) => a + b);
   * ```
   */
  // deno-lint-ignore no-explicit-any
  tool<Args = any>(name: string, definition: ToolDefinition, fn: ToolFunction<Args>): Registered {
    return this.tools.add(name, defineTool(name, definition, fn as ToolFunction<never>));
  }

  /**
   * Registers a resource at a fixed URI.
   *
   * @param uri an absolute URI, e.g. `file:///README.md`
   * @param definition name, description, MIME type and more
   * @param read returns text, bytes, or resource contents
   * @returns a handle to disable, enable or remove the resource
   * @throws {TypeError} for a URI without a scheme, or one registered already
   * @example
   * ```ts
   * server.resource("config://app", { mimeType: "application/json" }, () => JSON.stringify(config));
   * ```
   */
  resource(uri: string, definition: ResourceDefinition, read: ResourceReader): Registered {
    return this.resources.add(uri, defineResource(uri, definition, read));
  }

  /**
   * Registers an RFC 6570 resource template; `read` gets the matched variables.
   *
   * @param uriTemplate e.g. `users://{id}/profile` or `file:///{+path}`
   * @param definition name, description, MIME type, and completers by variable
   * @param read returns text, bytes, or resource contents
   * @returns a handle to disable, enable or remove the template
   * @throws {TypeError} for a malformed template, or one registered already
   * @example
   * ```ts
   * server.resourceTemplate("users://{id}/profile", {}, ({ params }) => `User ${params.id}`);
   * ```
   */
  resourceTemplate(uriTemplate: string, definition: ResourceTemplateDefinition, read: ResourceReader): Registered {
    return this.templates.add(uriTemplate, defineResourceTemplate(uriTemplate, definition, read));
  }

  /**
   * Registers a prompt.
   *
   * @param name unique name
   * @param definition description and declared arguments (with optional completers)
   * @param fn returns a string, content, or messages
   * @returns a handle to disable, enable or remove the prompt
   * @throws {TypeError} for a missing name or one registered already
   * @example
   * ```ts
   * server.prompt("review", { arguments: [{ name: "code", required: true }] },
   *   ({ code }) => `Please review:\n${code}`);
   * ```
   */
  // deno-lint-ignore no-explicit-any
  prompt<Args = any>(name: string, definition: PromptDefinition, fn: PromptFunction<Args>): Registered {
    return this.prompts.add(name, definePrompt(name, definition, fn as PromptFunction<never>));
  }

  /**
   * Tells every session subscribed to `uri` that it changed
   * (`notifications/resources/updated`).
   */
  resourceUpdated(uri: string): void {
    for (const session of this.#sessions) {
      if (session.subscriptions.has(uri)) {
        session.send({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri } });
      }
    }
  }

  /**
   * Adds a route of your own beside the MCP endpoints.
   *
   * @param method an HTTP method, or `*`
   * @param path a path with optional `:param` segments
   * @param handler returns a JSON-able value, a string, or nothing after writing `res`
   * @throws {TypeError} when the route exists
   * @example
   * ```ts
   * server.route("GET", "/", () => ({ message: "Hello" }));
   * ```
   */
  route(method: string, path: string, handler: RouteHandler): this {
    this.#router.add(method, path, async (req, res, params) => {
      const value = await handler(req, res, params);
      if (res.headersSent || res.writableEnded || value === undefined) return;
      if (typeof value === "string") {
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(value) });
        res.end(value);
      } else sendJson(res, 200, value);
    });
    return this;
  }

  /**
   * Serves one HTTP request. Mount it in any `node:http` server:
   * `http.createServer(server.handler)`.
   */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const match = this.#router.match(req.method ?? "GET", path);
    if (match.status === 404) {
      sendError(res, httpError(404, ErrorCode.InvalidRequest, `Not found: ${req.method} ${path}`));
      return;
    }
    if (match.status === 405) {
      const allow = match.allow.join(", ");
      sendError(res, httpError(405, ErrorCode.InvalidRequest, `Method not allowed: ${path} accepts ${allow}`, { allow }));
      return;
    }
    const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
    try {
      const done = match.value(req, res, match.params, query);
      if (done instanceof Promise) done.catch((error) => sendError(res, error));
    } catch (error) {
      sendError(res, error);
    }
  };

  /** Number of open sessions, on every transport. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** @internal Counts a session until it closes. */
  track(session: Session): void {
    this.#sessions.add(session);
    session.onClose(() => this.#sessions.delete(session));
  }

  /** The capabilities sent in `initialize`, reflecting what is registered. */
  capabilities(): JsonObject {
    const caps: JsonObject = { logging: {} };
    if (canComplete(this)) caps.completions = {};
    if (this.prompts.size > 0) caps.prompts = { listChanged: true };
    if (this.resources.size > 0 || this.templates.size > 0) caps.resources = { subscribe: true, listChanged: true };
    if (this.tools.size > 0) caps.tools = { listChanged: true };
    return caps;
  }

  /**
   * Sends `notifications/message` to every session whose `logging/setLevel`
   * lets `level` through.
   */
  log(level: LogLevel, data: unknown, logger?: string): void {
    const params: JsonObject = { level, data };
    if (logger !== undefined) params.logger = logger;
    for (const session of this.#sessions) {
      if (session.initialized && logPasses(level, session.logLevel)) {
        session.send({ jsonrpc: "2.0", method: "notifications/message", params });
      }
    }
  }

  /**
   * Starts an HTTP server on `hostname:port`.
   *
   * @param options port (default 3000; 0 picks one) and hostname (default 127.0.0.1)
   * @returns the bound URL and a `close()`
   * @example
   * ```ts
   * const { url } = await server.listen({ port: 3000 });
   * console.log(`MCP server on ${url}/sse`);
   * ```
   */
  listen(options: ListenOptions = {}): Promise<Listening> {
    if (this.#http) return Promise.reject(new Error("Cannot listen: the server is already listening"));
    const { port = 3000, hostname = "127.0.0.1" } = options;
    const http = createHttpServer(this.handler);
    this.#http = http;
    return new Promise((resolve, reject) => {
      http.once("error", (error) => {
        this.#http = undefined;
        reject(error);
      });
      http.listen(port, hostname, () => {
        const address = http.address() as AddressInfo;
        const host = address.family === "IPv6" || address.family as unknown === 6 ? `[${address.address}]` : address.address;
        resolve({ url: `http://${host}:${address.port}`, port: address.port, close: () => this.close() });
      });
    });
  }

  /**
   * Ends every session (aborting their calls and closing their streams) and
   * stops the HTTP server started by {@linkcode McpServer.listen}. Resolves
   * promptly even with clients attached.
   */
  close(): Promise<void> {
    this.#legacy.closeAll();
    this.#streamable.closeAll();
    for (const session of this.#sessions) session.close();
    const http = this.#http;
    this.#http = undefined;
    if (!http) return Promise.resolve();
    return new Promise((resolve) => {
      http.close(() => resolve());
      http.closeIdleConnections?.();
      // Streams were ended above; sockets still busy after that are cut.
      setTimeout(() => http.closeAllConnections?.(), 100).unref();
    });
  }

  #broadcast(method: string): void {
    for (const session of this.#sessions) {
      if (session.initialized) session.send({ jsonrpc: "2.0", method });
    }
  }
}

function normaliseBase(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (trimmed !== "" && !trimmed.startsWith("/")) {
    throw new TypeError(`Cannot use basePath "${base}": it must start with "/"`);
  }
  return trimmed;
}

/**
 * Creates an MCP server.
 *
 * @param options name, version and transport settings; see {@linkcode ServerOptions}
 * @returns the server, ready for `tool()` and `listen()`
 * @example
 * ```ts
 * import { createServer } from "./mod.ts";
 * const server = createServer({ name: "demo", version: "1.0.0" });
 * server.tool("echo", {
 *   inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
 * }, async ({ text }) => text);
 * await server.listen({ port: 3000 });
 * ```
 */
export function createServer(options: ServerOptions): McpServer {
  return new McpServer(options);
}
