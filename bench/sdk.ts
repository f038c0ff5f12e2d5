/**
 * The official SDK contestant (`@modelcontextprotocol/sdk`), following its
 * `sseAndStreamableHttpCompatibleServer` example on plain `node:http`
 * instead of express: one `McpServer` per session, tools registered with
 * zod schemas, `SSEServerTransport` for `/sse` + `/messages` and a stateful
 * `StreamableHTTPServerTransport` (SDK defaults: event-stream replies, no
 * event store) for `/mcp`. Bodies are parsed here, as `express.json()`
 * would, and handed over as `parsedBody`.
 *
 *   PORT=4102 npx tsx bench/sdk.ts
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import process from "node:process";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import * as z from "zod/v4";

/** A fresh server with the two tools, as the SDK's examples build one per session. */
function getServer(): McpServer {
  const server = new McpServer({ name: "sdk-bench", version: "1.0.0" });
  server.registerTool("add", {
    description: "Add two numbers",
    inputSchema: { a: z.number(), b: z.number() },
  }, async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }));
  server.registerTool("echo", {
    description: "Echo the text back",
    inputSchema: { text: z.string() },
  }, async ({ text }) => ({ content: [{ type: "text", text }] }));
  return server;
}

const sessions = new Map<string, SSEServerTransport | StreamableHTTPServerTransport>();

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      try {
        resolve(body === "" ? undefined : JSON.parse(body));
      } catch (error) {
        reject(error);
      }
    });
    req.on("error", reject);
  });
}

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

async function mcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = req.method === "POST" ? await readBody(req) : undefined;
  const sessionId = req.headers["mcp-session-id"];
  const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
  let transport: StreamableHTTPServerTransport;
  if (existing instanceof StreamableHTTPServerTransport) {
    transport = existing;
  } else if (existing) {
    return fail(res, 400, "Bad Request: Session exists but uses a different transport protocol");
  } else if (!sessionId && req.method === "POST" && isInitializeRequest(body)) {
    const created = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, created),
    });
    created.onclose = () => {
      if (created.sessionId) sessions.delete(created.sessionId);
    };
    await getServer().connect(created);
    transport = created;
  } else if (sessionId) {
    return fail(res, 404, "Session not found");
  } else {
    return fail(res, 400, "Bad Request: No valid session ID provided");
  }
  await transport.handleRequest(req, res, body);
}

async function sse(res: ServerResponse): Promise<void> {
  const transport = new SSEServerTransport("/messages", res);
  sessions.set(transport.sessionId, transport);
  transport.onclose = () => void sessions.delete(transport.sessionId);
  await getServer().connect(transport);
}

async function messages(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const transport = sessions.get(query.get("sessionId") ?? "");
  if (!(transport instanceof SSEServerTransport)) return fail(res, 400, "No transport found for sessionId");
  await transport.handlePostMessage(req, res, await readBody(req));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  let done: Promise<void>;
  if (url.pathname === "/mcp") done = mcp(req, res);
  else if (url.pathname === "/sse" && req.method === "GET") done = sse(res);
  else if (url.pathname === "/messages" && req.method === "POST") done = messages(req, res, url.searchParams);
  else done = Promise.resolve(fail(res, 404, "Not found"));
  done.catch((error) => {
    if (!res.headersSent) fail(res, 500, `Internal server error: ${(error as Error).message}`);
  });
});

server.listen(Number(process.env.PORT ?? 4102), "127.0.0.1", () => {
  console.log(`sdk bench server: http://127.0.0.1:${(server.address() as { port: number }).port}`);
});
// A clean exit on SIGTERM, so `node --cpu-prof` writes its profile.
process.once("SIGTERM", () => process.exit(0));
