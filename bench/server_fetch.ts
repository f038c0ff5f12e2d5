/**
 * The emcee contestant on the runtime's native server: bench/server.ts's
 * {@linkcode benchServer} (tools `add` and `echo`, every option at its
 * default) served through `server.fetch` by `Deno.serve(server.fetch)` or
 * `Bun.serve({ fetch: server.fetch })`, their options at their defaults.
 *
 *   PORT=4100 deno run -A bench/server_fetch.ts
 *   PORT=4100 bun bench/server_fetch.ts
 *
 * @module
 */
import process from "node:process";
import { NATIVE_SERVER, serveNative } from "./native.ts";
import { benchServer } from "./server.ts";

const server = benchServer();
const url = serveNative(server.fetch, Number(process.env.PORT ?? 4100));
console.log(`emcee bench server on ${NATIVE_SERVER}: ${url}/sse and ${url}/mcp`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
