/**
 * One instance's side of a cluster. Every session lives on the instance
 * that opened it (its owner), and the bus records who that is. A request for
 * a session held elsewhere is forwarded whole to its owner, which serves it
 * as if it had arrived there and streams the response back in frames; so
 * replies, progress, server→client requests and their answers all reach the
 * session wherever the load balancer sends the client's connections.
 *
 * @module
 */
import type { HttpRequest, HttpResponse } from "../http.ts";
import { ErrorCode, httpError, JsonRpcError } from "../errors.ts";
import { readBody, sendError } from "../http.ts";
import { classify, failure, parseJson, serialize } from "../jsonrpc.ts";
import { whole } from "../options.ts";
import { encodeEvent } from "../sse.ts";
import type { LogLevel, RequestId } from "../types.ts";
import type { SessionBus } from "./bus.ts";
import { remoteRequest, RemoteResponse } from "./remote.ts";
import type { Frame, WireRequest } from "./remote.ts";

/** The `cluster` option of `createServer()`. */
export interface ClusterOptions {
  /** Shared by every instance: a `RedisBus` across processes, a `MemoryBus` within one. */
  bus: SessionBus;
  /**
   * Milliseconds the bus remembers a session's owner without renewal; the
   * owner renews every third of it, so the sessions of an instance that died
   * are forgotten within this time. Default 30000.
   */
  sessionTtlMs?: number;
  /**
   * Milliseconds to wait for the bus before answering 503; also how often an
   * instance waiting on other instances checks that they are alive and still
   * serving its requests (a lost answer becomes a 503 within about twice
   * this). Default 2000.
   */
  timeoutMs?: number;
}

/** What the server does that travels to every instance. */
export type ClusterEvent =
  | { type: "resource"; uri: string }
  | { type: "log"; level: LogLevel; data: unknown; logger?: string };

/** What a {@linkcode Cluster} needs from its server. */
export interface ClusterHost {
  readonly maxBodyBytes: number;
  /** Bytes a client may leave unread on a forwarded stream before it is cut off. */
  readonly maxQueuedBytes: number;
  readonly trace: ((line: string) => void) | undefined;
  reportError(error: unknown, where: string): void;
  /** The ids of the sessions this instance holds. */
  sessionIds(): string[];
  /** Serves a request that came over the bus. */
  serve(req: HttpRequest, res: HttpResponse): void;
  /** Applies another instance's {@linkcode ClusterEvent} here. */
  apply(event: ClusterEvent): void;
}

type Message =
  | WireRequest
  | ({ t: "res"; ref: number } & Frame)
  | { t: "gone"; from: string; ref: number }
  | { t: "ping"; from: string; seq: number }
  | { t: "pong"; from: string; seq: number; serving: number[] }
  | { t: "event"; from: string; event: ClusterEvent };

/** A request this instance forwarded and is answering its client from frames. */
interface Exchange {
  res: HttpResponse;
  /** Whether the owner answered with an event stream. */
  streaming?: boolean;
  owner: string;
  session: string;
  body: string | undefined;
}

/** How many session owners an instance remembers (about 1 MiB at most). */
const REMEMBERED_OWNERS = 10_000;

const unavailable = () =>
  httpError(503, ErrorCode.InvalidRequest, "Service unavailable: the session bus cannot be reached, try again", { "retry-after": "1" });

/** Joins one server to its cluster. */
export class Cluster {
  /** This instance's id on the bus. */
  readonly id: string = crypto.randomUUID();
  #host: ClusterHost;
  #bus: SessionBus;
  #ttlMs: number;
  #timeoutMs: number;
  #joined: Promise<void> | undefined;
  #down = false;
  #nextRef = 0;
  #exchanges = new Map<number, Exchange>();
  /** Owners looked up, oldest first; forgotten when the owner is gone or no longer knows the session. */
  #owners = new Map<string, string>();
  #served = new Map<string, RemoteResponse>();
  #heartbeat: ReturnType<typeof setInterval>;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  /** The ping each owner has not answered yet: when it left, and the last exchange it covers. */
  #pings = new Map<string, { seq: number; sentAt: number; upTo: number }>();
  #nextPing = 0;

