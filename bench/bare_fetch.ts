/**
 * The floor on the runtime's native server: bare.ts's minimal work, as a
 * fetch handler served by `Deno.serve` or `Bun.serve` (default options). It
 * reads each body as text, parses it, and answers the same bytes as bare.ts
 * through bare_mcp.ts:
 *
 * - HTTP+SSE: `GET /sse` answers a `ReadableStream` that names the endpoint
 *   at once; `POST /messages?sessionId=…` answers 202 and enqueues the reply
 *   on that stream.
 * - Streamable HTTP: `POST /mcp` answers with JSON; sessions are a set of ids.
 *
 * The one thing beyond bare.ts is Bun's: a stream's idle timeout (10 s by
 * default) is lifted, as emcee's fetch door does, or idle SSE sessions
 * would be cut while the idle-memory test opens thousands of them.
 *
 *   PORT=4101 deno run -A bench/bare_fetch.ts
 *   PORT=4101 bun bench/bare_fetch.ts
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import process from "node:process";
import { answer, NOT_FOUND, PARSE_ERROR, SESSION_NOT_FOUND } from "./bare_mcp.ts";
import type { Message } from "./bare_mcp.ts";
import { NATIVE_SERVER, serveNative } from "./native.ts";
import type { BunServer } from "./native.ts";

const encoder = new TextEncoder();
const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

const json = (status: number, value: object, headers: Record<string, string> = JSON_HEADERS) =>
  new Response(JSON.stringify(value), { status, headers });
const empty = (status: number) => new Response(null, { status });

/** The body parsed, or undefined when it is not JSON. */
async function readJson(request: Request): Promise<Message | undefined> {
  const body = await request.text();
  try {
    return JSON.parse(body) as Message;
  } catch {
    return undefined;
  }
}

const streams = new Map<string, ReadableStreamDefaultController<Uint8Array>>(); // HTTP+SSE: session id → its stream
const sessions = new Set<string>(); // Streamable HTTP session ids

async function handle(request: Request, host?: unknown): Promise<Response> {
  // The path and query from the absolute URL, without building a URL object.
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const q = url.indexOf("?", start);
  const path = q === -1 ? url.slice(start) : url.slice(start, q);
  const method = request.method;
  if (method === "GET" && path === "/sse") {
    const id = randomUUID();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`));
        streams.set(id, controller);
      },
      cancel() {
        streams.delete(id);
      },
    });
    if (host && typeof (host as BunServer).timeout === "function") (host as BunServer).timeout(request, 0);
    return new Response(stream, { headers: SSE_HEADERS });
  }
  if (method === "POST" && path === "/messages") {
    const stream = streams.get(new URLSearchParams(url.slice(q + 1)).get("sessionId") ?? "");
    if (!stream) return json(404, SESSION_NOT_FOUND);
    const message = await readJson(request);
    if (!message) return json(400, PARSE_ERROR);
    const reply = answer(message);
    if (reply) stream.enqueue(encoder.encode(`event: message\ndata: ${JSON.stringify(reply)}\n\n`));
    return empty(202);
  }
  if (method === "POST" && path === "/mcp") {
    const message = await readJson(request);
    if (!message) return json(400, PARSE_ERROR);
    if (message.method === "initialize") {
      const id = randomUUID();
      sessions.add(id);
      return json(200, answer(message)!, { ...JSON_HEADERS, "mcp-session-id": id });
    }
    if (!sessions.has(String(request.headers.get("mcp-session-id")))) return json(404, SESSION_NOT_FOUND);
    const reply = answer(message);
    return reply ? json(200, reply) : empty(202);
  }
  if (method === "DELETE" && path === "/mcp") {
    sessions.delete(String(request.headers.get("mcp-session-id")));
    return empty(200);
  }
  return json(404, NOT_FOUND);
}

const url = serveNative(handle, Number(process.env.PORT ?? 4101));
console.log(`bare bench server on ${NATIVE_SERVER}: ${url}`);
process.once("SIGTERM", () => process.exit(0));
