// The single-file bundle on plain Node, no tsx and no node_modules:
//   npm run bundle && node examples/bundled.mjs
import process from "node:process";
import { createServer } from "../dist/emcee.js";

const server = createServer({ name: "bundled", version: "1.0.0" });
server.tool("add", {
  description: "Add two numbers",
  inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
}, ({ a, b }) => String(a + b));

const { url } = await server.listen({ port: Number(process.env.PORT ?? 3000) });
console.log(`emcee bundle listening: ${url}/mcp and ${url}/sse`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => void server.close({ deadline: 5000 }).then(() => process.exit(0)));
}
