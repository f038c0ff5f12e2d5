/**
 * The client side of both MCP transports, as lean as a load generator needs:
 *
 * - HTTP+SSE (2024-11-05): `GET /sse`, read the `endpoint` event, POST each
 *   message there; replies arrive on the stream as `event: message` and are
 *   matched to their request by id.
 * - Streamable HTTP (2025-11-25): `POST /mcp` initialize (keeping the
 *   `mcp-session-id` header), `notifications/initialized`, then one POST per
 *   request; the reply is `application/json` or an event stream, and both
 *   are parsed.
 *
 * Each session keeps a pool of kept-alive connections for its POSTs, so C
 * requests in flight use C sockets. The POSTs may go to another target than
 * the one that opened the session (another instance of a cluster, which
 * forwards them to the session's owner: bench/cluster.ts).
 *
 * @module
 */
import { EventParser, parseEvents } from "./events.ts";
import { Http1Connection } from "./http1.ts";
import type { Exchange, RequestOptions } from "./http1.ts";

/** The two transports, by the name the bench reports them under. */
export type TransportName = "sse" | "streamable";

/** Both transports, in report order. */
export const TRANSPORTS: readonly TransportName[] = ["sse", "streamable"];

/** Display names for tables. */
export const TRANSPORT_TITLES: Record<TransportName, string> = { sse: "HTTP+SSE", streamable: "Streamable HTTP" };

/** Where a server listens (loopback only in this bench). */
export interface Target {
  host: string;
  port: number;
}

/** An initialized MCP session, seen from the client. */
export interface McpSession {
  /** Sends a request; resolves with its `result`, rejects with its `error` or any transport failure. */
  request(method: string, params?: object): Promise<unknown>;
  /** Closes the POST connections but keeps the session open on the server (an idle client). */
  idle(): void;
  /** Ends the session (DELETE for Streamable HTTP, dropping the stream for HTTP+SSE). */
  close(): Promise<void>;
}

type Message = { id?: unknown; result?: unknown; error?: { code: number; message: string } };

const JSON_TYPE = { "content-type": "application/json" };

/** Kept-alive connections to one target, handed out one exchange at a time. */
class Pool {
  #target: Target;
  #free: Http1Connection[] = [];
  #all = new Set<Http1Connection>();

  constructor(target: Target) {
    this.#target = target;
  }

