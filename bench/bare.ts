/**
 * The floor: a bare `node:http` responder that does only the work no MCP
 * server can avoid. It parses each JSON body, answers `initialize`,
 * `tools/list` and `tools/call` directly, and checks arguments with
 * `typeof` (no schema library): bare_mcp.ts, which bare_fetch.ts shares on
 * Deno.serve and Bun.serve.
 *
 * - HTTP+SSE: `GET /sse` holds the stream and names the endpoint;
 *   `POST /messages?sessionId=…` answers 202 and writes the reply on the stream.
 * - Streamable HTTP: `POST /mcp` answers with JSON; sessions are a set of ids.
 *
 * No keep-alive comments, no event store, no Host/Origin checks, no protocol
 * version checks: whatever a real server spends beyond this is overhead.
 *
 *   PORT=4101 npx tsx bench/bare.ts
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import process from "node:process";
import { answer, NOT_FOUND, PARSE_ERROR, SESSION_NOT_FOUND } from "./bare_mcp.ts";
import type { Message } from "./bare_mcp.ts";

function readJson(req: IncomingMessage, res: ServerResponse, then: (message: Message) => void): void {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (body += chunk));
  req.on("end", () => {
    let message: Message;
    try {
      message = JSON.parse(body) as Message;
    } catch {
      return json(res, 400, PARSE_ERROR);
    }
    then(message);
  });
}

function json(res: ServerResponse, status: number, value: object, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

const streams = new Map<string, ServerResponse>(); // HTTP+SSE: session id → its stream
const sessions = new Set<string>(); // Streamable HTTP session ids

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  if (req.method === "GET" && path === "/sse") {
    const id = randomUUID();
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`);
    streams.set(id, res);
    res.on("close", () => streams.delete(id));
  } else if (req.method === "POST" && path === "/messages") {
    const stream = streams.get(new URLSearchParams(url.slice(q + 1)).get("sessionId") ?? "");
    if (!stream) return json(res, 404, SESSION_NOT_FOUND);
    readJson(req, res, (message) => {
      res.writeHead(202).end();
      const reply = answer(message);
      if (reply) stream.write(`event: message\ndata: ${JSON.stringify(reply)}\n\n`);
    });
  } else if (req.method === "POST" && path === "/mcp") {
    readJson(req, res, (message) => {
      if (message.method === "initialize") {
        const id = randomUUID();
        sessions.add(id);
        return json(res, 200, answer(message)!, { "mcp-session-id": id });
      }
      if (!sessions.has(String(req.headers["mcp-session-id"]))) {
        return json(res, 404, SESSION_NOT_FOUND);
      }
      const reply = answer(message);
      if (reply) json(res, 200, reply);
      else res.writeHead(202).end();
    });
  } else if (req.method === "DELETE" && path === "/mcp") {
    sessions.delete(String(req.headers["mcp-session-id"]));
    res.writeHead(200).end();
  } else {
    json(res, 404, NOT_FOUND);
  }
});

server.listen(Number(process.env.PORT ?? 4101), "127.0.0.1", () => {
  console.log(`bare bench server: http://127.0.0.1:${(server.address() as { port: number }).port}`);
});
// A clean exit on SIGTERM, so `node --cpu-prof` writes its profile.
process.once("SIGTERM", () => process.exit(0));
