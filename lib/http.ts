/**
 * The HTTP messages the core reads and writes, and the few chores every
 * transport shares: reading a bounded JSON body, and writing JSON or
 * JSON-RPC error responses.
 *
 * The core speaks to {@linkcode HttpRequest} and {@linkcode HttpResponse}:
 * the part of `node:http`'s `IncomingMessage` and `ServerResponse` it uses.
 * The `node:http` door hands its own objects straight in (nothing is copied
 * or wrapped on the path every call takes); the `fetch` door
 * (lib/fetch.ts) implements the same two shapes over a Web `Request` and
 * the `Response` it resolves. So every endpoint is written once, for both.
 *
 * @module
 */
import { ErrorCode, HttpError, httpError } from "./errors.ts";
import { failure } from "./jsonrpc.ts";

/** Request headers by lower-case name, as `node:http` gives them (a repeated header is joined, but for a few). */
export interface IncomingHeaders {
  [name: string]: string | string[] | undefined;
  accept?: string | undefined;
  authorization?: string | undefined;
  "content-length"?: string | undefined;
  "content-type"?: string | undefined;
  host?: string | undefined;
  "last-event-id"?: string | undefined;
  origin?: string | undefined;
}

/** Response headers, as `writeHead` takes them. */
export type OutgoingHeaders = Record<string, string | number | string[] | undefined>;

/**
 * What the core reads of a request: a subset of `node:http`'s
 * `IncomingMessage` (which is one as it is), also made by the `fetch` door.
 */
export interface HttpRequest {
  readonly method?: string | undefined;
  /** The path and query string, e.g. `/messages?sessionId=…`. */
  readonly url?: string | undefined;
  readonly headers: IncomingHeaders;
  /** Where the request arrived: `localAddress` guards loopback servers, `encrypted` names https. */
  readonly socket?: { readonly localAddress?: string | undefined; readonly remoteAddress?: string | undefined; readonly encrypted?: boolean } | null;
}

/**
 * What the core writes to a response: a subset of `node:http`'s
 * `ServerResponse` (which is one as it is), also made by the `fetch` door.
 */
export interface HttpResponse {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  /** Bytes written but not yet taken by the reader. */
  readonly writableLength: number;
  setHeader(name: string, value: string | number | string[]): unknown;
  writeHead(status: number, headers?: OutgoingHeaders): HttpResponse;
  /** Sends the head now: the start of a stream. */
  flushHeaders(): void;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string): unknown;
  /** Cuts the connection. */
  destroy(): unknown;
  /** `close`: the response ended or the client went away; `drain`: the reader caught up. */
  on(event: "close" | "drain", listener: () => void): unknown;
  once(event: "close" | "drain", listener: () => void): unknown;
  /** Answers with a Web `Response` as it is: the `fetch` door passes it straight to the host. */
  respondWith?(response: Response): void;
}

/** A request whose body the door reads itself (the `fetch` door); `node:http` bodies are read from their events. */
interface OwnBody {
  readBody(limit: number): Promise<string>;
}

/** The `node:http` events a body is read from. */
interface BodyEvents {
  readonly complete: boolean;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "error" | "close", listener: () => void): unknown;
  resume(): unknown;
}

const nodeBuffer = (globalThis as { Buffer?: { byteLength(text: string): number } }).Buffer;
const encoder = new TextEncoder();

/** The UTF-8 length of `text`: `Buffer.byteLength` where there is one, else by encoding. */
export const byteLength: (text: string) => number = nodeBuffer
  ? (text) => nodeBuffer.byteLength(text)
  : (text) => encoder.encode(text).byteLength;

/** Four mebibytes: the default body limit, as the official SDKs use. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Whether a `Content-Type` header names JSON (`application/json`, any
 * parameters, any case).
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const semi = header.indexOf(";");
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  return type === "application/json";
}

/** Which of the two MCP reply types an `Accept` header allows. */
export interface Accepts {
  json: boolean;
  sse: boolean;
}

/**
 * Reads an `Accept` header leniently: a missing header, any-type and the
 * `application` or `text` wildcard ranges count; `q=0` refuses a type.
 */
export function parseAccept(header: string | undefined): Accepts {
  if (!header) return BOTH;
  // Clients send the same header on every request: remember the last answer.
  if (header === lastAccept.header) return lastAccept.result;
  const result = readAccept(header);
  lastAccept = { header, result };
  return result;
}

const BOTH: Accepts = Object.freeze({ json: true, sse: true });
let lastAccept: { header: string; result: Accepts } = { header: "", result: BOTH };

