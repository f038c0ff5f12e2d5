/**
 * Resource limits end to end over real sockets: maxSessions, sessionIdleMs,
 * maxInflightPerSession, toolTimeoutMs, maxBodyBytes and maxQueuedBytes.
 * Every limit is set small so each test stays well under a second or two.
 *
 * Not tested here: the `headersTimeout` / `requestTimeout` that listen() sets
 * against slow-loris clients (10 s and 30 s, not configurable), since proving
 * them over a socket would take over ten seconds a test.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { listen } from "./_door.ts";
import { EventReader, LegacyClient } from "./_client.ts";
import type { Message } from "./_client.ts";
import { StreamableClient, waitFor, expectHttpError } from "./_streamable.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Tools that wait are steered by key: the test releases them.
const gates = new Map<string, () => void>();
const started = new Set<string>();

function release(key: string): void {
  const open = gates.get(key);
  gates.delete(key);
  open?.();
}

function releaseAll(): void {
  for (const key of [...gates.keys()]) release(key);
}

const keyed = { type: "object", properties: { key: { type: "string" } }, required: ["key"] };

/** `hold` waits for its gate (or an abort); `ping_tool` answers at once. */
function register(server: McpServer): McpServer {
  server.tool("hold", { inputSchema: keyed }, async ({ key }: { key: string }, ctx) => {
    started.add(key);
    await new Promise<void>((resolve) => {
      gates.set(key, resolve);
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    return `released ${key}`;
  });
  server.tool("quick", {}, () => "quick");
  return server;
}


/** Asserts a 503 that tells the client when to come back. */
async function expectFull(res: Response): Promise<void> {
  const retry = res.headers.get("retry-after");
  await expectHttpError(res, 503);
  assert.match(retry ?? "", /^\d+$/, `Retry-After is ${retry}`);
}

async function session(base: string): Promise<StreamableClient> {
  const client = new StreamableClient(base);
  await client.initialize();
  return client;
}

async function ping(client: StreamableClient): Promise<number> {
  const res = await client.request("ping");
  await res.text();
  return res.status;
}

function openSse(base: string): Promise<Response> {
  return fetch(`${base}/sse`, { headers: { accept: "text/event-stream" } });
}

describe("maxSessions", () => {
  let server: McpServer;
  let base: string;

  before(async () => {
    server = register(createServer({ name: "full", version: "1.0.0", maxSessions: 2 }));
    ({ url: base } = await listen(server));
  });

  after(async () => {
    await server.close();
  });

  it("the third Streamable HTTP initialize gets 503 with Retry-After; a deleted session makes room", async () => {
    const first = await session(base);
    const second = await session(base);
    assert.equal(server.sessionCount, 2);
    const third = new StreamableClient(base);
    const refused = await third.request("initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "third", version: "0" },
    });
    assert.equal(refused.headers.get("mcp-session-id"), null);
    await expectFull(refused);
    await expectFull(await openSse(base));
    assert.equal(server.sessionCount, 2);

    const deleted = await first.delete();
    assert.equal(deleted.status, 200);
    await deleted.text();
    await waitFor(() => server.sessionCount === 1, "the deleted session to be gone");
    await third.initialize();
    assert.ok(third.sessionId);
    assert.equal(await ping(third), 200);
    assert.equal(await ping(second), 200);
    for (const client of [second, third]) await (await client.delete()).text();
    await waitFor(() => server.sessionCount === 0, "every session to end");
  });

  it("the third GET /sse gets 503 with Retry-After; a closed stream makes room", async () => {
    const first = await LegacyClient.connect(base);
    const second = await LegacyClient.connect(base);
    try {
      await expectFull(await openSse(base));
      const refused = new StreamableClient(base);
      await expectFull(await refused.request("initialize", {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "third", version: "0" },
      }));

      await first.close();
      await waitFor(() => server.sessionCount === 1, "the closed stream's session to end");
      const third = await LegacyClient.connect(base);
      await third.initialize();
      await third.close();
    } finally {
      await first.close();
      await second.close();
    }
    await waitFor(() => server.sessionCount === 0, "every session to end");
  });
});