  async send(method: string, path: string, options: RequestOptions): Promise<Exchange> {
    let conn = this.#free.pop();
    while (conn && !conn.usable) conn = this.#free.pop();
    if (!conn) {
      conn = await Http1Connection.open(this.#target.host, this.#target.port);
      this.#all.add(conn);
    }
    try {
      return await conn.request(method, path, options);
    } finally {
      if (conn.usable) this.#free.push(conn);
      else this.#all.delete(conn);
    }
  }

  closeAll(): void {
    for (const conn of this.#all) conn.close();
    this.#all.clear();
    this.#free = [];
  }
}

function rpc(id: number | undefined, method: string, params?: object): string {
  return JSON.stringify(id === undefined ? { jsonrpc: "2.0", method, params } : { jsonrpc: "2.0", id, method, params });
}

function settle(message: Message): unknown {
  if (message.error) throw new Error(`JSON-RPC error ${message.error.code}: ${message.error.message}`);
  return message.result;
}

function expectStatus(exchange: Exchange, what: string, ok: (status: number) => boolean): void {
  if (!ok(exchange.status)) throw new Error(`${what} answered ${exchange.status}: ${exchange.body.slice(0, 200)}`);
}

const CLIENT_INFO = { name: "emcee-bench", version: "1.0.0" };

/** An HTTP+SSE session: one held stream, replies matched by id. */
class SseSession implements McpSession {
  #stream: Http1Connection;
  #endpoint: string;
  #pool: Pool;
  #nextId = 1;
  #waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(target: Target, stream: Http1Connection, endpoint: string) {
    this.#pool = new Pool(target);
    this.#stream = stream;
    this.#endpoint = endpoint;
  }

  /** Takes one `event: message` from the stream. */
  receive(data: string): void {
    const message = JSON.parse(data) as Message;
    if (typeof message.id !== "number" || !("result" in message || "error" in message)) return;
    const waiter = this.#waiting.get(message.id);
    if (!waiter) return;
    this.#waiting.delete(message.id);
    try {
      waiter.resolve(settle(message));
    } catch (error) {
      waiter.reject(error as Error);
    }
  }

  /** Fails every request still waiting: the stream is gone. */
  ended(reason: string): void {
    for (const waiter of this.#waiting.values()) waiter.reject(new Error(`Cannot get reply: ${reason}`));
    this.#waiting.clear();
  }

  /**
   * Resolves once both the reply (on the stream) and the POST's own 202 are
   * in, so the POST connection is free again and C calls in flight use C
   * connections; the reply often arrives first.
   */
  async request(method: string, params?: object): Promise<unknown> {
    const id = this.#nextId++;
    const reply = new Promise<unknown>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    // The reply may fail before the POST is answered: mark it handled now, it is awaited below.
    reply.catch(() => {});
    try {
      const exchange = await this.#pool.send("POST", this.#endpoint, { headers: JSON_TYPE, body: rpc(id, method, params) });
      expectStatus(exchange, `POST ${this.#endpoint}`, (s) => s >= 200 && s < 300);
    } catch (error) {
      this.#waiting.delete(id);
      throw error;
    }
    return reply;
  }

  async notify(method: string, params?: object): Promise<void> {
    const exchange = await this.#pool.send("POST", this.#endpoint, { headers: JSON_TYPE, body: rpc(undefined, method, params) });
    expectStatus(exchange, `POST ${this.#endpoint}`, (s) => s >= 200 && s < 300);
  }

  idle(): void {
    this.#pool.closeAll();
  }

  close(): Promise<void> {
    this.#pool.closeAll();
    this.#stream.close();
    this.ended("the session was closed");
    return Promise.resolve();
  }
}

/** Opens `GET /sse` on `target` and resolves once the `endpoint` event names where to POST (on `postTarget`). */
async function openSse(target: Target, postTarget: Target): Promise<SseSession> {
  const stream = await Http1Connection.open(target.host, target.port);
  return new Promise((resolve, reject) => {
    let session: SseSession | undefined;
    const parser = new EventParser(({ event, data }) => {
      if (session) {
        if (event === "message") session.receive(data);
      } else if (event === "endpoint") {
        session = new SseSession(postTarget, stream, data);
        resolve(session);
      }
    });
    const onChunk = (text: string) => parser.feed(text);
    stream.request("GET", "/sse", { headers: { accept: "text/event-stream" }, onChunk }).then((exchange) => {
      if (session) session.ended("the stream ended");
      else reject(new Error(`GET /sse answered ${exchange.status} without an endpoint event`));
    }, (error: Error) => {
      if (session) session.ended(error.message);
      else reject(error);
    });
  });
}

/** A Streamable HTTP session: one POST per request, the reply in its response. */
class StreamableSession implements McpSession {
  #pool: Pool;
  #headers: Record<string, string>;
  #nextId = 1;

  constructor(pool: Pool, sessionId: string, protocolVersion: string) {
    this.#pool = pool;
    this.#headers = {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-session-id": sessionId,
      "mcp-protocol-version": protocolVersion,
    };
  }

  async request(method: string, params?: object): Promise<unknown> {
    const id = this.#nextId++;
    return settle(replyTo(id, await this.#pool.send("POST", "/mcp", { headers: this.#headers, body: rpc(id, method, params) })));
  }

  async notify(method: string, params?: object): Promise<void> {
    const exchange = await this.#pool.send("POST", "/mcp", { headers: this.#headers, body: rpc(undefined, method, params) });
    expectStatus(exchange, "POST /mcp", (s) => s === 202);
  }

  idle(): void {
    this.#pool.closeAll();
  }

  async close(): Promise<void> {
    try {
      await this.#pool.send("DELETE", "/mcp", { headers: this.#headers });
    } catch {
      // The server may be gone already; the session ends with it.
    }
    this.#pool.closeAll();
  }
}

/** The response to request `id` in a POST's reply, JSON or an event stream. */
function replyTo(id: number, exchange: Exchange): Message {
  expectStatus(exchange, "POST /mcp", (s) => s === 200);
  const type = exchange.headers["content-type"] ?? "";
  const messages: Message[] = type.startsWith("text/event-stream")
    ? parseEvents(exchange.body).filter((e) => e.event === "message").map((e) => JSON.parse(e.data) as Message)
    : [JSON.parse(exchange.body) as Message | Message[]].flat();
  const reply = messages.find((m) => m.id === id && ("result" in m || "error" in m));
  if (!reply) throw new Error(`Cannot find reply to request ${id} in: ${exchange.body.slice(0, 200)}`);
  return reply;
}

/**
 * Opens `count` sessions at once; if any fails, closes the others and throws
 * its error, so no socket is left open.
 *
 * @param transport `sse` or `streamable`
 * @param target the server's host and port
 * @param count how many sessions
 * @param postTarget where requests go once the sessions are open; default `target`
 * @returns the open sessions
 */
export async function openSessions(transport: TransportName, target: Target, count: number, postTarget?: Target): Promise<McpSession[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, () => openSession(transport, target, postTarget)));
  const failed = settled.find((s) => s.status === "rejected");
  const opened = settled.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  if (!failed) return opened;
  await Promise.all(opened.map((s) => s.close()));
  throw failed.reason;
}

/**
 * Opens and initializes a session: `initialize`, then
 * `notifications/initialized`. With a `postTarget`, the session is opened on
 * `target` (`GET /sse`; the Streamable `initialize` and `initialized`) and
 * every later POST goes to `postTarget` (for HTTP+SSE, its initialize too:
 * the `endpoint` event comes first).
 *
 * @param transport `sse` or `streamable`
 * @param target the server's host and port
 * @param postTarget where requests go once the session is open; default `target`
 * @returns a session ready for `tools/call`
 * @example
 * ```ts
 * const session = await openSession("streamable", { host: "127.0.0.1", port: 4100 });
 * await session.request("tools/call", { name: "add", arguments: { a: 1, b: 2 } });
 * await session.close();
 * ```
 */
export async function openSession(transport: TransportName, target: Target, postTarget: Target = target): Promise<McpSession> {
  if (transport === "sse") {
    const session = await openSse(target, postTarget);
    try {
      await session.request("initialize", { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: CLIENT_INFO });
      await session.notify("notifications/initialized");
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }
  const pool = new Pool(target);
  try {
    const init = await pool.send("POST", "/mcp", {
      headers: { ...JSON_TYPE, accept: "application/json, text/event-stream" },
      body: rpc(0, "initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: CLIENT_INFO }),
    });
    const result = settle(replyTo(0, init)) as { protocolVersion: string };
    const sessionId = init.headers["mcp-session-id"];
    if (!sessionId) throw new Error("Cannot open session: initialize answered without mcp-session-id");
    const session = new StreamableSession(pool, sessionId, result.protocolVersion);
    await session.notify("notifications/initialized");
    if (postTarget === target) return session;
    pool.closeAll();
    return new StreamableSession(new Pool(postTarget), sessionId, result.protocolVersion);
  } catch (error) {
    pool.closeAll();
    throw error;
  }
}