function readAccept(header: string): Accepts {
  let json = false;
  let sse = false;
  for (const part of header.split(",")) {
    const [range = "", ...params] = part.split(";");
    const type = range.trim().toLowerCase();
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/i.test(p))) continue;
    if (type === "*/*" || type === "application/*" || type === "application/json") json = true;
    if (type === "*/*" || type === "text/*" || type === "text/event-stream") sse = true;
  }
  return { json, sse };
}

/**
 * Reads a request body as UTF-8 text, refusing more than `limit` bytes.
 *
 * A declared `Content-Length` over the limit is refused before a byte is
 * read; a chunked body is counted as it arrives and refused once it passes
 * the limit. Either way the rest is never buffered.
 *
 * @param req the request
 * @param limit the most bytes to accept
 * @returns the body text
 * @throws {HttpError} 413 with -32600 when the body is too large, 400 when it is cut short
 */
export function readBody(req: HttpRequest, limit: number): Promise<string> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  if (typeof (req as Partial<OwnBody>).readBody === "function") return (req as unknown as OwnBody).readBody(limit);
  const body = req as unknown as BodyEvents;
  // Handlers are written inline and never removed: named closures cost a
  // defineProperty each under tsx (keepNames), and a finished request takes
  // its listeners with it. A settled promise ignores whatever comes later.
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let over = false;
    body.on("data", (chunk: Uint8Array) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        body.resume(); // drain without keeping anything
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    body.on("end", () => {
      if (!over) resolve(utf8(chunks, size));
    });
    body.on("error", () => reject(cutShort()));
    body.on("close", () => {
      if (!body.complete) reject(cutShort());
    });
  });
}

// ignoreBOM keeps a leading BOM, as Buffer#toString does: such a body is not JSON.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Decodes body chunks (invalid sequences become U+FFFD, as `Buffer#toString` does). */
export function utf8(chunks: Uint8Array[], size: number): string {
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return decoder.decode(all);
}

/** The 400 for a body that ended before its length, or whose connection broke. */
export function cutShort(): HttpError {
  return httpError(400, ErrorCode.InvalidRequest, "Invalid request: the body was cut short");
}

/** The 413 for a body over `limit` bytes. */
export function tooLarge(limit: number): HttpError {
  return httpError(413, ErrorCode.InvalidRequest, `Payload too large: the body exceeds ${limit} bytes`);
}

const NO_BODY = { "content-length": "0" };

/**
 * Answers 202 Accepted with an empty body, framed by `Content-Length: 0`
 * rather than an empty chunked body: a Streamable HTTP POST without requests
 * (2025-03-26 §Sending Messages: no body), and every HTTP+SSE POST (the
 * reply goes on the stream).
 *
 * @param res the response
 */
export function accepted(res: HttpResponse): void {
  res.writeHead(202, NO_BODY).end();
}

/**
 * Writes a JSON response.
 *
 * @param res the response
 * @param status the HTTP status
 * @param body any JSON value
 * @param headers extra headers
 */
export function sendJson(
  res: HttpResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": byteLength(text),
  });
  res.end(text);
}

/**
 * Ends a request that failed: the status, its headers and, when the error
 * carries one, a JSON-RPC error body with `"id": null`. Anything that is not
 * an {@linkcode HttpError} becomes a bare 500 with no detail.
 *
 * A 413 also closes the connection, since the unread rest of the body would
 * otherwise be parsed as the next request.
 */
export function sendError(res: HttpResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const e = error instanceof HttpError ? error : new HttpError(500, undefined);
  const headers: Record<string, string> = { ...e.headers };
  if (e.status === 413) headers.connection = "close";
  if (e.rpc) sendJson(res, e.status, failure(null, e.rpc), headers);
  else {
    res.writeHead(e.status, headers);
    res.end();
  }
}

/**
 * Answers with a Web `Response` (a route of yours may return one): its
 * status, headers and body as they are. The `fetch` door hands it to the
 * host untouched; on `node:http` (and the tests' node:http bridge to
 * `fetch`) the head is sent at once and the body written as it streams, at
 * the pace the client reads, and cancelled if the client goes away.
 */
export async function sendResponse(res: HttpResponse, response: Response): Promise<void> {
  if (res.respondWith) return res.respondWith(response);
  const headers: OutgoingHeaders = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length > 1) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  // The head goes out now, as a fetch host sends it, not with the body's first chunk.
  res.flushHeaders();
  const reader = response.body.getReader();
  let drained: (() => void) | undefined;
  res.on("drain", () => drained?.());
  res.once("close", () => {
    drained?.();
    if (!res.writableFinished) void reader.cancel().catch(() => {});
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await new Promise<void>((resolve) => (drained = resolve));
    }
    res.end();
  } catch {
    res.destroy();
  }
}