describe("sessionIdleMs", () => {
  let server: McpServer;
  let base: string;

  before(async () => {
    server = register(createServer({ name: "idle", version: "1.0.0", sessionIdleMs: 100 }));
    ({ url: base } = await listen(server));
  });

  after(async () => {
    releaseAll();
    await server.close();
  });

  it("an idle Streamable HTTP session (no stream, nothing running) ends and then answers 404", async () => {
    const client = await session(base);
    assert.equal(server.sessionCount, 1);
    await waitFor(() => server.sessionCount === 0, "the idle session to expire", 3000);
    await expectHttpError(await client.request("ping"), 404);
    await expectHttpError(await client.get(), 404);
  });

  it("a session with an open GET stream is not expired while it stays open", async () => {
    const client = await session(base);
    const stream = await client.get();
    assert.equal(stream.status, 200);
    try {
      await sleep(500); // ten sweeps, five idle periods
      assert.equal(server.sessionCount, 1);
      assert.equal(await ping(client), 200);
    } finally {
      await stream.body!.cancel();
    }
    await waitFor(() => server.sessionCount === 0, "the session to expire once its stream closed", 3000);
    await expectHttpError(await client.request("ping"), 404);
  });

  it("a session with a tool call in flight is not expired mid-call", async () => {
    const client = await session(base);
    const call = client.call("hold", { key: "idle-inflight" });
    await waitFor(() => started.has("idle-inflight"), "the call to start");
    await sleep(500);
    assert.equal(server.sessionCount, 1);
    release("idle-inflight");
    const res = await call;
    assert.equal(res.status, 200);
    const body = await res.json() as Message;
    assert.deepEqual(body.result, { content: [{ type: "text", text: "released idle-inflight" }] });
    await waitFor(() => server.sessionCount === 0, "the session to expire after the call", 3000);
  });

  it("an HTTP+SSE session is not expired while its stream is open", async () => {
    const client = await LegacyClient.connect(base);
    try {
      await client.initialize();
      await sleep(500);
      assert.equal(server.sessionCount, 1);
      const { response } = await client.request("ping");
      assert.deepEqual(response.result, {});
    } finally {
      await client.close();
    }
    await waitFor(() => server.sessionCount === 0, "the closed stream's session to end");
  });
});

describe("sessionIdleMs with a client that keeps talking", () => {
  let server: McpServer;
  let base: string;

  before(async () => {
    server = register(createServer({ name: "chatty", version: "1.0.0", sessionIdleMs: 500 }));
    ({ url: base } = await listen(server));
  });

  after(async () => {
    await server.close();
  });

  it("each request refreshes a session, so one used more often than the idle time never expires", async () => {
    const client = await session(base);
    const until = Date.now() + 1500; // three idle periods
    while (Date.now() < until) {
      assert.equal(await ping(client), 200);
      await sleep(50);
    }
    assert.equal(server.sessionCount, 1);
    await (await client.delete()).text();
  });
});

describe("maxInflightPerSession", () => {
  let server: McpServer;
  let base: string;

  before(async () => {
    server = register(createServer({ name: "busy", version: "1.0.0", maxInflightPerSession: 2 }));
    ({ url: base } = await listen(server));
  });

  after(async () => {
    releaseAll();
    await server.close();
  });

  it("a third concurrent tools/call gets -32600 Too many requests in flight; the first two complete normally", async () => {
    const client = await session(base);
    const first = client.call("hold", { key: "busy-1" });
    const second = client.call("hold", { key: "busy-2" });
    await waitFor(() => started.has("busy-1") && started.has("busy-2"), "two calls to start");

    const third = await client.call("hold", { key: "busy-3" });
    assert.equal(third.status, 200);
    const refused = await third.json() as Message;
    assert.equal(refused.error.code, -32600);
    assert.match(refused.error.message, /Too many requests in flight/);
    assert.equal(refused.result, undefined);
    assert.equal(started.has("busy-3"), false);

    // Another session is not limited by this one.
    const other = await session(base);
    const quick = await other.call("quick");
    assert.equal((await quick.json() as Message).result.content[0].text, "quick");

    release("busy-1");
    release("busy-2");
    for (const [res, key] of [[await first, "busy-1"], [await second, "busy-2"]] as const) {
      assert.equal(res.status, 200);
      const body = await res.json() as Message;
      assert.deepEqual(body.result, { content: [{ type: "text", text: `released ${key}` }] }, JSON.stringify(body));
    }

    // With the two done, the session may run calls again.
    const again = await client.call("quick");
    assert.equal((await again.json() as Message).result.content[0].text, "quick");
  });
});

describe("toolTimeoutMs", () => {
  let server: McpServer;
  let base: string;
  let slowSignal: AbortSignal | undefined;
  let stubbornDone: (() => void) | undefined;

  before(async () => {
    server = register(createServer({ name: "timeouts", version: "1.0.0", toolTimeoutMs: 100 }));
    server.tool("slow", {}, async (_args, ctx) => {
      slowSignal = ctx.signal;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      return "finished anyway";
    });
    server.tool("stubborn", {}, async () => {
      // Ignores its signal: only the test ends it.
      await new Promise<void>((resolve) => (stubbornDone = resolve));
      return "too late";
    });
    ({ url: base } = await listen(server));
  });

  after(async () => {
    stubbornDone?.();
    await server.close();
  });

  it("a tool that outlives toolTimeoutMs answers isError with the timeout, and its ctx.signal is aborted", async () => {
    const client = await session(base);
    const t0 = Date.now();
    const res = await client.call("slow");
    const elapsed = Date.now() - t0;
    assert.equal(res.status, 200);
    const body = await res.json() as Message;
    assert.deepEqual(body.result, { content: [{ type: "text", text: 'Tool "slow" timed out after 100 ms' }], isError: true });
    assert.ok(elapsed >= 90 && elapsed < 2000, `answered after ${elapsed} ms`);
    assert.equal(slowSignal?.aborted, true);
  });

  it("a tool that ignores its signal still gets the timeout result", async () => {
    const client = await session(base);
    const t0 = Date.now();
    const res = await client.call("stubborn");
    const elapsed = Date.now() - t0;
    const body = await res.json() as Message;
    assert.deepEqual(body.result, { content: [{ type: "text", text: 'Tool "stubborn" timed out after 100 ms' }], isError: true });
    assert.ok(elapsed < 2000, `answered after ${elapsed} ms`);
    stubbornDone?.();
    // The session is not stuck on the abandoned call.
    const quick = await client.call("quick");
    assert.equal((await quick.json() as Message).result.content[0].text, "quick");
  });

  it("a tool that finishes in time is not affected", async () => {
    const client = await session(base);
    const res = await client.call("quick");
    assert.deepEqual((await res.json() as Message).result, { content: [{ type: "text", text: "quick" }] });
  });

  it("the timeout holds over HTTP+SSE too", async () => {
    const client = await LegacyClient.connect(base);
    try {
      await client.initialize();
      const { response } = await client.request("tools/call", { name: "slow", arguments: {} });
      assert.deepEqual(response.result, { content: [{ type: "text", text: 'Tool "slow" timed out after 100 ms' }], isError: true });
    } finally {
      await client.close();
    }
  });
});

