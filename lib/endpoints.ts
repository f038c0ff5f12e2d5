/**
 * The HTTP face of a server: its routes, and the gate every MCP request
 * passes (shutdown, Host/Origin, CORS, authentication) before it reaches a
 * transport.
 *
 * @module
 */
import { authenticateRequest } from "./auth.ts";
import type { ResourceMetadata } from "./auth.ts";
import type { ModernHost } from "./modern.ts";
import type { ServerOptions } from "./options.ts";
import type { Cluster } from "./cluster/cluster.ts";
import { isForwarded } from "./cluster/remote.ts";
import { corsHeaders, preflight } from "./cors.ts";
import { ErrorCode, HttpError, httpError } from "./errors.ts";
import { MemoryEventStore } from "./event_store.ts";
import { createGuard } from "./guard.ts";
import { byteLength, sendError, sendJson, sendResponse } from "./http.ts";
import { servePlayground } from "./playground.ts";
import { Router } from "./router.ts";
import { LegacySseTransport } from "./transports/sse.ts";
import { StreamableHttpTransport } from "./transports/streamable.ts";
import type { HttpRequest, HttpResponse } from "./http.ts";

/** How the endpoints are laid out and guarded: the HTTP part of {@linkcode ServerOptions}. */
export type EndpointOptions = Pick<
  ServerOptions,
  | "basePath"
  | "stateless"
  | "eventStore"
  | "allowedHosts"
  | "allowedOrigins"
  | "cors"
  | "authenticate"
  | "resourceMetadata"
  | "eras"
  | "playground"
>;

/** Finds the session id a request names, where its endpoint takes one; `search` is the query string. */
type SessionOf = (req: HttpRequest, search: string) => string | null | undefined;
const byQuery: SessionOf = (_req, search) => search === "" ? null : new URLSearchParams(search).get("sessionId");
const byHeader: SessionOf = (req) => req.headers["mcp-session-id"] as string | undefined;

/**
 * A route handler of your own, served beside the MCP endpoints. A returned
 * Web `Response` is sent as it is (through either door), an object or array
 * becomes a JSON response, a string a text response; return nothing after
 * writing to `res` yourself.
 */
export type RouteHandler = {
  // A method, so that a handler written for `node:http`'s own types still fits.
  route(req: HttpRequest, res: HttpResponse, params: Record<string, string>): unknown;
}["route"];

/** A route; `search` is the query string without its "?" (parsed only by the routes that read it). */
type Handler = (req: HttpRequest, res: HttpResponse, params: Record<string, string>, search: string) => unknown;
type McpHandler = (req: HttpRequest, res: HttpResponse, search: string, principal: unknown) => unknown;

function normaliseBase(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  if (trimmed !== "" && !trimmed.startsWith("/")) {
    throw new TypeError(`Cannot use basePath "${base}": it must start with "/"`);
  }
  return trimmed;
}

/** The router with the MCP endpoints on it, and the user's routes beside them. */
export class Endpoints {
  /** Set while the server shuts down: MCP requests get 503. */
  closing = false;
  #router = new Router<Handler>();
  #legacy: LegacySseTransport;
  #streamable: StreamableHttpTransport;
  #host: ModernHost;
  /** Serves the playground when `path` is its path; answers whether it did. */
  #playground: ((req: HttpRequest, res: HttpResponse, path: string) => boolean) | undefined;

