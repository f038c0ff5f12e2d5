/**
 * emcee mounted under a prefix of an existing `node:http` server: MCP at
 * `/tools/sse`, everything else handled by the app's own code.
 *
 *   npx tsx examples/embed.ts
 *   then connect an MCP client to http://127.0.0.1:3000/tools/sse
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { createServer } from "../mod.ts";

const mcp = createServer({ name: "embedded", version: "1.0.0", basePath: "/tools" });
mcp.tool("shout", {
  description: "Upper-case the text",
  inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
}, ({ text }: { text: string }) => text.toUpperCase());

const app = http.createServer((req, res) => {
  if (req.url?.startsWith("/tools/")) return mcp.handler(req, res);
  res.writeHead(200, { "content-type": "text/plain" }).end("The app's own page\n");
});

app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const { port } = app.address() as AddressInfo;
  console.log(`app on http://127.0.0.1:${port}/ with MCP at http://127.0.0.1:${port}/tools/sse`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void mcp.close();
    app.close(() => process.exit(0));
    app.closeAllConnections();
  });
}
