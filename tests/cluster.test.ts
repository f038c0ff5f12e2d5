/**
 * Two servers joined by a MemoryBus, over real sockets: a session opened on
 * one is served through the other, on both session transports. The same
 * routing over Redis, with real processes and the official SDK, is
 * tests/cluster_redis.test.ts.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { createServer, MemoryBus } from "../mod.ts";
import type { McpServer, SessionBus } from "../mod.ts";
import { EventReader, LegacyClient } from "./_client.ts";
import type { Message } from "./_client.ts";
import { nextMessage, readSse, StreamableClient } from "./_streamable.ts";

interface Instance {
  server: McpServer;
  url: string;
  lines: string[];
}

const released: (() => void)[] = [];

async function start(bus: SessionBus, name: string, extra: Record<string, unknown> = {}): Promise<Instance> {
  const lines: string[] = [];
  const server = createServer({
    name,
    version: "1.0.0",
    cluster: { bus, timeoutMs: 200, sessionTtlMs: 3000 },
    logger: (line) => lines.push(line),
    onError: () => {},
    ...extra,
  });
  server.tool("whoami", {}, () => name);
  server.tool("count", {
    inputSchema: { type: "object", properties: { to: { type: "integer" } }, required: ["to"] },
  }, async ({ to }, ctx) => {
    for (let i = 1; i <= to; i++) await ctx.progress(i, to);
    return `${name} counted to ${to}`;
  });
  server.tool("ask", {}, async (_args, ctx) => {
    const answer = await ctx.elicit({ message: "Name?", requestedSchema: { type: "object", properties: { name: { type: "string" } } } });
    return `${name} heard ${JSON.stringify(answer.content)}`;
  });
  server.tool("hold", {}, (_args, ctx) =>
    new Promise<string>((resolve) => {
      released.push(() => resolve("released"));
      ctx.signal.addEventListener("abort", () => resolve("aborted"));
    }));
  server.resource("note://1", {}, () => "one");
  const { url } = await server.listen({ port: 0 });
  return { server, url, lines };
}

/** A client of `url` that uses `client`'s session: its requests reach the session through another instance. */
function through(url: string, client: StreamableClient): StreamableClient {
  const other = new StreamableClient(url);
  other.sessionId = client.sessionId;
  other.protocolVersion = client.protocolVersion;
  return other;
}

/** Starts two instances on `bus`, runs `test` with them, and closes both whatever happens. */
async function withPair(
  bus: SessionBus,
  test: (a: Instance, b: Instance) => Promise<void>,
  extra: { a?: Record<string, unknown>; b?: Record<string, unknown> } = {},
): Promise<void> {
  const a = await start(bus, "a", extra.a);
  const b = await start(bus, "b", extra.b);
  try {
    await test(a, b);
  } finally {
    await Promise.all([a.server.close(), b.server.close()]);
  }
}

/** A bus that is `inner` but for the methods given. */
function wrap(inner: SessionBus, overrides: Partial<SessionBus>): SessionBus {
  return {
    join: (i, l) => inner.join(i, l),
    leave: (i) => inner.leave(i),
    claim: (i, s, t) => inner.claim(i, s, t),
    owner: (s) => inner.owner(s),
    release: (s) => inner.release(s),
    send: (i, m) => inner.send(i, m),
    broadcast: (m) => inner.broadcast(m),
    ...overrides,
  };
}

/** The two instances' forwarding lines. */
const forwards = (i: Instance) => i.lines.filter((l) => l.startsWith("forward "));

