/**
 * A cluster over a real Redis (Debian's redis-server, started here on a free
 * loopback port): two processes of examples/cluster.ts behind
 * examples/round_robin.ts, which sends consecutive requests to alternating
 * instances, reached by the official SDK client on both session transports;
 * then an instance killed mid-call, and Redis itself going away and coming
 * back under two in-process servers.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { connectRedis, startRedis } from "../bench/redis.ts";
import type { RedisProcess } from "../bench/redis.ts";
import { freePort } from "../bench/spawn.ts";
import { createServer, RedisBus, RedisEventStore } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { systemSkip } from "./_system.ts";
import { runtimeCommand, startCommand, startExample } from "./_spawn.ts";
import type { Running } from "./_spawn.ts";
import { nextMessage, readSse, StreamableClient } from "./_streamable.ts";
import { EventReader } from "./_client.ts";
import type { Message } from "./_client.ts";

// tests/_setup.ts installs redis-server before npm test; only EMCEE_SKIP_SYSTEM_TESTS skips these.
const skip = systemSkip("redis-server");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function stopProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

/** Lines an instance printed that start with `prefix` (after its `[emcee PORT]` tag). */
const linesOf = (instance: Running, prefix: string) =>
  instance.output().split("\n").filter((l) => l.replace(/^\[emcee \d+\] /, "").startsWith(prefix));

