/**
 * The same tools over stdio, for desktop clients that launch servers as
 * commands. stdout carries MCP only; logs go to stderr.
 *
 *   npx tsx examples/stdio.ts
 *   echo '{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}' | npx tsx examples/stdio.ts
 *
 * A client configuration (Claude Desktop, VS Code, …):
 *   { "command": "npx", "args": ["tsx", "/path/to/examples/stdio.ts"] }
 */
import process from "node:process";
import { createServer } from "../mod.ts";

const server = createServer({ name: "stdio-example", version: "1.0.0" });

server.tool("add", {
  description: "Add two numbers",
  inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
}, ({ a, b }) => String(a + b));

server.tool("confirm", {
  description: "Asks the user to confirm, then reports the answer",
  inputSchema: { type: "object", properties: { question: { type: "string" } }, required: ["question"] },
}, async ({ question }, ctx) => {
  const { action, content } = await ctx.elicit({
    message: question,
    requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
  });
  return `${action}: ${JSON.stringify(content ?? {})}`;
});

console.error("emcee stdio example: reading MCP from stdin");
const { closed } = server.serveStdio();
await closed;
await server.close();
console.error("emcee stdio example: stdin ended, bye");
process.exitCode = 0;