describe("cluster over a MemoryBus", () => {
  const bus = new MemoryBus();
  let a: Instance;
  let b: Instance;

  before(async () => {
    a = await start(bus, "a");
    b = await start(bus, "b");
  });
  after(async () => {
    for (const release of released) release();
    await Promise.all([a.server.close(), b.server.close()]);
  });

  it("serves a Streamable HTTP session opened on A through B: JSON replies, notifications, DELETE", async () => {
    const onA = new StreamableClient(a.url);
    await onA.initialize();
    const onB = through(b.url, onA);

    const before = forwards(b).length;
    const res = await onB.call("whoami");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal((await res.json() as Message).result.content[0].text, "a", "the call ran on the session's owner");
    assert.equal(forwards(b).length, before + 1);
    assert.match(forwards(b).at(-1)!, new RegExp(`^forward POST /mcp session=${onA.sessionId} to=${a.server.instanceId}$`));
    assert.ok(a.lines.some((l) => l === `serve POST /mcp from=${b.server.instanceId}`));

    const note = await onB.post({ jsonrpc: "2.0", method: "notifications/roots/list_changed" });
    assert.equal(note.status, 202);

    const deleted = await onB.delete();
    assert.equal(deleted.status, 200);
    const gone = await onA.call("whoami");
    assert.equal(gone.status, 404, "DELETE through B ended the session on A");
    await gone.body?.cancel();
    const goneB = await onB.call("whoami");
    assert.equal(goneB.status, 404, "and B no longer finds it either");
    await goneB.body?.cancel();
  });

  it("streams a reply across instances: progress, then the result, byte for byte as on the owner", async () => {
    const onA = new StreamableClient(a.url);
    await onA.initialize("2025-06-18");
    const onB = through(b.url, onA);
    const viaB = await readSse(await onB.call("count", { to: 3 }, { progressToken: "p" }));
    const direct = await readSse(await onA.call("count", { to: 3 }, { progressToken: "p" }));
    assert.equal(viaB.events.length, 4);
    assert.deepEqual(viaB.events.slice(0, 3).map((e) => JSON.parse(e.data).params.progress), [1, 2, 3]);
    assert.equal(JSON.parse(viaB.events[3]!.data).result.content[0].text, "a counted to 3");
    // Same stream on both paths, but for the request id and the stream's event ids.
    const normal = (raw: string) => raw.replace(/"id":\d+/g, '"id":N').replace(/^id: .*$/gm, "id: X");
    assert.equal(normal(viaB.raw), normal(direct.raw));
  });

  it("answers an elicitation through the other instance, and keeps the GET stream on either", async () => {
    const onA = new StreamableClient(a.url);
    await onA.post({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: { elicitation: {} }, clientInfo: { name: "t", version: "0" } },
    }).then(async (res) => {
      onA.sessionId = res.headers.get("mcp-session-id")!;
      onA.protocolVersion = "2025-11-25";
      await res.body?.cancel();
    });
    const onB = through(b.url, onA);
    await (await onB.post({ jsonrpc: "2.0", method: "notifications/initialized" })).body?.cancel();

    // The call goes through B; the question arrives on its stream; the answer goes through A.
    const reply = await onB.call("ask");
    const reader = new EventReader(reply.body!);
    const question = await nextMessage(reader);
    assert.equal(question.method, "elicitation/create");
    const answered = await onA.post({ jsonrpc: "2.0", id: question.id, result: { action: "accept", content: { name: "Ada" } } });
    assert.equal(answered.status, 202);
    const result = await nextMessage(reader);
    assert.equal(result.result.content[0].text, 'a heard {"name":"Ada"}');
    await reader.cancel();

    // The standalone stream opened through B gets what the owner sends the session.
    const stream = new EventReader((await onB.get()).body!);
    const subscribed = await onA.request("resources/subscribe", { uri: "note://1" });
    assert.equal(subscribed.status, 200);
    await subscribed.body?.cancel();
    b.server.resourceUpdated("note://1"); // on the instance that does not hold the session
    const update = await nextMessage(stream);
    assert.deepEqual(update, { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "note://1" } });
    b.server.log("warning", "from b");
    assert.deepEqual((await nextMessage(stream)).params, { level: "warning", data: "from b" });
    await stream.cancel();
  });

  it("serves an HTTP+SSE session's POSTs through the instance without its stream: 202 there, the reply on the stream", async () => {
    const client = await LegacyClient.connect(a.url);
    const viaB = new LegacyClient(b.url, client.events, client.endpoint);
    const before = forwards(b).length;
    const init = await viaB.initialize();
    assert.equal(init.result.serverInfo.name, "a");
    const { response, before: progress } = await viaB.request("tools/call", {
      name: "count",
      arguments: { to: 2 },
      _meta: { progressToken: 7 },
    });
    assert.equal(response.result.content[0].text, "a counted to 2");
    assert.equal(progress.length, 2);
    assert.equal(forwards(b).length, before + 3, "initialize, initialized, the call: every POST crossed");
    // Bad input is answered by the owner, as if it had arrived there.
    const bad = await viaB.post("{nope");
    assert.equal(bad.status, 400);
    assert.equal((await bad.json() as Message).error.code, -32700);
    await client.close();
  });

  it("lets the owner know when the client of a forwarded stream goes away", async () => {
    // Observed through idle expiry: a session with a stream open never expires, so it expires only if A heard.
    const bus2 = new MemoryBus();
    await withPair(bus2, async (x, y) => {
      const onX = new StreamableClient(x.url);
      await onX.initialize();
      const onY = through(y.url, onX);
      const controller = new AbortController();
      const res = await fetch(onY.url, {
        signal: controller.signal,
        headers: { accept: "text/event-stream", "mcp-session-id": onX.sessionId!, "mcp-protocol-version": "2025-11-25" },
      });
      assert.equal(res.status, 200);
      // Read it meanwhile: a response nobody holds may be collected, and its connection closed with it (Bun).
      const reading = new EventReader(res.body!);
      void reading.next(10_000).catch(() => {});
      await new Promise((r) => setTimeout(r, 600));
      const held = await onX.call("whoami");
      assert.equal(held.status, 200, "an open stream keeps the session");
      await held.body?.cancel();
      controller.abort();
      await reading.cancel().catch(() => {});
      let status = 200;
      for (let i = 0; i < 40 && status === 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const probe = await onX.request("ping");
        status = probe.status;
        await probe.body?.cancel();
        if (status === 200) await new Promise((r) => setTimeout(r, 400)); // the probe itself counts as activity
      }
      assert.equal(status, 404, "the stream closed on the owner, and the idle session expired");
    }, { a: { sessionIdleMs: 250 } });
  });

  it("refuses another principal's session id across instances with the same 404", async () => {
    const bus2 = new MemoryBus();
    const authenticate = (req: { headers: Record<string, unknown> }) => String(req.headers.authorization ?? "anon");
    await withPair(bus2, async (x, y) => {
      const onX = new StreamableClient(x.url);
      await onX.initialize();
      const thief = through(y.url, onX);
      const res = await thief.call("whoami", {}, undefined, { authorization: "Bearer someone-else" });
      assert.equal(res.status, 404);
      assert.equal((await res.json() as Message).error.message, "Session not found: it has ended or never existed");
    }, { a: { authenticate }, b: { authenticate } });
  });
});