describe("cluster over Redis: two processes behind a round-robin proxy", { skip }, () => {
  let redis: RedisProcess;
  let redisUrl: string;
  const instances: Running[] = [];
  let proxy: Running;

  before(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    redisUrl = redis.url;
    for (let i = 0; i < 2; i++) {
      instances.push(await startExample("cluster.ts", { REDIS_URL: redisUrl, DEBUG: "emcee", SESSION_TTL_MS: "1500" }));
    }
    const [cmd, args] = runtimeCommand(fileURLToPath(new URL("../examples/round_robin.ts", import.meta.url)));
    proxy = await startCommand(cmd, [...args, ...instances.map((i) => new URL(i.url).port)], {}, "round_robin.ts");
  });
  after(async () => {
    await Promise.all([...instances.map((i) => i.stop()), proxy?.stop()]);
    await redis?.stop();
  });

  /** The instance that is not `port`'s. */
  const other = (port: string) => instances.find((i) => new URL(i.url).port !== port)!;
  const byPort = (port: string) => instances.find((i) => new URL(i.url).port === port)!;

  async function exercise(client: Client, label: string): Promise<string> {
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ["countdown", "greet", "toggle", "whoami"], label);
    const owners = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const who = await client.callTool({ name: "whoami" });
      owners.add((who.content as { text: string }[])[0]!.text);
    }
    assert.equal(owners.size, 1, `${label}: every call ran on the session's owner, wherever it landed`);
    const owner = /port (\d+)/.exec([...owners][0]!)![1]!;

    const progress: number[] = [];
    const done = await client.callTool({ name: "countdown", arguments: { n: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    // Steps are 100 ms apart, so 1 and 2 always arrive. The last one leaves 1 ms
    // before the result, and the SDK client drops a progress notification that
    // it reads in the same chunk as its response (it handles notifications a
    // microtask late); the proxy in between may merge the two writes under load.
    assert.deepEqual(progress, [1, 2, 3].slice(0, Math.max(2, progress.length)), `${label}: progress crossed`);
    assert.equal((done.content as { text: string }[])[0]!.text, `Liftoff from port ${owner}`);

    const greeting = await client.callTool({ name: "greet" });
    assert.equal((greeting.content as { text: string }[])[0]!.text, "Hello, Ada!", `${label}: elicitation answered across`);
    return owner;
  }

  function sdkClient(): { client: Client; listChanged: Promise<unknown> } {
    const client = new Client({ name: "cluster-test", version: "0" }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: { name: "Ada" } }));
    const listChanged = new Promise((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, resolve));
    return { client, listChanged };
  }

  it("serves the SDK's Streamable HTTP client, whose POSTs land on both instances", async () => {
    const { client, listChanged } = sdkClient();
    const transport = new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`));
    await client.connect(transport);
    const owner = await exercise(client, "Streamable HTTP");
    await client.callTool({ name: "toggle" });
    await listChanged;
    assert.ok((await client.listTools()).tools.some((t) => t.name === "bonus"), "the owner's registry changed");
    const session = transport.sessionId!;
    const forwarded = linesOf(other(owner), `forward POST /mcp session=${session}`);
    assert.ok(forwarded.length >= 4, `POSTs landed on the instance without the session: ${forwarded.length}`);
    assert.ok(linesOf(byPort(owner), "serve POST /mcp from=").length >= forwarded.length);
    await client.close();
  });

  it("serves the SDK's HTTP+SSE client, whose POSTs land on the instance without its stream", async () => {
    const { client, listChanged } = sdkClient();
    const before = instances.map((i) => linesOf(i, "forward POST /messages").length);
    await client.connect(new SSEClientTransport(new URL(`${proxy.url}/sse`)));
    const owner = await exercise(client, "HTTP+SSE");
    await client.callTool({ name: "toggle" });
    await listChanged;
    const index = instances.indexOf(other(owner));
    const forwarded = linesOf(other(owner), "forward POST /messages").length - before[index]!;
    assert.ok(forwarded >= 4, `POSTs reached the stream's owner through the other instance: ${forwarded}`);
    await client.close();
  });

  it("kills an instance mid-call: its clients get an answer or 404 at once, re-initialize on the other, and Redis forgets its sessions", async () => {
    // Open sessions until one lands on each instance.
    const clients: { client: Client; transport: StreamableHTTPClientTransport; owner: string }[] = [];
    for (let i = 0; i < 6 && new Set(clients.map((c) => c.owner)).size < 2; i++) {
      const client = new Client({ name: "kill-test", version: "0" });
      const transport = new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`));
      await client.connect(transport);
      const who = await client.callTool({ name: "whoami" });
      clients.push({ client, transport, owner: /port (\d+)/.exec((who.content as { text: string }[])[0]!.text)![1]! });
    }
    const victim = clients[0]!;
    const survivor = other(victim.owner);
    const redisClient = await connectRedis(redisUrl);
    try {
      assert.equal(await redisClient.client.get(`emcee:session:${victim.transport.sessionId}`), byPort(victim.owner).output().match(/instance ([\w-]+) listening/)![1]);
      const inFlight = victim.client.callTool({ name: "countdown", arguments: { n: 40 } }).then(
        () => "answered",
        (error: Error) => `failed: ${error.message}`,
      );
      await sleep(300);
      const killedAt = Date.now();
      await stopProcess(byPort(victim.owner).child, "SIGKILL");
      const outcome = await inFlight;
      assert.match(outcome, /^failed/, "the call in flight fails instead of hanging");
      assert.ok(Date.now() - killedAt < 5000, `the call failed within ${Date.now() - killedAt} ms`);

      // The next request of that session: 404 (through either door), so the client starts over.
      const raw = new StreamableClient(proxy.url);
      raw.sessionId = victim.transport.sessionId;
      raw.protocolVersion = "2025-11-25";
      for (let i = 0; i < 2; i++) {
        const res = await raw.request("ping");
        assert.equal(res.status, 404);
        assert.equal((await res.json() as Message).error.code, -32600);
      }
      const again = new Client({ name: "kill-test", version: "0" });
      await again.connect(new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`)));
      const who = await again.callTool({ name: "whoami" });
      assert.equal((who.content as { text: string }[])[0]!.text, `instance on port ${new URL(survivor.url).port}`);
      await again.close();

      // Sessions of the dead instance that nobody touched expire with their TTL (1.5 s here).
      const untouched = clients.filter((c) => c.owner === victim.owner && c !== victim).map((c) => c.transport.sessionId!);
      for (const id of untouched) {
        let gone = false;
        for (let i = 0; i < 40 && !gone; i++) {
          gone = (await redisClient.client.exists(`emcee:session:${id}`)) === 0;
          if (!gone) await sleep(100);
        }
        assert.ok(gone, `session ${id} was forgotten`);
      }
      assert.ok(Date.now() - killedAt < 1500 + 5000);
    } finally {
      await redisClient.quit();
      for (const { client } of clients) await client.close().catch(() => {});
    }
  });
});

