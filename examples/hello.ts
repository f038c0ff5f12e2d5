/**
 * The quick start: two tools over HTTP+SSE.
 *
 *   npx tsx examples/hello.ts          (or: npm start)
 *   deno run --allow-net --allow-env examples/hello.ts
 *   bun examples/hello.ts
 *
 * Then point an MCP client at http://127.0.0.1:3000/sse, or a browser at
 * http://127.0.0.1:3000/ for the playground.
 */
import process from "node:process";
import { createServer } from "../mod.ts";

const server = createServer({
  name: "hello",
  version: "1.0.0",
  playground: true, // a page to try the tools by hand, at the printed URL
  // DEBUG=emcee prints a line per session and per request on stderr.
  logger: process.env.DEBUG?.includes("emcee") ? (line) => console.error(`[emcee] ${line}`) : undefined,
});

server.tool("add", {
  description: "Add two numbers",
  inputSchema: {
    type: "object",
    properties: { a: { type: "number" }, b: { type: "number" } },
    required: ["a", "b"],
  },
}, async ({ a, b }) => a + b);

server.tool("countdown", {
  description: "Count down from n, reporting progress each second",
  inputSchema: {
    type: "object",
    properties: { n: { type: "integer", minimum: 1, maximum: 10 } },
    required: ["n"],
  },
}, async ({ n }, ctx) => {
  for (let i = 1; i <= n; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    ctx.signal.throwIfAborted();
    ctx.progress(i, n, `${n - i} to go`);
  }
  return "Liftoff!";
});

const { url } = await server.listen({ port: Number(process.env.PORT ?? 3000) });
console.log(`emcee "hello" listening: ${url}/mcp (Streamable HTTP) and ${url}/sse (HTTP+SSE)`);
console.log(`playground: ${url}/`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close({ deadline: 5000 }).then(() => process.exit(0)));
}