  /**
   * @param host the server
   * @param options the bus and its timings
   */
  constructor(host: ClusterHost, options: ClusterOptions) {
    if (typeof options.bus?.join !== "function") {
      throw new TypeError("Cannot create server: cluster.bus must be a SessionBus (RedisBus or MemoryBus)");
    }
    this.#host = host;
    this.#bus = options.bus;
    this.#ttlMs = whole("cluster.sessionTtlMs", options.sessionTtlMs, 30_000, 3);
    this.#timeoutMs = whole("cluster.timeoutMs", options.timeoutMs, 2000, 1);
    this.#join().catch((e) => this.#fault(e));
    this.#heartbeat = setInterval(() => this.#renew(), Math.floor(this.#ttlMs / 3));
    this.#heartbeat.unref?.();
  }

  /**
   * Records a new session as this instance's, once the bus can route to it.
   *
   * @returns settles (never rejects) when recorded, or when the bus failed (the heartbeat records it later)
   */
  claim(session: string): Promise<void> {
    return this.#join().then(() => this.#timed(this.#bus.claim(this.id, [session], this.#ttlMs))).then(() => this.#up(), (e) => this.#fault(e));
  }

  /** Forgets an ended session. */
  release(session: string): void {
    this.#timed(this.#bus.release(session)).catch((e) => this.#fault(e));
  }

