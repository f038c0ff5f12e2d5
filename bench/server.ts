/**
 * The emcee contestant: tools `add(a, b)` → `String(a + b)` and
 * `echo(text)` → `text`, arguments checked by each tool's JSON Schema, served
 * on `/sse` + `/messages` and `/mcp`. Every option is left at its default
 * (`keepAliveMs` 15 s, in-memory event store), as a user would run it.
 *
 *   PORT=4100 npx tsx bench/server.ts
 *   deno run -A bench/server.ts        bun bench/server.ts
 *
 * With `REDIS_URL` set, it joins a cluster through that Redis (`RedisBus`
 * over node-redis, as examples/cluster.ts does), for bench/cluster.ts:
 *
 *   REDIS_URL=redis://127.0.0.1:6379 PORT=4101 npx tsx bench/server.ts
 *
 * Imported (tests/bench_smoke.test.ts), it only exports {@linkcode benchServer}.
 *
 * @module
 */
import { resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createServer, RedisBus } from "../mod.ts";
import { connectRedis } from "./redis.ts";
import type { ClusterOptions, McpServer } from "../mod.ts";

/**
 * Builds the bench server, not yet listening.
 *
 * @param cluster the `cluster` option, to join one; default none
 * @returns an emcee server with the tools `add` and `echo`
 * @example
 * ```ts
 * const { url, close } = await benchServer().listen({ port: 0 });
 * ```
 */
export function benchServer(cluster?: ClusterOptions): McpServer {
  const server = createServer(cluster ? { name: "emcee-bench", version: "1.0.0", cluster } : { name: "emcee-bench", version: "1.0.0" });
  server.tool("add", {
    description: "Add two numbers",
    inputSchema: {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    },
  }, async ({ a, b }: { a: number; b: number }) => String(a + b));
  server.tool("echo", {
    description: "Echo the text back",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  }, async ({ text }: { text: string }) => text);
  return server;
}

/** Whether this file is the program being run, on Node + tsx, Deno and Bun alike. */
function isMain(): boolean {
  const main = (import.meta as { main?: boolean }).main;
  if (main !== undefined) return main;
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  const redisUrl = process.env.REDIS_URL;
  const redis = redisUrl ? await connectRedis(redisUrl) : undefined;
  const server = benchServer(redis && { bus: new RedisBus({ client: redis.client, subscriber: redis.subscriber }) });
  const { url } = await server.listen({ port: Number(process.env.PORT ?? 4100), hostname: "127.0.0.1" });
  console.log(`emcee bench server: ${url}/sse and ${url}/mcp` + (redis ? ` (cluster instance ${server.instanceId}, Redis ${redisUrl})` : ""));
  process.once("SIGTERM", () => void server.close().then(() => redis?.quit()).then(() => process.exit(0)));
}
