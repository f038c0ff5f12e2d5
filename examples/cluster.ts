/**
 * One instance of a cluster: run several behind any load balancer, no
 * sticky sessions needed. A request for a session another instance holds is
 * forwarded to it through Redis, and its answer streamed back.
 *
 *   redis-server --port 6379 --save "" &
 *   PORT=3001 npx tsx examples/cluster.ts &
 *   PORT=3002 npx tsx examples/cluster.ts &
 *   PORT=3000 npx tsx examples/round_robin.ts 3001 3002
 *
 * Then point an MCP client at http://127.0.0.1:3000/mcp or /sse: consecutive
 * requests land on alternating instances. `whoami` names the one holding the
 * session. REDIS_URL picks another Redis (default redis://127.0.0.1:6379);
 * SESSION_TTL_MS how soon the sessions of an instance that died are
 * forgotten (default 30000); DEBUG=emcee prints each request forwarded
 * (`forward …`) and served for another instance (`serve …`).
 */
import process from "node:process";
import { createClient } from "redis";
import { createServer, RedisBus, RedisEventStore } from "../mod.ts";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// Fail fast while Redis is away (emcee answers 503) rather than queue commands.
const client = createClient({ url: redisUrl, disableOfflineQueue: true });
const subscriber = client.duplicate();
for (const c of [client, subscriber]) c.on("error", () => {}); // reconnects by itself; emcee reports the outage
await Promise.all([client.connect(), subscriber.connect()]);

let port = Number(process.env.PORT ?? 3001); // the bound one once listening (PORT=0 picks one)
const server = createServer({
  name: "cluster",
  version: "1.0.0",
  cluster: { bus: new RedisBus({ client, subscriber }), sessionTtlMs: Number(process.env.SESSION_TTL_MS ?? 30_000) },
  // Resumable events in Redis too, out of this process's memory (expiring with their sessions).
  eventStore: new RedisEventStore({ client }),
  // 2026-07-28 requests carry sealed state between instances: give them all one key.
  stateSecret: process.env.STATE_SECRET ?? "change me: one secret for every instance",
  logger: process.env.DEBUG?.includes("emcee") ? (line) => console.error(`[emcee ${port}] ${line}`) : undefined,
  onError: (error, where) => console.error(`[emcee ${port}] ${where}:`, error instanceof Error ? error.message : error),
});

server.tool("whoami", { description: "The instance holding this session" }, () => `instance on port ${port}`);

server.tool("countdown", {
  description: "Count down from n, reporting progress every 100 ms",
  inputSchema: { type: "object", properties: { n: { type: "integer", minimum: 1, maximum: 50 } }, required: ["n"] },
}, async ({ n }, ctx) => {
  for (let i = 1; i <= n; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ctx.signal.throwIfAborted();
    await ctx.progress(i, n, `${n - i} to go`);
  }
  return `Liftoff from port ${port}`;
});

server.tool("greet", { description: "Asks for your name, then greets you" }, async (_args, ctx) => {
  const answer = await ctx.elicit({
    message: "What is your name?",
    requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
  });
  return answer.action === "accept" ? `Hello, ${answer.content?.name}!` : "Maybe next time.";
});

// Registries belong to each instance: a change made at run time is announced to the sessions this instance holds.
const bonus = server.tool("bonus", { description: "Appears and disappears with toggle" }, () => "bonus!");
bonus.disable();
server.tool("toggle", { description: "Shows or hides the bonus tool (tools/list_changed)" }, () => {
  if (bonus.enabled) bonus.disable();
  else bonus.enable();
  return bonus.enabled ? "bonus shown" : "bonus hidden";
});

const listening = await server.listen({ port });
port = listening.port;
const { url } = listening;
console.log(`emcee cluster instance ${server.instanceId} listening: ${url}/mcp and ${url}/sse (Redis ${redisUrl})`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await server.close({ deadline: 5000 });
    await Promise.all([client.quit(), subscriber.quit()]).catch(() => {});
    process.exit(0);
  });
}