describe("cluster over Redis: Redis goes away and comes back", { skip }, () => {
  let redis: RedisProcess;
  let port: number;
  const servers: McpServer[] = [];
  const connections: { quit(): Promise<unknown> }[] = [];

  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(connections.map((c) => c.quit()));
    await redis.stop();
  });

  async function instance(name: string, lines: string[]): Promise<{ server: McpServer; url: string }> {
    const redisConnection = await connectRedis(`redis://127.0.0.1:${port}`);
    connections.push(redisConnection);
    const server = createServer({
      name,
      version: "1.0.0",
      cluster: { bus: new RedisBus(redisConnection), sessionTtlMs: 600, timeoutMs: 300 },
      logger: (line) => lines.push(line),
      onError: () => {},
    });
    server.tool("whoami", {}, () => name);
    servers.push(server);
    return { server, url: (await server.listen({ port: 0 })).url };
  }

  it("lets servers share one pair of connections: one leaving does not unsubscribe the other", async () => {
    const shared = await connectRedis(`redis://127.0.0.1:${port}`);
    connections.push(shared);
    const bus = new RedisBus(shared);
    const make = async (name: string) => {
      const server = createServer({ name, version: "1.0.0", cluster: { bus }, onError: () => {} });
      server.tool("whoami", {}, () => name);
      servers.push(server);
      return { server, url: (await server.listen({ port: 0 })).url };
    };
    const x = await make("x");
    const y = await make("y");
    const z = await instance("z", []);
    const onY = new StreamableClient(y.url);
    await onY.initialize();
    await x.server.close();
    const viaZ = new StreamableClient(z.url);
    viaZ.sessionId = onY.sessionId;
    viaZ.protocolVersion = onY.protocolVersion;
    const res = await viaZ.call("whoami");
    assert.equal(res.status, 200);
    assert.equal((await res.json() as Message).result.content[0].text, "y");
    // Broadcasts still reach y, on the channel x shared with it.
    const stream = new EventReader((await onY.get()).body!);
    await sleep(50);
    z.server.log("notice", "from z");
    assert.deepEqual((await nextMessage(stream)).params, { level: "notice", data: "from z" });
    await stream.cancel();
  });

  it("answers 503 for cross-instance requests while Redis is down, serves local ones, and recovers by itself", async () => {
    const linesA: string[] = [];
    const linesB: string[] = [];
    const a = await instance("a", linesA);
    const b = await instance("b", linesB);
    const onA = new StreamableClient(a.url);
    await onA.initialize();
    const viaB = () => {
      const c = new StreamableClient(b.url);
      c.sessionId = onA.sessionId;
      c.protocolVersion = onA.protocolVersion;
      return c.call("whoami");
    };
    const first = await viaB();
    assert.equal(first.status, 200, `before the outage: ${first.status} ${linesB.join(" | ")}`);
    assert.equal((await first.json() as Message).result.content[0].text, "a");

    await redis.stop();
    const refused = await viaB();
    assert.equal(refused.status, 503, `during the outage: ${refused.status} ${linesB.join(" | ")}`);
    assert.equal(refused.headers.get("retry-after"), "1");
    await refused.body?.cancel();
    const local = await onA.call("whoami");
    assert.equal(local.status, 200, `the session is served where it lives: ${local.status} ${linesA.join(" | ")}`);
    await local.body?.cancel();
    assert.ok(linesB.includes("cluster bus unavailable"));

    // A new, empty Redis on the same port: the clients reconnect, and the heartbeat claims the sessions again.
    redis = await startRedis(port);
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      await sleep(100);
      const res = await viaB();
      status = res.status;
      await res.body?.cancel();
    }
    assert.equal(status, 200, "routing works again without a restart");
    // The new Redis knew nothing: A's next renewal records its session there again, for instances that never saw it.
    const check = await connectRedis(`redis://127.0.0.1:${port}`);
    try {
      let owner: string | null = null;
      for (let i = 0; i < 30 && owner === null; i++) {
        owner = await check.client.get(`emcee:session:${onA.sessionId}`);
        if (owner === null) await sleep(50);
      }
      assert.equal(owner, a.server.instanceId);
      // B saw the outage (A may not have: its renewals can fall on either side of it); its next renewal sees the end.
      for (let i = 0; i < 30 && !linesB.includes("cluster bus available again"); i++) await sleep(50);
      assert.ok(linesB.includes("cluster bus available again"), linesB.join(" | "));
    } finally {
      await check.quit();
    }
  });
});

