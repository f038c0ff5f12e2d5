/**
 * The few HTTP chores every transport shares: reading a bounded JSON body,
 * and writing JSON or JSON-RPC error responses.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, HttpError, httpError } from "./errors.ts";
import { failure } from "./jsonrpc.ts";

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
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  // Handlers are written inline and never removed: named closures cost a
  // defineProperty each under tsx (keepNames), and a finished request takes
  // its listeners with it. A settled promise ignores whatever comes later.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        req.resume(); // drain without keeping anything
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", () => reject(cutShort()));
    req.on("close", () => {
      if (!req.complete) reject(cutShort());
    });
  });
}

function cutShort(): HttpError {
  return httpError(400, ErrorCode.InvalidRequest, "Invalid request: the body was cut short");
}

function tooLarge(limit: number): HttpError {
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
export function accepted(res: ServerResponse): void {
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
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
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
export function sendError(res: ServerResponse, error: unknown): void {
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