describe("maxBodyBytes", () => {
  let server: McpServer;
  let base: string;

  before(async () => {
    server = register(createServer({ name: "small", version: "1.0.0", maxBodyBytes: 1024 }));
    ({ url: base } = await listen(server));
  });

  after(async () => {
    await server.close();
  });

  const big = JSON.stringify({ jsonrpc: "2.0", id: 5, method: "ping", params: { pad: "x".repeat(2048) } });

  it("a Streamable HTTP body over the limit gets 413", async () => {
    const client = await session(base);
    const message = await expectHttpError(await client.post(big), 413);
    assert.equal(message.error.code, -32600);
  });

  it("an HTTP+SSE body over the limit gets 413", async () => {
    const client = await LegacyClient.connect(base);
    try {
      const message = await expectHttpError(await client.post(big), 413);
      assert.equal(message.error.code, -32600);
    } finally {
      await client.close();
    }
  });
});

describe("maxQueuedBytes", () => {
  let server: McpServer;
  let base: string;
  let port: number;

  before(async () => {
    server = register(createServer({
      name: "queue",
      version: "1.0.0",
      maxQueuedBytes: 64 * 1024,
      keepAliveMs: 0,
      eventStore: false,
    }));
    ({ url: base, port } = await listen(server));
  });

  after(async () => {
    await server.close();
  });

  it("a GET stream whose reader stops reading is cut off while server.log() floods it; the session lives on", async () => {
    const client = await session(base);
    const socket: Socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    let received = 0;
    let ended = false;
    socket.on("close", () => (ended = true));
    try {
      // Read the response head, then stop reading: the kernel buffers fill, then Node's.
      const head = await new Promise<string>((resolve, reject) => {
        let text = "";
        const onData = (chunk: Buffer) => {
          text += chunk.toString("latin1");
          received += chunk.length;
          if (text.includes("\r\n\r\n")) {
            socket.off("data", onData);
            socket.pause();
            resolve(text);
          }
        };
        socket.on("data", onData);
        socket.once("close", () => reject(new Error(`closed before the head: ${text}`)));
        socket.write(
          `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n` +
            `Mcp-Session-Id: ${client.sessionId}\r\nMCP-Protocol-Version: ${client.protocolVersion}\r\n\r\n`,
        );
      });
      assert.match(head, /^HTTP\/1\.1 200 /);
      assert.match(head, /content-type: text\/event-stream/i);

      const data = "x".repeat(64 * 1024);
      let sent = 0;
      const budget = 96 * 1024 * 1024; // far beyond any loopback socket buffer
      const deadline = Date.now() + 10_000;
      while (sent < budget && Date.now() < deadline) {
        server.log("info", data);
        sent += data.length;
        await new Promise((resolve) => setImmediate(resolve)); // let the socket take what it can
      }

      // Read what was let through: a cut-off stream ends; one that was kept would never end.
      socket.on("data", (chunk: Buffer) => (received += chunk.length));
      socket.resume();
      await waitFor(() => ended, `the server to end the stream (${received} bytes read of ${sent} logged)`, 5000);
      assert.ok(received < sent, `read ${received} of ${sent} bytes`);

      // Only the connection was cut: the session still serves requests and can open a new stream.
      assert.equal(server.sessionCount, 1);
      assert.equal(await ping(client), 200);
      const stream = await client.get();
      assert.equal(stream.status, 200);
      server.log("info", "after the cut");
      const reader = new EventReader(stream.body!);
      try {
        const event = await reader.next();
        assert.equal((JSON.parse(event!.data) as Message).params.data, "after the cut");
      } finally {
        await reader.cancel();
      }
    } finally {
      socket.destroy();
      await (await client.delete()).text();
    }
  });
});
