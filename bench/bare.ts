/**
 * The floor: a bare `node:http` responder that does only the work no MCP
 * server can avoid. It parses each JSON body, answers `initialize`,
 * `tools/list` and `tools/call` directly, and checks arguments with
 * `typeof` (no schema library).
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

type Id = string | number;
interface Message {
  id?: Id;
  method?: string;
  params?: { protocolVersion?: string; name?: string; arguments?: Record<string, unknown> };
}

const TOOLS = [
  { name: "add", inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] } },
  { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } },
];

const text = (value: string) => ({ content: [{ type: "text", text: value }] });
const invalid = (problem: string) => ({ content: [{ type: "text", text: problem }], isError: true });

/** The tool's result, or undefined for an unknown tool. */
function callTool(name: string | undefined, args: Record<string, unknown> = {}): object | undefined {
  if (name === "add") {
    const { a, b } = args;
    return typeof a === "number" && typeof b === "number" ? text(String(a + b)) : invalid("a and b must be numbers");
  }
  if (name === "echo") return typeof args.text === "string" ? text(args.text) : invalid("text must be a string");
  return undefined;
}

/** The response to a request, or undefined for a notification. */
function answer(message: Message): object | undefined {
  const { id, method, params } = message;
  if (id === undefined) return undefined;
  const result = (value: object) => ({ jsonrpc: "2.0", id, result: value });
  const error = (code: number, text: string) => ({ jsonrpc: "2.0", id, error: { code, message: text } });
  switch (method) {
    case "initialize":
      return result({
        protocolVersion: params?.protocolVersion ?? "2025-11-25",
        capabilities: { tools: {} },
        serverInfo: { name: "bare", version: "1.0.0" },
      });
    case "ping":
      return result({});
    case "tools/list":
      return result({ tools: TOOLS });
    case "tools/call": {
      const value = callTool(params?.name, params?.arguments);
      return value ? result(value) : error(-32602, `Unknown tool: ${params?.name}`);
    }
    default:
      return error(-32601, `Method not found: ${method}`);
  }
}

function readJson(req: IncomingMessage, res: ServerResponse, then: (message: Message) => void): void {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (body += chunk));
  req.on("end", () => {
    let message: Message;
    try {
      message = JSON.parse(body) as Message;
    } catch {
      return json(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
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
    if (!stream) return json(res, 404, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Session not found" } });
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
        return json(res, 404, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Session not found" } });
      }
      const reply = answer(message);
      if (reply) json(res, 200, reply);
      else res.writeHead(202).end();
    });
  } else if (req.method === "DELETE" && path === "/mcp") {
    sessions.delete(String(req.headers["mcp-session-id"]));
    res.writeHead(200).end();
  } else {
    json(res, 404, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Not found" } });
  }
});

server.listen(Number(process.env.PORT ?? 4101), "127.0.0.1", () => {
  console.log(`bare bench server: http://127.0.0.1:${(server.address() as { port: number }).port}`);
});
// A clean exit on SIGTERM, so `node --cpu-prof` writes its profile.
process.once("SIGTERM", () => process.exit(0));
