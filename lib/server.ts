/**
 * `createServer()`: one registry of tools, resources and prompts, served
 * over every transport, as a `(req, res)` handler for any `node:http` server
 * or through `listen()`.
 *
 * @module
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Cluster } from "./cluster/cluster.ts";
import type { ClusterEvent } from "./cluster/cluster.ts";
import { canComplete } from "./completion.ts";
import { logPasses } from "./context.ts";
import type { ListCache, ModernHost, ServerEvent } from "./modern.ts";
import { RequestStates } from "./mrtr.ts";
import { Deadlines } from "./deadlines.ts";
import { Endpoints } from "./endpoints.ts";
import type { RouteHandler } from "./endpoints.ts";
import { ErrorCode, httpError } from "./errors.ts";
import { serveFetch } from "./fetch.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./http.ts";
import type { HttpRequest, HttpResponse } from "./http.ts";
import type { NoArguments, PromptArgs, ToolArgs, ToolHandler } from "./infer.ts";
import { whole } from "./options.ts";
import type { CloseOptions, Listening, ListenOptions, ServerOptions } from "./options.ts";
import { definePrompt } from "./prompts.ts";
import type { Prompt, PromptArgument, PromptDefinition, PromptFunction } from "./prompts.ts";
import { Registry } from "./registry.ts";
import type { Registered } from "./registry.ts";
import { defineResource, defineResourceTemplate } from "./resources.ts";
import type {
  Resource,
  ResourceDefinition,
  ResourceReader,
  ResourceTemplate,
  ResourceTemplateDefinition,
} from "./resources.ts";
import type { Session, SessionWatcher } from "./session.ts";
import type { SseWriterOptions } from "./sse.ts";
import { defineTool } from "./tools.ts";
import { serveStdio } from "./transports/stdio.ts";
import type { StdioOptions, StdioServing } from "./transports/stdio.ts";
import type { Tool, ToolDefinition, ToolFunction } from "./tools.ts";
import type { Implementation, JsonObject, LogLevel } from "./types.ts";

export type { CloseOptions, Listening, ListenOptions, RouteHandler, ServerOptions };

/** The reconnection delay streams are given when the server shuts down. */
const SHUTDOWN_RETRY_MS = 5000;

/**
 * An MCP server: register tools, resources and prompts, then serve them.
 *
 * Create one with {@linkcode createServer}.
 */
export class McpServer implements ModernHost {
  /** `serverInfo` as sent to clients. */
  readonly info: Implementation;
  readonly instructions: string | undefined;
  readonly tools: Registry<Tool> = new Registry("tool");
  readonly resources: Registry<Resource> = new Registry("resource");
  readonly templates: Registry<ResourceTemplate> = new Registry("resource template");
  readonly prompts: Registry<Prompt> = new Registry("prompt");
  readonly pageSize: number;
  readonly requestTimeoutMs: number;
  readonly toolTimeoutMs: number;
  readonly deadlines: Deadlines;
  readonly maxInflight: number;
  readonly maxBodyBytes: number;
  readonly streamOptions: SseWriterOptions;
  readonly onRootsChanged: ((session: Session) => void) | undefined;
  /** Seals and opens 2026-07-28 `requestState`. */
  readonly states: RequestStates;
  readonly listCache: ListCache;