describe("cluster failures", () => {
  it("gives 404 for sessions of an instance that has gone, and a stale-id initialize a new session", async () => {
    const bus = new MemoryBus();
    await withPair(bus, async (a, b) => {
      const onA = new StreamableClient(a.url);
      await onA.initialize();
      const legacy = await LegacyClient.connect(a.url);
      // Gone without a word: A leaves the bus (as a killed process's subscription does) but its claims stay.
      await bus.leave(a.server.instanceId!);
      const onB = through(b.url, onA);
      const res = await onB.call("whoami");
      assert.equal(res.status, 404);
      await res.body?.cancel();
      const post = await new LegacyClient(b.url, legacy.events, legacy.endpoint).post({ jsonrpc: "2.0", id: 1, method: "ping" });
      assert.equal(post.status, 404);
      await post.body?.cancel();
      // The client initializes again, carrying its stale id: a new session on B.
      const again = await onB.post({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "0" } },
      });
      assert.equal(again.status, 200);
      assert.notEqual(again.headers.get("mcp-session-id"), onA.sessionId);
      assert.equal((await again.json() as Message).result.serverInfo.name, "b");
      await legacy.close();
    });
  });

  it("answers the requests in flight when their owner dies mid-call: a JSON reply gets 404, a stream an error", async () => {
    const bus = new MemoryBus();
    await withPair(bus, async (a, b) => {
      const onA = new StreamableClient(a.url);
      await onA.initialize();
      const onB = through(b.url, onA);
      const json = onB.post({ jsonrpc: "2.0", id: 41, method: "tools/call", params: { name: "hold", arguments: {} } }, {
        accept: "application/json",
      });
      const streamed = await onB.post({ jsonrpc: "2.0", id: 42, method: "tools/call", params: { name: "count", arguments: { to: 1 } } });
      await readSse(streamed);
      const sse = await onB.post(
        { jsonrpc: "2.0", id: 43, method: "tools/call", params: { name: "hold", arguments: {} } },
        { accept: "text/event-stream" },
      );
      assert.equal(sse.headers.get("content-type"), "text/event-stream");
      await bus.leave(a.server.instanceId!);
      const started = Date.now();
      const refused = await json;
      assert.equal(refused.status, 404);
      assert.equal((await refused.json() as Message).error.message, "Session not found: the instance that held it has gone");
      const { events } = await readSse(sse);
      const last = JSON.parse(events.at(-1)!.data) as Message;
      assert.deepEqual(last, { jsonrpc: "2.0", id: 43, error: { code: -32603, message: "Internal error: the instance serving this session has gone" } });
      assert.ok(Date.now() - started < 2000, "within a few watchdog periods");
    });
  });

  it("answers 503 when the bus cannot be reached, keeps local sessions working, and recovers", async () => {
    const inner = new MemoryBus();
    let broken = false;
    const down = () => Promise.reject(new Error("down"));
    const flaky = wrap(inner, {
      claim: (i, s, t) => broken ? down() : inner.claim(i, s, t),
      owner: (s) => broken ? new Promise(() => {}) : inner.owner(s), // hangs, as a client with an offline queue does
      release: (s) => broken ? down() : inner.release(s),
      send: (i, m) => broken ? down() : inner.send(i, m),
      broadcast: (m) => broken ? down() : inner.broadcast(m),
    });
    const errors: unknown[] = [];
    await withPair(flaky, async (a, b) => {
      const onA = new StreamableClient(a.url);
      await onA.initialize();
      broken = true;
      const onB = through(b.url, onA);
      const refused = await onB.call("whoami");
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "1");
      assert.match((await refused.json() as Message).error.message, /session bus cannot be reached/);
      const local = await onA.call("whoami");
      assert.equal(local.status, 200, "a session on the instance it reached keeps working");
      await local.body?.cancel();
      const fresh = new StreamableClient(b.url);
      await fresh.initialize(); // new sessions open too, and are claimed when the bus returns
      assert.equal(errors.length, 1, "one report per outage, per instance that saw it");
      assert.ok(b.lines.includes("cluster bus unavailable"));

      broken = false;
      const back = await onB.call("whoami");
      assert.equal(back.status, 200);
      await back.body?.cancel();
      // Within a heartbeat (a third of sessionTtlMs), B's fresh session is known to the bus again.
      const onA2 = through(a.url, fresh);
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const res = await onA2.call("whoami");
        status = res.status;
        await res.body?.cancel();
      }
      assert.equal(status, 200);
      assert.ok(b.lines.includes("cluster bus available again"));
    }, { a: { onError: (e: unknown) => errors.push(e) }, b: { onError: (e: unknown) => errors.push(e) } });
  });

  it("answers 503 when the owner is known but the bus fails to carry the request", async () => {
    const inner = new MemoryBus();
    let failSend = false;
    const bus = wrap(inner, { send: (i, m) => failSend ? Promise.reject(new Error("send failed")) : inner.send(i, m) });
    await withPair(bus, async (a, b) => {
      const onA = new StreamableClient(a.url);
      await onA.initialize();
      failSend = true;
      const onB = through(b.url, onA);
      const res = await onB.call("whoami");
      assert.equal(res.status, 503);
      await res.body?.cancel();
      failSend = false;
    });
  });

  it("answers 503 when the owner's answer is lost on the bus (pub/sub delivers at most once), instead of hanging", async () => {
    const inner = new MemoryBus();
    let dropAnswers = false;
    const lossy = wrap(inner, {
      // The owner's frames vanish as if published while this instance's subscription was down.
      send: (i, m) => dropAnswers && m.startsWith('{"t":"res"') ? Promise.resolve(true) : inner.send(i, m),
    });
    await withPair(lossy, async (a, b) => {
      const onA = new StreamableClient(a.url);
      await onA.initialize();
      dropAnswers = true;
      const started = Date.now();
      const lost = await through(b.url, onA).call("whoami");
      assert.equal(lost.status, 503);
      assert.ok(Date.now() - started < 1500, `answered after ${Date.now() - started} ms (timeoutMs 200)`);
      await lost.body?.cancel();
      dropAnswers = false;
      const back = await through(b.url, onA).call("whoami");
      assert.equal(back.status, 200);
      await back.body?.cancel();
    });
  });

  it("joins the bus late when it was down at start, and reports garbage on the bus without stopping", async () => {
    const inner = new MemoryBus();
    let joins = 0;
    const bus = wrap(inner, { join: (i, l) => ++joins <= 2 ? Promise.reject(new Error("not yet")) : inner.join(i, l) });
    const errors: string[] = [];
    const options = { cluster: { bus, sessionTtlMs: 150, timeoutMs: 200 }, onError: (_e: unknown, where: string) => errors.push(where) };
    await withPair(bus, async (a, b) => {
      const onA = new StreamableClient(a.url);
      await onA.initialize();
      const onB = through(b.url, onA);
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const res = await onB.call("whoami");
        status = res.status;
        await res.body?.cancel();
      }
      assert.equal(status, 200, "both joined on a later heartbeat, and A's session was claimed");
      assert.deepEqual(errors, ["cluster bus", "cluster bus"], "each instance reported the outage once");
      await inner.send(a.server.instanceId!, "not json");
      await inner.send(a.server.instanceId!, '{"t":"gone","from":"nobody","ref":1}');
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(errors, ["cluster bus", "cluster bus", "cluster bus"]);
      const still = await onB.call("whoami");
      assert.equal(still.status, 200);
      await still.body?.cancel();
    }, { a: options, b: options });
  });

  it("cuts off a client that stops reading a forwarded stream, and tells the owner", async () => {
    const bus = new MemoryBus();
    await withPair(bus, async (a, b) => {
      const onA = new StreamableClient(a.url);
      await onA.initialize();
      // A raw GET stream through B whose reader stops reading after the head (a paused socket pushes back on every runtime).
      const socket = connect(Number(new URL(b.url).port), "127.0.0.1");
      socket.on("error", () => {});
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      await new Promise<void>((resolve) => {
        socket.once("data", () => (socket.pause(), resolve()));
        socket.write(
          `GET /mcp HTTP/1.1\r\nHost: ${new URL(b.url).host}\r\nAccept: text/event-stream\r\n` +
            `Mcp-Session-Id: ${onA.sessionId}\r\nMcp-Protocol-Version: 2025-11-25\r\n\r\n`,
        );
      });
      const big = "x".repeat(64 * 1024);
      let cut = false;
      void closed.then(() => (cut = true));
      for (let i = 0; i < 128 && !cut; i++) { // up to 32 MiB
        for (let j = 0; j < 4; j++) a.server.log("info", big);
        await new Promise((r) => setImmediate(r));
      }
      // Read what was let through: the connection ends long before 32 MiB (Bun closes a cut socket only once drained).
      let read = 0;
      socket.on("data", (chunk: Buffer) => (read += chunk.length));
      socket.resume();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
      assert.ok(cut, "B cut the reader off");
      assert.ok(read < 8 * 1024 * 1024, `the reader got ${read} bytes`);
      // A heard: with no stream left open, the idle session expires.
      let status = 200;
      for (let i = 0; i < 40 && status === 200; i++) {
        await new Promise((r) => setTimeout(r, 450));
        const probe = await onA.request("ping");
        status = probe.status;
        await probe.body?.cancel();
      }
      assert.equal(status, 404);
    }, { a: { sessionIdleMs: 250 }, b: { maxQueuedBytes: 1024 } });
  });

  it("names a new session to its client only once every instance can find it", async () => {
    const inner = new MemoryBus();
    const slow = wrap(inner, {
      claim: (i, s, t) => new Promise((resolve) => setTimeout(resolve, 100)).then(() => inner.claim(i, s, t)),
    });
    await withPair(slow, async (a, b) => {
      const onA = new StreamableClient(a.url);
      await onA.initialize(); // its notifications/initialized went to A; the first request goes to B at once
      const res = await through(b.url, onA).call("whoami");
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const legacy = await LegacyClient.connect(a.url);
      const post = await new LegacyClient(b.url, legacy.events, legacy.endpoint).post({ jsonrpc: "2.0", id: 1, method: "ping" });
      assert.equal(post.status, 202);
      await post.body?.cancel();
      await legacy.close();
    });
  });

  it("refuses a bus that is not one", () => {
    assert.throws(
      () => createServer({ name: "x", version: "1", cluster: { bus: {} as SessionBus } }),
      /cluster\.bus must be a SessionBus/,
    );
    assert.throws(
      () => createServer({ name: "x", version: "1", cluster: { bus: new MemoryBus(), sessionTtlMs: 1 } }),
      /cluster\.sessionTtlMs must be an integer >= 3/,
    );
  });
});