  /**
   * Forwards a request for `session`, which this instance does not hold, to
   * the instance that does.
   *
   * @returns undefined once forwarded; when no live instance holds the session, the request to serve here
   *   as for an unknown session (a replay of `req` if its body was read)
   * @throws {HttpError} 503 when the bus cannot be reached; 413 or 400 for a body that cannot be read
   */
  async forward(session: string, req: HttpRequest, res: HttpResponse, path: string): Promise<HttpRequest | undefined> {
    const owner = await this.#ownerOf(session);
    if (owner === undefined || owner === this.id) return req;
    const body = req.method === "POST" ? await readBody(req, this.#host.maxBodyBytes) : undefined;
    const headers = { ...req.headers } as Record<string, string | string[]>;
    delete headers["transfer-encoding"];
    if (body === undefined) delete headers["content-length"];
    else headers["content-length"] = String(Buffer.byteLength(body));
    const ref = ++this.#nextRef;
    const wire: WireRequest = {
      t: "req",
      from: this.id,
      ref,
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers,
      body,
      local: req.socket?.localAddress,
      remote: req.socket?.remoteAddress,
      secure: (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true,
    };
    this.#exchanges.set(ref, { res, owner, session, body });
    res.once("close", () => {
      if (this.#exchanges.delete(ref)) this.#send(owner, { t: "gone", from: this.id, ref });
    });
    let delivered: boolean;
    try {
      delivered = await this.#timed(this.#bus.send(owner, JSON.stringify(wire)));
    } catch (error) {
      this.#exchanges.delete(ref);
      this.#fault(error);
      throw unavailable();
    }
    if (!delivered) {
      // The owner died before the bus forgot it: its sessions are gone.
      this.#exchanges.delete(ref);
      this.#owners.delete(session);
      this.release(session);
      return remoteRequest(wire);
    }
    this.#host.trace?.(`forward ${wire.method} ${path} session=${session} to=${owner}`);
    this.#watchdog ??= this.#watch();
    return undefined;
  }

  /** The instance holding `session`: remembered, since a session never moves, only ends. */
  async #ownerOf(session: string): Promise<string | undefined> {
    const known = this.#owners.get(session);
    if (known !== undefined) return known;
    const owner = await this.#timed(this.#bus.owner(session)).catch((e) => {
      this.#fault(e);
      throw unavailable();
    });
    if (owner !== undefined && owner !== this.id) {
      if (this.#owners.size >= REMEMBERED_OWNERS) this.#owners.delete(this.#owners.keys().next().value!);
      this.#owners.set(session, owner);
    }
    return owner;
  }

  /** Tells every other instance to apply `event` (this one already has). */
  publish(event: ClusterEvent): void {
    this.#timed(this.#bus.broadcast(JSON.stringify({ t: "event", from: this.id, event } satisfies Message))).catch((e) => this.#fault(e));
  }

  /** Leaves the bus; what this instance held is released by its sessions closing. */
  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    for (const served of this.#served.values()) served.gone();
    await this.#timed(this.#bus.leave(this.id)).catch(() => {});
  }

  #join(): Promise<void> {
    return this.#joined ??= this.#timed(this.#bus.join(this.id, (m) => this.#receive(m))).catch((error) => {
      this.#joined = undefined; // the heartbeat tries again
      throw error;
    });
  }

  /**
   * Renews this instance's sessions, rejoins after an outage, and checks
   * that messages reach this instance again (a note to itself).
   */
  #renew(): void {
    const ids = this.#host.sessionIds();
    this.#join()
      .then(() => ids.length > 0 ? this.#timed(this.#bus.claim(this.id, ids, this.#ttlMs)) : undefined)
      .then(() => this.#timed(this.#bus.send(this.id, '{"t":"note"}')))
      .then((heard) => heard ? this.#up() : this.#fault(new Error("The session bus delivers nothing to this instance yet")), (e) => this.#fault(e));
  }

  #receive(raw: string): void {
    let message: Message;
    try {
      message = JSON.parse(raw);
    } catch (error) {
      this.#host.reportError(error, "cluster bus");
      return;
    }
    switch (message.t) {
      case "res":
        return this.#frame(message.ref, message);
      case "req":
        return this.#serve(message);
      case "gone":
        this.#served.get(`${message.from} ${message.ref}`)?.gone();
        return;
      case "ping":
        return this.#answerPing(message.from, message.seq);
      case "pong":
        return this.#pong(message.from, message.seq, message.serving);
      case "event":
        if (message.from !== this.id) this.#host.apply(message.event);
        return;
    }
  }

  /** Serves a request forwarded by another instance, streaming the response back to it. */
  #serve(wire: WireRequest): void {
    const key = `${wire.from} ${wire.ref}`;
    const res = new RemoteResponse((frame) => {
      this.#timed(this.#bus.send(wire.from, JSON.stringify({ t: "res", ref: wire.ref, ...frame })))
        .then((delivered) => delivered || res.gone(), () => res.gone());
    });
    this.#served.set(key, res);
    res.once("close", () => this.#served.delete(key));
    const path = wire.url.split("?")[0];
    this.#host.trace?.(`serve ${wire.method} ${path} from=${wire.from}`);
    this.#host.serve(remoteRequest(wire), res.asResponse());
  }

  /** Tells a forwarding instance which of its requests this one is still serving (after every frame sent before). */
  #answerPing(from: string, seq: number): void {
    const serving: number[] = [];
    const prefix = `${from} `;
    for (const key of this.#served.keys()) if (key.startsWith(prefix)) serving.push(Number(key.slice(prefix.length)));
    this.#send(from, { t: "pong", from: this.id, seq, serving });
  }

  /** Writes a frame of a forwarded request's response to its client. */
  #frame(ref: number, frame: Frame): void {
    const exchange = this.#exchanges.get(ref);
    if (!exchange) return;
    const { res } = exchange;
    if (frame.s !== undefined) {
      if (frame.s === 404) this.#owners.delete(exchange.session); // ended there: ask the bus next time
      exchange.streaming = String(frame.h?.["content-type"]).startsWith("text/event-stream");
      res.writeHead(frame.s, frame.h);
      if (frame.d === undefined && frame.e === undefined) res.flushHeaders();
    }
    if (frame.d !== undefined) {
      res.write(frame.d);
      // The owner cannot see this client's backlog: a reader that stopped reading is cut off here.
      if (res.writableLength > this.#host.maxQueuedBytes * 4) frame.e = 2;
    }
    if (frame.e === undefined) return;
    this.#exchanges.delete(ref);
    if (frame.e === 1) res.end();
    else {
      res.destroy();
      this.#send(exchange.owner, { t: "gone", from: this.id, ref });
    }
  }

  /**
   * While requests are out, asks their owners every `timeoutMs` which of
   * them they are still serving. Pub/sub delivers at most once, so an
   * answer can be lost (Redis restarted, this instance's subscription not
   * back yet); the pong, sent after everything the owner sent before it,
   * tells which exchanges will never hear more. An owner that is gone, or
   * whose pong does not come, has its exchanges answered here.
   */
  #watch(): ReturnType<typeof setInterval> {
    const timer = setInterval(() => {
      if (this.#exchanges.size === 0) {
        clearInterval(timer);
        this.#watchdog = undefined;
        this.#pings.clear();
        return;
      }
      const now = Date.now();
      for (const owner of new Set([...this.#exchanges.values()].map((e) => e.owner))) {
        const waiting = this.#pings.get(owner);
        if (waiting && now - waiting.sentAt < 2 * this.#timeoutMs) continue;
        if (waiting) this.#abandon(owner, "lost"); // no pong: the owner or our own subscription is unreachable
        const ping = { seq: ++this.#nextPing, sentAt: now, upTo: this.#nextRef };
        this.#pings.set(owner, ping);
        this.#timed(this.#bus.send(owner, JSON.stringify({ t: "ping", from: this.id, seq: ping.seq } satisfies Message))).then(
          (alive) => alive || this.#abandon(owner, "gone"),
          (error) => (this.#fault(error), this.#abandon(owner, "lost")),
        );
      }
    }, this.#timeoutMs);
    timer.unref?.();
    return timer;
  }

  /** An owner named the exchanges it still serves: the others sent before the ping have ended unheard. */
  #pong(owner: string, seq: number, serving: number[]): void {
    const ping = this.#pings.get(owner);
    if (ping?.seq !== seq) return;
    this.#pings.delete(owner);
    const alive = new Set(serving);
    for (const [ref, exchange] of this.#exchanges) {
      if (exchange.owner === owner && ref <= ping.upTo && !alive.has(ref)) this.#fail(ref, exchange, "lost");
    }
  }

  /** Answers every request out with `owner`: it is gone, or what it sends does not arrive. */
  #abandon(owner: string, why: "gone" | "lost"): void {
    this.#pings.delete(owner);
    if (why === "gone") for (const [session, known] of this.#owners) if (known === owner) this.#owners.delete(session);
    for (const [ref, exchange] of this.#exchanges) if (exchange.owner === owner) this.#fail(ref, exchange, why);
  }

  /**
   * Answers a forwarded request that will hear no more from its owner: 404
   * when nothing was sent yet and the owner is gone, so the client
   * initializes again (503 when the answer was lost); on a stream already
   * open, an error for each request it carried, then the end.
   */
  #fail(ref: number, exchange: Exchange, why: "gone" | "lost"): void {
    this.#exchanges.delete(ref);
    const { res } = exchange;
    if (!res.headersSent) {
      sendError(res, why === "lost" ? unavailable() : httpError(404, ErrorCode.InvalidRequest, "Session not found: the instance that held it has gone"));
      return;
    }
    if (exchange.streaming) {
      const message = why === "gone"
        ? "Internal error: the instance serving this session has gone"
        : "Internal error: the answer was lost between instances; try again";
      const error = new JsonRpcError(ErrorCode.InternalError, message);
      for (const id of requestIds(exchange.body)) res.write(encodeEvent({ data: serialize(failure(id, error)) }));
    }
    res.end();
  }

  #send(instance: string, message: Message): void {
    this.#timed(this.#bus.send(instance, JSON.stringify(message))).catch((e) => this.#fault(e));
  }

  #timed<T>(operation: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`The session bus did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      timer.unref?.();
    });
    return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
  }

  /** Reports the first failure of an outage, not every one. */
  #fault(error: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#host.trace?.("cluster bus unavailable");
    this.#host.reportError(error, "cluster bus");
  }

  #up(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#host.trace?.("cluster bus available again");
  }
}

/** The ids of the requests in a forwarded body, to answer them when their owner dies. */
function requestIds(body: string | undefined): RequestId[] {
  let value: unknown;
  try {
    value = parseJson(body ?? "null");
  } catch {
    return [];
  }
  return (Array.isArray(value) ? value : [value]).map(classify).flatMap((m) => m.kind === "request" ? [m.message.id] : []);
}