  /**
   * @param host the server
   * @param options layout, resumption, guard, CORS and authentication
   */
  constructor(host: ModernHost, options: EndpointOptions, cluster?: Cluster) {
    this.#host = host;
    const base = normaliseBase(options.basePath ?? "");
    const guard = createGuard({ allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins });
    const cors = options.cors === true ? {} : options.cors || undefined;
    const { authenticate, resourceMetadata } = options;
    const metadataPaths = resourceMetadata ? metadataLocations(resourceMetadata, base) : undefined;

    const legacy = this.#legacy = new LegacySseTransport(host, base);
    const modernOnly = options.eras === "modern";
    const streamable = this.#streamable = new StreamableHttpTransport(host, {
      eras: options.eras,
      // Only 2026-07-28 means no sessions at all: GET and DELETE answer 405.
      stateless: options.stateless || modernOnly,
      eventStore: options.eventStore === false ? undefined : options.eventStore ?? new MemoryEventStore(),
      legacyGet: modernOnly ? undefined : (req, res, principal) => legacy.open(req, res, principal),
    });

    const methods = new Map<string, string[]>();
    const held = (id: string) => legacy.has(id) || streamable.has(id);
    const mcp = (method: string, path: string, handler: McpHandler, sessionOf?: SessionOf) => {
      const full = `${base}${path}`;
      methods.set(full, [...methods.get(full) ?? [], method]);
      const waits = authenticate !== undefined || (cluster !== undefined && sessionOf !== undefined);
      const admitted = async (req: HttpRequest, res: HttpResponse, search: string) => {
        const principal = authenticate ? await authenticateRequest(authenticate, req, metadataPaths?.url(req)) : undefined;
        if (cluster && sessionOf && !isForwarded(req)) {
          // A session another instance holds: served there (the owner checks the principal again).
          const id = sessionOf(req, search);
          if (id && !held(id)) {
            const local = await cluster.forward(id, req, res, full);
            if (!local) return;
            req = local;
          }
        }
        return handler(req, res, search, principal);
      };
      this.#router.add(method, full, (req, res, _params, search) => {
        const forbidden = guard(req);
        // Only an origin the guard admits is named in CORS headers, so a refused page cannot read the refusal.
        if (cors && !forbidden) corsHeaders(req, res);
        const refused = forbidden ?? (this.closing
          ? httpError(503, ErrorCode.InvalidRequest, "Service unavailable: the server is shutting down", { "retry-after": "5", connection: "close" })
          : undefined);
        if (refused) return sendError(res, refused);
        // Without authentication or a cluster nothing waits here: straight on to the transport.
        return waits ? admitted(req, res, search) : handler(req, res, search, undefined);
      });
    };
    if (!modernOnly) {
      mcp("GET", "/sse", (req, res, _q, principal) => legacy.open(req, res, principal));
      mcp("POST", "/messages", (req, res, search, principal) => legacy.post(req, res, byQuery(req, search), principal), byQuery);
    }
    mcp("POST", "/mcp", (req, res, _q, principal) => streamable.post(req, res, principal), streamable.stateless ? undefined : byHeader);
    if (!streamable.stateless) {
      mcp("GET", "/mcp", (req, res, _q, principal) => streamable.get(req, res, principal), byHeader);
      mcp("DELETE", "/mcp", (req, res, _q, principal) => streamable.delete(req, res, principal), byHeader);
    }
    if (cors) {
      for (const [path, allowed] of methods) {
        this.#router.add("OPTIONS", path, (req, res) => {
          const refused = guard(req);
          if (refused) return sendError(res, refused);
          preflight(req, res, [...allowed, "OPTIONS"], cors);
        });
      }
    }
    // --- playground: a fallback consulted only when no route matched (see handle()), so a
    // route of the user's on its path wins whether it was added before or after.
    const page = options.playground === true ? {} : options.playground || undefined;
    if (page) {
      if (modernOnly) throw new TypeError('Cannot serve the playground: it needs /sse, which eras: "modern" turns off');
      const at = normaliseBase(page.path ?? base) || "/";
      this.#playground = (req, res, path) => {
        if ((req.method !== "GET" && req.method !== "HEAD") || (path.replace(/\/+$/, "") || "/") !== at) return false;
        const refused = guard(req);
        if (refused) sendError(res, refused);
        else servePlayground(req, res, { basePath: base, public: page.public });
        return true;
      };
    }
    // --- end playground
    if (resourceMetadata && metadataPaths) {
      // RFC 9728 §3: at the root, and with the resource's path appended (2025-11-25 clients try both).
      for (const path of new Set([metadataPaths.root, metadataPaths.suffixed])) {
        this.#router.add("GET", path, (req, res) => {
          if (cors) corsHeaders(req, res);
          sendJson(res, 200, { ...resourceMetadata, resource: metadataPaths.resource(req) });
        });
      }
    }
  }

  /** Adds a route of the user's. */
  route(method: string, path: string, handler: RouteHandler): void {
    this.#router.add(method, path, async (req, res, params) => {
      const value = await handler(req, res, params);
      if (res.headersSent || res.writableEnded || value === undefined) return;
      if (typeof Response === "function" && value instanceof Response) return sendResponse(res, value);
      if (typeof value === "string") {
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": byteLength(value) });
        res.end(value);
      } else sendJson(res, 200, value);
    });
  }

  /**
   * Serves one request.
   *
   * @returns while the request's work outlives its response (an HTTP+SSE
   *   call answered 202 before it runs), a promise of that work's end, which
   *   the `fetch` door hands to a Worker's `waitUntil`
   */
  handle(req: HttpRequest, res: HttpResponse): Promise<void> | undefined {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const match = this.#router.match(req.method ?? "GET", path);
    if (match.status === 404) {
      if (!this.#playground?.(req, res, path)) sendError(res, httpError(404, ErrorCode.InvalidRequest, `Not found: ${req.method} ${path}`));
      return undefined;
    }
    if (match.status === 405) {
      const allow = match.allow.join(", ");
      sendError(res, httpError(405, ErrorCode.InvalidRequest, `Method not allowed: ${path} accepts ${allow}`, { allow }));
      return undefined;
    }
    try {
      const done = match.value(req, res, match.params, q === -1 ? "" : url.slice(q + 1));
      if (done instanceof Promise) return done.then(() => {}, (error) => this.#fail(req, res, path, error));
    } catch (error) {
      this.#fail(req, res, path, error);
    }
    return undefined;
  }

  /** Answers a route that threw; anything but an HttpError is unexpected, and reported. */
  #fail(req: HttpRequest, res: HttpResponse, path: string, error: unknown): void {
    if (!(error instanceof HttpError)) this.#host.reportError(error, `${req.method} ${path}`);
    sendError(res, error);
  }

  /** The ids of the sessions both transports hold (what a cluster instance renews on its bus). */
  sessionIds(): string[] {
    return [...this.#legacy.ids(), ...this.#streamable.ids()];
  }

  /** Ends every session of both transports; streams get a `retry:` hint when `retryMs` is given. */
  closeAll(retryMs?: number): void {
    this.#legacy.closeAll(retryMs);
    this.#streamable.closeAll(retryMs);
  }
}

/** The origin a request reached, as the client named it. */
function originOf(req: HttpRequest): string {
  const proto = req.headers["x-forwarded-proto"] ?? ((req.socket as { encrypted?: boolean }).encrypted ? "https" : "http");
  return `${String(proto).split(",")[0]!.trim()}://${req.headers.host ?? "localhost"}`;
}

/**
 * Where the RFC 9728 document lives. With `resource` configured, its URL is
 * fixed; without it, the resource is this server's `/mcp` as each request
 * reached it (handy behind a proxy or on a port picked at start).
 */
function metadataLocations(metadata: ResourceMetadata, base: string) {
  const root = "/.well-known/oauth-protected-resource";
  let fixed: URL | undefined;
  if (metadata.resource !== undefined) {
    try {
      fixed = new URL(metadata.resource);
    } catch {
      throw new TypeError(`Cannot serve resource metadata: "resource" must be an absolute URL, not ${JSON.stringify(metadata.resource)}`);
    }
  }
  const path = fixed && fixed.pathname !== "/" ? fixed.pathname.replace(/\/+$/, "") : `${base}/mcp`;
  const origin = (req: HttpRequest) => fixed?.origin ?? originOf(req);
  return {
    root,
    suffixed: `${root}${path}`,
    url: (req: HttpRequest) => `${origin(req)}${root}${path}`,
    resource: (req: HttpRequest) => metadata.resource ?? `${origin(req)}${path}`,
  };
}
