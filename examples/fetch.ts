/**
 * One module, every host that speaks Fetch: it exports `{ fetch }`, which
 * Deno, Bun and Cloudflare Workers serve as they find it.
 *
 *   deno serve --host 127.0.0.1 --port 3000 examples/fetch.ts
 *   bun examples/fetch.ts                       (PORT, default 3000)
 *   npm run worker                              (workerd from npm, PORT, default 8787)
 *
 * `deno serve` and Bun bind every interface unless told (`--host`; Bun's
 * `hostname`), where `listen()` binds 127.0.0.1.
 *
 * Then point an MCP client at http://127.0.0.1:3000/mcp (Streamable HTTP,
 * and the 2026-07-28 revision) or /sse (HTTP+SSE).
 *
 * A Worker's isolate does not hold memory from one request to the next, so
 * there the server is stateless: 2026-07-28 and stateless Streamable HTTP,
 * the two eras that need no session. Deno and Bun keep one process, and
 * serve sessions, HTTP+SSE and resumption too.
 */
import { createServer } from "../mod.ts";

const onWorkers = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers";

// Constructing a server does nothing random and starts no timer, so this may
// run at the top of a Worker module, where both are refused.
const server = createServer({ name: "fetch", version: "1.0.0", stateless: onWorkers });

server.tool("add", {
  description: "Add two numbers",
  inputSchema: {
    type: "object",
    properties: { a: { type: "number" }, b: { type: "number" } },
    required: ["a", "b"],
  },
}, ({ a, b }) => a + b);

server.tool("echo", {
  description: "Echo the text back",
  inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
}, ({ text }) => text);

server.tool("countdown", {
  description: "Count down from n, reporting progress before each 200 ms step",
  inputSchema: {
    type: "object",
    properties: { n: { type: "integer", minimum: 1, maximum: 10 } },
    required: ["n"],
  },
}, async ({ n }, ctx) => {
  for (let i = 0; i < n; i++) {
    ctx.progress(i, n, `${n - i} to go`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    ctx.signal.throwIfAborted();
  }
  return "Liftoff!";
});

// A route of your own may answer with a Web Response, through either door.
server.route("GET", "/health", () => new Response("ok\n", { headers: { "content-type": "text/plain" } }));

// Bun.serve takes its port from PORT (default 3000), `deno serve` from --port, workerd from its config.
export default { fetch: server.fetch };
