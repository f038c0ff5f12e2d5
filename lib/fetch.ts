/**
 * The `fetch` door: a Web `Request` in, a `Response` out, for Deno.serve,
 * Bun.serve, Cloudflare Workers and every framework that speaks Fetch.
 *
 * It adds no endpoint logic: {@linkcode FetchRequest} and
 * {@linkcode FetchResponse} are the core's {@linkcode HttpRequest} and
 * {@linkcode HttpResponse} over Web types, so the same endpoints serve
 * both doors. The response resolves as soon as its head is known; a stream
 * (SSE) then flows through a `ReadableStream` whose queue is what the SSE
 * writer's bound (`maxQueuedBytes`) measures.
 *
 * @module
 */
import { isLoopbackAddress } from "./guard.ts";
import { cutShort, tooLarge, utf8 } from "./http.ts";
import { encodeComment } from "./sse.ts";
import type { HttpRequest, HttpResponse, IncomingHeaders, OutgoingHeaders } from "./http.ts";

/** What a host may pass after the request and this door reads: Bun's server, Deno's info. */
interface HostArgs {
  /** Bun.serve: lifts the idle timeout of one request, so a quiet SSE stream is not cut after 10 s. */
  timeout?: (request: Request, seconds: number) => void;
  /** Bun.serve: the peer's address. */
  requestIP?: (request: Request) => { address: string } | null;
  /** Deno.serve: the peer's address. */
  remoteAddr?: { hostname?: string };
  /** Cloudflare Workers (the `ctx` after `env`): keeps the isolate on a request's work after its response. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** Hop-by-hop headers a `Response` must not carry (the host frames the connection). */
const HOP_BY_HOP = new Set(["connection", "transfer-encoding", "keep-alive"]);
const NO_BODY = new Set([101, 204, 205, 304]);
const encoder = new TextEncoder();

/**
 * A Web `Request` seen as the core's {@linkcode HttpRequest}. `request`
 * is the original, for `authenticate` and routes of your own.
 */
export class FetchRequest implements HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHeaders;
  readonly socket: { localAddress: string | undefined; remoteAddress: string | undefined; encrypted: boolean };
  /** The request as the host handed it. */
  readonly request: Request;

  constructor(request: Request, peer: string | undefined) {
    this.request = request;
    this.method = request.method;
    const url = new URL(request.url);
    this.url = url.pathname + url.search;
    const headers: IncomingHeaders = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    this.headers = headers;
    // The bound address is not told through fetch. A loopback peer means the server listens on
    // loopback (or everywhere), so the loopback guard applies, as it does on node:http.
    const loopback = isLoopbackAddress(peer);
    this.socket = { localAddress: loopback ? peer : undefined, remoteAddress: peer, encrypted: url.protocol === "https:" };
  }

  /**
   * Reads the body as text, refusing more than `limit` bytes as it arrives.
   * A body of declared length (already checked against `limit`) is read whole
   * by the host, which is much cheaper on Bun than reading its stream in JS.
   */
  async readBody(limit: number): Promise<string> {
    const body = this.request.body;
    if (!body) return "";
    if (this.headers["content-length"] !== undefined) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await this.request.arrayBuffer());
      } catch {
        throw cutShort();
      }
      // Decoded as node:http bodies are (a leading BOM kept, so such a body is not JSON), not by text().
      return utf8([bytes], bytes.byteLength);
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
          void reader.cancel().catch(() => {});
          throw tooLarge(limit);
        }
        chunks.push(value);
      }
    } catch (error) {
      throw size > limit ? error : cutShort();
    }
    return utf8(chunks, size);
  }
}

type Listener = () => void;

/**
 * The core's {@linkcode HttpResponse} resolving a Web `Response`: at
 * `end()` for a whole body, at the first `write()` or `flushHeaders()` for
 * a stream.
 */
export class FetchResponse implements HttpResponse {
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  /** Resolves with the response once its head is known. */
  readonly response: Promise<Response>;
  #resolve!: (response: Response) => void;
  #status = 200;
  #headers: OutgoingHeaders = {};
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #listeners: { close: Listener[]; drain: Listener[] } = { close: [], drain: [] };
  #head: boolean;
  #bun: HostArgs | undefined;
  #request: Request;
  #written = 0;

