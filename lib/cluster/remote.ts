/**
 * A request that reached another instance, as the instance owning its
 * session serves it: a `node:http`-shaped request replaying the forwarded
 * head and body, and a response whose head, chunks and end travel back as
 * frames to the instance holding the client's connection.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { HttpRequest } from "../http.ts";
import { Readable } from "node:stream";

/** A forwarded request, as it crosses the bus. */
export interface WireRequest {
  t: "req";
  /** The forwarding instance. */
  from: string;
  /** Its number for this exchange. */
  ref: number;
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  /** The body as read (UTF-8); absent for GET and DELETE. */
  body?: string;
  /** The socket's addresses, for the Host/Origin guard and the playground. */
  local?: string;
  remote?: string;
  secure?: boolean;
}

/** A piece of the response, as it crosses back: the head with the first piece, then data, then the end. */
export interface Frame {
  /** Status, with `h`, on the first frame only. */
  s?: number;
  h?: OutgoingHttpHeaders;
  /** Body text. */
  d?: string;
  /** 1: ended normally; 2: cut off (destroyed). */
  e?: 1 | 2;
}

/** Marks a request that arrived over the bus, so it is never forwarded again. */
export const FORWARDED: unique symbol = Symbol("emcee.forwarded");

/** Whether `req` came over the bus. */
export function isForwarded(req: HttpRequest): boolean {
  return (req as unknown as Record<symbol, unknown>)[FORWARDED] === true;
}

/** Replays a forwarded request as an `IncomingMessage`. */
export function remoteRequest(wire: WireRequest): IncomingMessage {
  const req = new Readable({ read() {} });
  Object.assign(req, {
    [FORWARDED]: true,
    method: wire.method,
    url: wire.url,
    headers: wire.headers,
    socket: { localAddress: wire.local, remoteAddress: wire.remote, encrypted: wire.secure },
    complete: false,
  });
  req.once("end", () => ((req as unknown as { complete: boolean }).complete = true));
  if (wire.body !== undefined) req.push(Buffer.from(wire.body, "utf8"));
  req.push(null);
  return req as unknown as IncomingMessage;
}

/**
 * The response to a forwarded request: what `node:http` code writes to it
 * leaves as {@linkcode Frame}s. It emits `close` once ended, or when the
 * client at the other end goes away ({@linkcode RemoteResponse.gone}).
 */
export class RemoteResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  /** The owner cannot see the client's backlog; the forwarding instance bounds it. */
  readonly writableLength = 0;
  #headers: OutgoingHttpHeaders = {};
  #out: (frame: Frame) => void;

  /** @param out sends one frame back */
  constructor(out: (frame: Frame) => void) {
    super();
    this.#out = out;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.#headers[name.toLowerCase()] = value as string;
    return this;
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.#headers[name.toLowerCase()];
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    this.statusCode = status;
    for (const name in headers) this.#headers[name.toLowerCase()] = headers[name];
    return this;
  }

  flushHeaders(): void {
    if (!this.headersSent) this.#frame({});
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.writableEnded || this.destroyed) return false;
    this.#frame({ d: text(chunk) });
    return true;
  }

  end(chunk?: string | Uint8Array): this {
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = true;
    this.#frame(chunk === undefined ? { e: 1 } : { d: text(chunk), e: 1 });
    this.writableFinished = true;
    this.emit("finish");
    this.#close();
    return this;
  }

  destroy(): this {
    if (this.destroyed || this.writableEnded) return this;
    this.#frame({ e: 2 });
    this.#close();
    return this;
  }

  /** The client went away (or the instance holding it did). */
  gone(): void {
    if (!this.writableEnded) this.#close();
  }

  #close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }

  #frame(frame: Frame): void {
    if (!this.headersSent) {
      this.headersSent = true;
      frame.s = this.statusCode;
      frame.h = this.#headers;
    }
    this.#out(frame);
  }

  /** Seen by `node:http` code as a `ServerResponse`. */
  asResponse(): ServerResponse {
    return this as unknown as ServerResponse;
  }
}

function text(chunk: string | Uint8Array): string {
  return typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
}