  #endpoints: Endpoints;
  #sessions = new Set<Session>();
  #maxSessions: number;
  #idleMs: number;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #onError: (error: unknown, where: string) => void;
  /** The `logger` option. */
  readonly trace: ((line: string) => void) | undefined;
  #http: HttpServer | undefined;
  #listening = false;
  #listeners = new Set<(event: ServerEvent) => void>();
  // One watcher for every session: an idle session holds no closure of its own.
  #watcher: SessionWatcher = { sessionClosed: (session) => this.#untrack(session, false) };
  #sharedWatcher: SessionWatcher = { sessionClosed: (session) => this.#untrack(session, true) };
  #caps: { version: number; value: JsonObject } | undefined;
  #cluster: Cluster | undefined;

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
    this.pageSize = whole("pageSize", options.pageSize, 100, 1);
    this.requestTimeoutMs = whole("requestTimeoutMs", options.requestTimeoutMs, 300_000, 1);
    this.toolTimeoutMs = whole("toolTimeoutMs", options.toolTimeoutMs, 600_000);
    this.deadlines = new Deadlines(this.toolTimeoutMs);
    this.maxInflight = whole("maxInflightPerSession", options.maxInflightPerSession, 128, 1);
    this.maxBodyBytes = whole("maxBodyBytes", options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 1);
    this.#maxSessions = whole("maxSessions", options.maxSessions, 10_000, 1);
    this.#idleMs = whole("sessionIdleMs", options.sessionIdleMs, 30 * 60_000);
    this.streamOptions = {
      keepAliveMs: whole("keepAliveMs", options.keepAliveMs, 15_000),
      maxQueuedBytes: whole("maxQueuedBytes", options.maxQueuedBytes, 4 * 1024 * 1024, 1),
    };
    const hook = options.onRootsChanged;
    this.onRootsChanged = hook && ((session) => hook(session.id));
    this.trace = options.logger;
    this.#onError = options.onError ?? ((error, where) => console.error(`emcee: unexpected error in ${where}:`, error));
    this.states = new RequestStates(options.stateSecret);
    this.listCache = {
      ttlMs: whole("listCache.ttlMs", options.listCache?.ttlMs, 60_000),
      scope: options.listCache?.scope ?? (options.authenticate ? "private" : "public"),
    };
    if (options.cluster) {
      this.#cluster = new Cluster({
        maxBodyBytes: this.maxBodyBytes,
        maxQueuedBytes: this.streamOptions.maxQueuedBytes!,
        trace: this.trace,
        reportError: (error, where) => this.reportError(error, where),
        sessionIds: () => this.#endpoints.sessionIds(),
        serve: (req, res) => this.#endpoints.handle(req, res),
        apply: (event) => this.#apply(event),
      }, options.cluster);
    }
    this.#endpoints = new Endpoints(this, options, this.#cluster);

    // Announced only while a session or a listener is there to hear it.
    const heard = () => this.#sessions.size > 0 || this.#listeners.size > 0;
    this.tools.onChange(() => this.#changed("tools"), heard);
    this.resources.onChange(() => this.#changed("resources"), heard);
    this.templates.onChange(() => this.#changed("resources"), heard);
    this.prompts.onChange(() => this.#changed("prompts"), heard);
  }

  /**
   * Registers a tool. Written out in the call (no `as const` needed),
   * `inputSchema` types `fn`'s arguments and `outputSchema` its result; an
   * annotation on the arguments must fit a written-out schema, and is taken
   * as it is otherwise. See {@linkcode ToolHandler}.
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
  tool<const In extends JsonObject = NoArguments, const Out extends JsonObject = JsonObject, Args = ToolArgs<In>>(
    name: string,
    definition: ToolDefinition<In, Out>,
    fn: ToolHandler<In, Out, Args>,
  ): Registered {
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
   * Registers a prompt. Written out in the call, the declared arguments
   * type `fn`'s arguments: a string each, optional unless `required: true`.
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
  prompt<const A extends readonly PromptArgument[] = readonly PromptArgument[], Args = PromptArgs<A>>(
    name: string,
    definition: PromptDefinition<A>,
    fn: PromptFunction<Args>,
  ): Registered {
    return this.prompts.add(name, definePrompt(name, definition, fn as PromptFunction<never>));
  }

  /**
   * Tells every session subscribed to `uri` that it changed
   * (`notifications/resources/updated`), on every instance of a cluster.
   */
  resourceUpdated(uri: string): void {
    this.#apply({ type: "resource", uri });
    this.#cluster?.publish({ type: "resource", uri });
  }

  /** Applies a change here: this instance's, or one another instance of the cluster published. */
  #apply(event: ClusterEvent): void {
    if (event.type === "log") return this.#log(event.level, event.data, event.logger);
    const { uri } = event;
    for (const session of this.#sessions) {
      if (session.subscribed(uri)) {
        session.send({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri } });
      }
    }
    this.#emit({ type: "resource", uri });
  }

  /** @internal Calls `listener` on every change (for `subscriptions/listen`) until the returned function is called. */
  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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
    this.#endpoints.route(method, path, handler);
    return this;
  }

  /**
   * Serves one HTTP request. Mount it in any `node:http` server:
   * `http.createServer(server.handler)`.
   */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => void this.#endpoints.handle(req, res);

  /**
   * Serves one Web `Request`: the same endpoints, status codes, headers and
   * bytes as {@linkcode McpServer.handler}, for hosts that speak Fetch. A
   * detachable function: `Deno.serve(server.fetch)`,
   * `Bun.serve({ fetch: server.fetch })`, `export default { fetch: server.fetch }`.
   *
   * @param request the request
   * @param hostArgs what the host passes after it (Bun's server, used to keep SSE streams open; Deno's info)
   * @returns the response, resolved once its head is known (streams flow on after that)
   */
  readonly fetch = (request: Request, ...hostArgs: unknown[]): Promise<Response> =>
    serveFetch(this.#serve, request, hostArgs);

  #serve = (req: HttpRequest, res: HttpResponse): Promise<void> | undefined => this.#endpoints.handle(req, res);

  /** This instance's id in its cluster (undefined without the `cluster` option); forwarding log lines name it. */
  get instanceId(): string | undefined {
    return this.#cluster?.id;
  }

  /** Number of open sessions, on every transport (a stateless request counts while it runs). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * @internal Counts a session until it closes; a `shared` one (HTTP+SSE,
   * Streamable HTTP) is also registered on the cluster bus, to be reached through other instances.
   *
   * @returns in a cluster, settles once a shared session is registered: tell the client its id only then
   */
  track(session: Session, shared = false): Promise<void> | undefined {
    this.#sessions.add(session);
    if (session.id) this.trace?.(`session ${session.id} opened`);
    const claimed = shared ? this.#cluster?.claim(session.id) : undefined;
    session.onClose(shared ? this.#sharedWatcher : this.#watcher);
    if (this.#idleMs > 0 && !this.#sweeper) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.min(this.#idleMs / 2, 60_000));
      this.#sweeper.unref?.();
    }
    return claimed;
  }

  #untrack(session: Session, shared: boolean): void {
    this.#sessions.delete(session);
    if (session.id) this.trace?.(`session ${session.id} closed`);
    if (shared) this.#cluster?.release(session.id);
  }

  /** @internal Refuses a new session when full or shutting down. */
  admit(): void {
    if (this.#endpoints.closing || this.#sessions.size >= this.#maxSessions) {
      throw httpError(503, ErrorCode.InvalidRequest, "Service unavailable: no room for another session, try again later", {
        "retry-after": "5",
      });
    }
  }

  /** @internal Hands an unexpected error to `onError`. */
  reportError(error: unknown, where: string): void {
    try {
      this.#onError(error, where);
    } catch {
      // A failing error hook must not take the server down.
    }
  }

  /** The capabilities sent in `initialize`, reflecting what is registered (shared: do not change it). */
  capabilities(): JsonObject {
    // Every 2026-07-28 request asks (to gate its method): recompute only after the registries change.
    const version = this.listVersion;
    if (this.#caps?.version === version) return this.#caps.value;
    const caps: JsonObject = { logging: {} };
    if (canComplete(this)) caps.completions = {};
    if (this.prompts.size > 0) caps.prompts = { listChanged: true };
    if (this.resources.size > 0 || this.templates.size > 0) caps.resources = { subscribe: true, listChanged: true };
    if (this.tools.size > 0) caps.tools = { listChanged: true };
    this.#caps = { version, value: caps };
    return caps;
  }

  /**
   * Sends `notifications/message` to every session whose `logging/setLevel`
   * lets `level` through, on every instance of a cluster.
   */
  log(level: LogLevel, data: unknown, logger?: string): void {
    this.#log(level, data, logger);
    this.#cluster?.publish(logger === undefined ? { type: "log", level, data } : { type: "log", level, data, logger });
  }

  #log(level: LogLevel, data: unknown, logger?: string): void {
    const params: JsonObject = { level, data };
    if (logger !== undefined) params.logger = logger;
    for (const session of this.#sessions) {
      if (session.initialized && logPasses(level, session.logLevel)) {
        session.send({ jsonrpc: "2.0", method: "notifications/message", params });
      }
    }
  }

  /**
   * Starts an HTTP server on `hostname:port`, with Node's header and request
   * timeouts set against slow-loris clients (10 s for headers, 30 s for a
   * request body; SSE responses are not limited).
   *
   * @param options port (default 3000; 0 picks one) and hostname (default 127.0.0.1)
   * @returns the bound URL and a `close()`
   * @example
   * ```ts
   * const { url } = await server.listen({ port: 3000 });
   * console.log(`MCP server on ${url}/mcp`);
   * ```
   */
  async listen(options: ListenOptions = {}): Promise<Listening> {
    if (this.#listening) throw new Error("Cannot listen: the server is already listening");
    this.#listening = true;
    const { port = 3000, hostname = "127.0.0.1" } = options;
    try {
      // Imported here, so a server that is only ever served through `fetch` never loads node:http.
      const { createServer: createHttpServer } = await import("node:http");
      const http = createHttpServer(this.handler);
      http.headersTimeout = 10_000;
      http.requestTimeout = 30_000;
      this.#http = http;
      await new Promise<void>((resolve, reject) => {
        http.once("error", reject);
        http.listen(port, hostname, resolve);
      });
      const address = http.address() as AddressInfo;
      const host = address.family === "IPv6" || address.family as unknown === 6 ? `[${address.address}]` : address.address;
      return { url: `http://${host}:${address.port}`, port: address.port, close: (o) => this.close(o) };
    } catch (error) {
      this.#http = undefined;
      this.#listening = false;
      throw error;
    }
  }

  /**
   * Serves MCP over stdio, one JSON-RPC message per line: for clients that
   * launch the server as a command. Write logs to stderr, never stdout.
   *
   * @param options the streams; default this process's stdin and stdout
   * @returns a handle whose `closed` resolves when stdin ends
   * @example
   * ```ts
   * const { closed } = server.serveStdio();
   * await closed;
   * ```
   */
  serveStdio(options: StdioOptions = {}): StdioServing {
    // This process's own streams: stdio is Node's (or Deno's and Bun's node:process) by nature.
    const { process } = globalThis as unknown as { process: Required<Pick<StdioOptions, "stdin" | "stdout">> };
    return serveStdio(this, { stdin: options.stdin ?? process.stdin, stdout: options.stdout ?? process.stdout });
  }

  /**
   * Shuts down: refuses new work with 503, lets calls in flight finish until
   * `deadline` ms, then aborts them, ends every stream (with a `retry:` hint)
   * and session, and stops the HTTP server started by `listen()`. Resolves
   * within the deadline even with clients attached.
   *
   * @param options `deadline` in ms (default 0: abort at once)
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const deadline = Date.now() + (options.deadline ?? 0);
    this.#endpoints.closing = true;
    const http = this.#http;
    this.#http = undefined;
    this.#listening = false;
    const stopped = http && new Promise<void>((resolve) => http.close(() => resolve()));
    http?.closeIdleConnections?.();
    while (Date.now() < deadline && [...this.#sessions].some((s) => s.inflightCount > 0)) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(20, deadline - Date.now())));
    }
    this.#endpoints.closeAll(SHUTDOWN_RETRY_MS);
    for (const session of this.#sessions) session.close();
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.deadlines.stop();
    await this.#cluster?.stop();
    if (http) {
      // Streams were ended above; what is still busy a moment later is cut.
      const cut = setTimeout(() => http.closeAllConnections?.(), 50);
      await stopped;
      clearTimeout(cut);
    }
    this.#endpoints.closing = false;
  }

  #sweep(): void {
    const before = Date.now() - this.#idleMs;
    for (const session of this.#sessions) if (session.idleSince(before)) session.close();
  }

  /** @internal Grows with every change to tools, resources or prompts. */
  get listVersion(): number {
    return this.tools.version + this.resources.version + this.templates.version + this.prompts.version;
  }

  /**
   * A registry changed: `list_changed` to every session that initialized
   * before the change (the announcement comes a turn later, coalesced), and
   * to 2026-07-28 listeners.
   */
  #changed(type: "tools" | "prompts" | "resources"): void {
    const method = `notifications/${type}/list_changed`;
    const version = this.listVersion;
    for (const session of this.#sessions) {
      if (session.initialized && !session.modern && session.listVersion < version) session.send({ jsonrpc: "2.0", method });
    }
    this.#emit({ type });
  }

  #emit(event: ServerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.reportError(error, "subscriptions/listen");
      }
    }
  }
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