describe("RedisEventStore: resumable streams kept in Redis", { skip }, () => {
  let redis: RedisProcess;
  let url: string;
  let connection: Awaited<ReturnType<typeof connectRedis>>;

  before(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    url = redis.url;
    connection = await connectRedis(url);
  });
  after(async () => {
    await connection.quit();
    await redis.stop();
  });

  it("numbers events per stream, replays only after an id this session issued, bounds, expires and drops", async () => {
    const { client } = connection;
    const store = new RedisEventStore({ client, prefix: "t1", maxEventsPerStream: 3, ttlMs: 60_000 });
    const ids = ["a", "b", "c", "d", "e"].map((data) => store.append("s1", "7", data));
    assert.deepEqual(ids, ["7_0", "7_1", "7_2", "7_3", "7_4"]);
    store.append("s2", "7", "other session");
    await sleep(20); // the writes are not awaited
    assert.deepEqual(await store.after("s1", "7_2"), { streamId: "7", events: [{ id: "7_3", data: "d" }, { id: "7_4", data: "e" }] });
    assert.deepEqual(await store.after("s1", "7_0"), { streamId: "7", events: [{ id: "7_2", data: "c" }, { id: "7_3", data: "d" }, { id: "7_4", data: "e" }] }, "older ones were trimmed");
    assert.deepEqual(await store.after("s1", "7_4"), { streamId: "7", events: [] });
    assert.equal(await store.after("s1", "7_5"), undefined, "an id not issued yet");
    assert.equal(await store.after("s1", "8_0"), undefined, "another stream's");
    assert.equal(await store.after("s3", "7_0"), undefined, "another session's");
    assert.equal(await store.after("s1", "nonsense"), undefined);
    const ttl = Number(await client.sendCommand(["PTTL", "t1:events:s1:7"]));
    assert.ok(ttl > 50_000 && ttl <= 60_000, `PTTL ${ttl}`);
    store.drop("s1");
    await sleep(20);
    assert.equal(await client.exists("t1:events:s1:7"), 0);
    assert.equal(await store.after("s1", "7_2"), undefined);
    assert.equal(await client.exists("t1:events:s2:7"), 1, "the other session's events stay");
    assert.throws(() => new RedisEventStore({ client, maxEventsPerStream: 0 }), /maxEventsPerStream must be an integer >= 1/);
  });

  it("serves Streamable HTTP resumption from Redis, catching up on events sent while Redis was answering", async () => {
    // LRANGE answers slowly here, while the tool keeps reporting progress: the resumed stream must miss nothing.
    const slow = {
      sendCommand: async (args: string[]) => {
        const result = await connection.client.sendCommand(args);
        if (args[0] === "LRANGE") await sleep(60); // the answer is a snapshot taken before this wait
        return result;
      },
    };
    const server = createServer({ name: "resume", version: "1.0.0", eventStore: new RedisEventStore({ client: slow, prefix: "t2" }) });
    server.tool("ticks", {
      inputSchema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
    }, async ({ n }, ctx) => {
      for (let i = 1; i <= n; i++) {
        await sleep(10);
        await ctx.progress(i, n);
      }
      return "done";
    });
    const { url: base } = await server.listen({ port: 0 });
    try {
      const client = new StreamableClient(base);
      await client.initialize("2025-11-25");
      const res = await client.call("ticks", { n: 20 }, { progressToken: "t" }, { accept: "text/event-stream" });
      const reader = new EventReader(res.body!);
      const priming = await reader.next();
      assert.equal(priming?.data, "", "a priming event carries the first resume point");
      await nextMessage(reader); // progress 1
      const seen = reader.raw;
      await reader.cancel(); // the connection drops mid-call
      const lastId = [...seen.matchAll(/^id: (.*)$/gm)].at(-1)![1]!;
      await sleep(30);
      const resumed = await client.get({ "last-event-id": lastId });
      assert.equal(resumed.status, 200);
      const { events } = await readSse(resumed);
      const messages = events.filter((e) => e.data !== "").map((e) => JSON.parse(e.data) as Message);
      const progress = messages.filter((m) => m.method === "notifications/progress").map((m) => m.params.progress);
      assert.deepEqual(progress, Array.from({ length: 19 }, (_, i) => i + 2), "every progress after the last one seen, in order");
      assert.equal(messages.at(-1)!.result.content[0].text, "done");
      const seqs = events.map((e) => Number(e.id!.split("_")[1]));
      assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), "consecutive event ids");
    } finally {
      await server.close();
    }
  });
});