  /**
   * @param request the request, for `HEAD` and for noticing a client that goes away
   * @param bun Bun's server, when Bun.serve is the host (see {@linkcode FetchResponse.flushHeaders})
   */
  constructor(request: Request, bun?: HostArgs) {
    this.response = new Promise((resolve) => (this.#resolve = resolve));
    this.#head = request.method === "HEAD";
    this.#bun = bun;
    this.#request = request;
    // A response that is still unfinished after this turn listens for its client going away. Most
    // are finished by then and never touch request.signal: on Deno that would cost a DOMException
    // per request (it aborts the signal of every successful response) and a one-time warning.
    setTimeout(() => {
      if (this.writableEnded || this.destroyed) return;
      const signal = request.signal;
      if (signal?.aborted) this.#close();
      else signal?.addEventListener("abort", () => this.#close(), { once: true });
    }, 0).unref?.();
  }

  get writableLength(): number {
    // A queuing strategy with a high-water mark of 0: the shortfall is what is queued.
    return this.#controller ? -Math.min(0, this.#controller.desiredSize ?? 0) : 0;
  }

  setHeader(name: string, value: string | number | string[]): this {
    this.#headers[name.toLowerCase()] = value;
    return this;
  }

  writeHead(status: number, headers?: OutgoingHeaders): this {
    this.#status = status;
    for (const name in headers) this.#headers[name.toLowerCase()] = headers[name];
    return this;
  }

  /**
   * Commits the head of a stream. Bun.serve (1.4) withholds the head of a
   * streamed `Response` until its first body byte (oven-sh/bun#33660), so a
   * quiet SSE stream (a GET stream before its first notification) would not
   * even reach `fetch()` or `EventSource.onopen` there. On Bun, an event
   * stream that has written nothing by the end of the task that opened it
   * sends an empty comment, which every SSE parser skips (WHATWG HTML
   * §9.2.6); a stream that speaks at once keeps its exact bytes.
   */
  flushHeaders(): void {
    if (this.headersSent || this.destroyed) return;
    this.#openStream();
    if (!this.#bun || !String(this.#headers["content-type"]).startsWith("text/event-stream")) return;
    const written = this.#written;
    setTimeout(() => {
      if (this.#written === written && !this.writableEnded && !this.destroyed) this.write(encodeComment());
    }, 0);
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.writableEnded || this.destroyed) return false;
    if (!this.headersSent) this.#openStream();
    this.#written++;
    this.#controller?.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    return true;
  }

  respondWith(response: Response): void {
    if (this.headersSent || this.destroyed) return;
    this.headersSent = this.writableEnded = this.writableFinished = true;
    this.#resolve(response);
    queueMicrotask(() => this.#close());
  }

  end(chunk?: string): this {
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = true;
    if (this.#controller) {
      if (chunk !== undefined) this.#controller.enqueue(encoder.encode(chunk));
      this.#controller.close();
    } else {
      this.headersSent = true;
      const body = this.#head || NO_BODY.has(this.#status) ? null : chunk ?? null;
      // A whole body keeps the length the core computed, so every host frames it the same way.
      this.#resolve(new Response(body, { status: this.#status, headers: this.#webHeaders(false) }));
    }
    this.writableFinished = true;
    // As on node:http, `close` follows the end of a response.
    queueMicrotask(() => this.#close());
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    if (this.#controller && !this.writableEnded) this.#controller.error(new Error("the response was cut off"));
    else if (!this.headersSent) {
      this.headersSent = true;
      // Nothing was sent yet: there is no connection of ours to cut, so answer with nothing.
      this.#resolve(new Response(null, { status: 500 }));
    }
    this.#close();
    return this;
  }

  on(event: "close" | "drain", listener: Listener): this {
    if (event === "close" && this.destroyed) queueMicrotask(listener);
    else this.#listeners[event].push(listener);
    return this;
  }

  once(event: "close" | "drain", listener: Listener): this {
    return this.on(event, listener);
  }

  #openStream(): void {
    this.headersSent = true;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        for (const listener of this.#listeners.drain) listener();
      },
      cancel: () => this.#close(),
    }, { highWaterMark: 0, size: (chunk) => chunk.byteLength });
    // Bun.serve closes a connection idle for `idleTimeout` (10 s by default); a stream's quiet
    // spells are longer than that (keep-alive comments come every 15 s), so it is lifted here.
    this.#bun?.timeout!(this.#request, 0);
    this.#resolve(new Response(this.#head ? null : body, { status: this.#status, headers: this.#webHeaders(true) }));
  }

  /** The headers as Web `Headers`; a stream's length is unknown, so it drops `content-length`. */
  #webHeaders(streaming: boolean): Headers {
    const headers = new Headers();
    for (const name in this.#headers) {
      const value = this.#headers[name];
      if (value === undefined || HOP_BY_HOP.has(name) || (streaming && name === "content-length")) continue;
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, String(value));
    }
    return headers;
  }

  #close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const listeners = this.#listeners.close;
    this.#listeners = { close: [], drain: [] };
    for (const listener of listeners) listener();
  }
}

/**
 * Serves one `Request` through `serve` (the server's endpoints) and resolves
 * its `Response`.
 *
 * @param hostArgs what the host passed after the request (Bun's server, Deno's info, a Worker's env and ctx)
 */
export function serveFetch(
  serve: (req: HttpRequest, res: HttpResponse) => Promise<void> | undefined,
  request: Request,
  hostArgs: readonly unknown[],
): Promise<Response> {
  let bun: HostArgs | undefined;
  let worker: HostArgs | undefined;
  let peer: string | undefined;
  for (const arg of hostArgs) {
    if (!arg || typeof arg !== "object") continue;
    const host = arg as HostArgs;
    if (typeof host.timeout === "function") bun = host;
    if (typeof host.waitUntil === "function") worker = host;
    if (typeof host.requestIP === "function") peer = host.requestIP(request)?.address;
    else if (typeof host.remoteAddr?.hostname === "string") peer = host.remoteAddr.hostname;
  }
  // workerd names the peer in `request.cf.clientIp` ("127.0.0.1:57728", "[::1]:57728") when it serves locally.
  peer ??= clientIp((request as { cf?: { clientIp?: unknown } }).cf?.clientIp);
  const res = new FetchResponse(request, bun);
  const working = serve(new FetchRequest(request, peer), res);
  // A Worker would drop what runs after its response (an HTTP+SSE call answered 202 first).
  if (working && worker) worker.waitUntil!(working);
  return res.response;
}

/** The address part of workerd's `clientIp` (address and port). */
function clientIp(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1];
  const colon = value.lastIndexOf(":");
  // One colon: IPv4 with a port. More: a bare IPv6 address.
  return colon !== -1 && value.indexOf(":") === colon ? value.slice(0, colon) : value;
}
