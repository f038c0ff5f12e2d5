/**
 * Everything `createServer()` can be told, with its defaults.
 *
 * @module
 */
import type { Authenticate, ResourceMetadata } from "./auth.ts";
import type { ClusterOptions } from "./cluster/cluster.ts";
import type { CorsOptions } from "./cors.ts";
import type { EventStore } from "./event_store.ts";
import type { PlaygroundOptions } from "./playground.ts";
import type { Implementation } from "./types.ts";

/**
 * Options of {@linkcode createServer}. `name`, `version` and the other
 * `Implementation` fields (`title` 2025-06-18; `description`, `websiteUrl`,
 * `icons` 2025-11-25) are sent as `serverInfo`.
 */
export interface ServerOptions extends Implementation {
  /** A hint for the model on how to use this server, sent in `initialize`. */
  instructions?: string;

  /** Prefix of every MCP endpoint, e.g. `/tools` serves `/tools/mcp` and `/tools/sse`. Default: none. */
  basePath?: string;
  /**
   * Which protocol eras `/mcp` serves: `"all"` (default) serves 2026-07-28
   * requests statelessly beside 2025 sessions; `"modern"` only 2026-07-28
   * (no sessions, no HTTP+SSE endpoints); `"legacy"` only the session eras.
   */
  eras?: "all" | "modern" | "legacy";
  /**
   * The key that seals 2026-07-28 `requestState` (MRTR). Every instance
   * behind one load balancer needs the same. Default: random per process.
   */
  stateSecret?: string | Uint8Array;
  /** Cache hints on 2026-07-28 discovery and list results. Default `{ ttlMs: 60000, scope: "public" }` (`"private"` with `authenticate`). */
  listCache?: { ttlMs?: number; scope?: "public" | "private" };
  /** Streamable HTTP without sessions: every POST stands alone; GET and DELETE answer 405. Default false. */
  stateless?: boolean;
  /**
   * Where Streamable HTTP keeps sent events for clients that resume with
   * `Last-Event-ID`. Default: a bounded in-memory store; `RedisEventStore`
   * keeps them in Redis; `false` turns resumption (and SSE polling) off.
   */
  eventStore?: EventStore | false;

  /**
   * Several instances behind one load balancer, sharing sessions through a
   * bus: a request for a session another instance holds is forwarded to it,
   * so no sticky sessions are needed. Default: none (one instance). Give
   * the instances one `stateSecret` too.
   *
   * @example
   * ```ts ignore
   * createServer({ name: "demo", version: "1.0.0", cluster: { bus: new RedisBus({ client, subscriber }) } });
   * ```
   */
  cluster?: ClusterOptions;

  /** `Host` names allowed to reach the MCP endpoints. Default: loopback names on a loopback address, else any. `[]` refuses all. */
  allowedHosts?: string[];
  /** `Origin`s allowed (`*` for any). Default: loopback origins on a loopback address, and the server's own. `[]` refuses any request with an Origin. */
  allowedOrigins?: string[];
  /** CORS for browser clients: preflight on every MCP endpoint, `Mcp-Session-Id` exposed. Default off. */
  cors?: boolean | CorsOptions;
  /** Runs on every MCP request; returns the principal (reaching tools as `ctx.auth`) or refuses. Default: none. */
  authenticate?: Authenticate;
  /** RFC 9728 protected-resource metadata, served under `/.well-known/oauth-protected-resource`. */
  resourceMetadata?: ResourceMetadata;
  /**
   * A browser page for trying the server by hand (HTTP+SSE: live event log,
   * tool forms from `inputSchema`, progress, logs, elicitation, resources,
   * prompts). `true` serves it at `basePath` (or `/`); `{ path }` elsewhere.
   * It answers only requests that arrived on a loopback address unless
   * `public: true` (others get 404). A route of yours on the same path wins,
   * whether added before or after. Default off.
   *
   * @example
   * ```ts
   * createServer({ name: "demo", version: "1.0.0", playground: true }); // http://127.0.0.1:3000/
   * ```
   */
  playground?: boolean | PlaygroundOptions;

  /** Largest request body accepted, in bytes. Default 4 MiB. */
  maxBodyBytes?: number;
  /** Most sessions open at once; new ones get 503 with `Retry-After`. Default 10000. */
  maxSessions?: number;
  /** Milliseconds a Streamable HTTP session may stay idle (nothing running, no stream open) before it ends. Default 30 minutes; 0 never. */
  sessionIdleMs?: number;
  /** Requests one session may have running at once. Default 128. */
  maxInflightPerSession?: number;
  /** Milliseconds a tool may run before its signal aborts and it answers `isError`. Default 10 minutes; 0 never. */
  toolTimeoutMs?: number;
  /** Milliseconds a tool waits for the client's answer to sampling, elicitation or roots. Default 5 minutes. */
  requestTimeoutMs?: number;
  /** Milliseconds between SSE keep-alive comments; 0 turns them off. Default 15000. */
  keepAliveMs?: number;
  /** Bytes a slow SSE reader may leave unread before it is cut off. Default 4 MiB. */
  maxQueuedBytes?: number;
  /** Entries per page of the list methods. Default 100. */
  pageSize?: number;

  /** Called when a client sends `notifications/roots/list_changed`. */
  onRootsChanged?: (sessionId: string) => void;
  /**
   * Receives one line per session opened or closed and per request served
   * (`tools/call 7 ok 3ms session=…`), to watch traffic without a proxy.
   * Default: none. The examples turn it on with `DEBUG=emcee`.
   */
  logger?: (line: string) => void;
  /**
   * Receives unexpected errors: a method handler or route that threw
   * something other than a `JsonRpcError`. Clients only ever see
   * "Internal error". Default: `console.error`.
   */
  onError?: (error: unknown, where: string) => void;
}

/** Options of `McpServer.listen()`. */
export interface ListenOptions {
  /** The port; 0 picks a free one. Default 3000. */
  port?: number;
  /** The interface to bind. Default `127.0.0.1` (loopback only). */
  hostname?: string;
}

/** What `McpServer.listen()` resolves to. */
export interface Listening {
  /** The base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The bound port. */
  port: number;
  /** Stops the server; the same as `McpServer.close()`. */
  close(options?: CloseOptions): Promise<void>;
}

/** Options of `McpServer.close()`. */
export interface CloseOptions {
  /**
   * Milliseconds in-flight calls may take to finish before they are
   * aborted; new work is refused with 503 meanwhile. Default 0: abort at once.
   */
  deadline?: number;
}

/** Checks that an option is a whole number ≥ `min`. */
export function whole(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`Cannot create server: ${name} must be an integer >= ${min}, not ${value}`);
  }
  return v;
}
