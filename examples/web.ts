/**
 * An app with routes of its own beside MCP tools, on one port: `/` and
 * `/other` answer JSON, `/sse` + `/messages` serve MCP.
 *
 *   npx tsx examples/web.ts
 *   curl http://127.0.0.1:3000/other
 */
import process from "node:process";
import { createServer } from "../mod.ts";

const server = createServer({ name: "web", version: "1.0.0" });

server.route("GET", "/", () => ({ message: "Hello from emcee" }));
server.route("GET", "/other", () => ({ message: "Another route" }));
server.route("GET", "/greet/:name", (_req, _res, { name }) => ({ message: `Hello, ${name}` }));

server.tool("time", {
  description: "The server's current time, in ISO 8601",
}, () => new Date().toISOString());

server.tool("echo", {
  description: "Echo the text back",
  inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
}, ({ text }) => text);

const { url } = await server.listen({ port: Number(process.env.PORT ?? 3000) });
console.log(`emcee "web" listening: ${url}/ (JSON) and ${url}/sse (MCP)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close({ deadline: 5000 }).then(() => process.exit(0)));
}
