/**
 * Streamable HTTP end to end over real sockets, with raw fetch as the
 * client: status codes, headers and event streams are asserted as they
 * travel on the wire.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { EventReader, LegacyClient } from "./_client.ts";
import type { Message } from "./_client.ts";
import {
  blocks,
  BOTH,
  eventIds,
  messages,
  nextEvent,
  nextMessage,
  rawRequest,
  readSse,
  StreamableClient,
  waitFor,
} from "./_streamable.ts";
import { listen, withoutOpening } from "./_door.ts";

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "0" } },
};

// Tools that wait are steered by key: the test releases them, the server may abort them.
const gates = new Map<string, () => void>();
const started = new Set<string>();
const aborted = new Set<string>();

function release(key: string): void {
  const open = gates.get(key);
  gates.delete(key);
  open?.();
}

function waitForGate(key: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    gates.set(key, resolve);
    signal.addEventListener("abort", () => {
      aborted.add(key);
      resolve();
    });
  });
}

const keyed = { type: "object", properties: { key: { type: "string" } }, required: ["key"] };

/** The tools every server here serves. */
function register(server: McpServer): void {
  server.tool("add", {
    inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
  }, ({ a, b }: { a: number; b: number }) => a + b);
  server.tool("progress", {
    inputSchema: { type: "object", properties: { steps: { type: "integer" } }, required: ["steps"] },
  }, ({ steps }: { steps: number }, ctx) => {
    for (let i = 1; i <= steps; i++) ctx.progress(i, steps, `step ${i}`);
    return "done";
  });
  server.tool("log", {}, (_args, ctx) => {
    ctx.log("info", "hello", "tests");
    return "logged";
  });
  server.tool("hold", { inputSchema: keyed }, async ({ key }: { key: string }, ctx) => {
    started.add(key);
    await waitForGate(key, ctx.signal);
    return ctx.signal.aborted ? "aborted" : "released";
  });
  server.tool("stepper", { inputSchema: keyed }, async ({ key }: { key: string }, ctx) => {
    ctx.progress(1, 3);
    await waitForGate(key, ctx.signal);
    ctx.progress(2, 3);
    ctx.progress(3, 3);
    return ctx.signal.aborted ? "aborted" : "finished";
  });
  server.tool("poll", {
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  }, async ({ text }: { text: string }, ctx) => {
    ctx.closeSseStream(50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return text;
  });
}

let server: McpServer;
let base: string;
let port: number;
let noStore: McpServer;
let noStoreBase: string;
let stateless: McpServer;
let statelessBase: string;
let listed: McpServer;
let listedBase: string;
let closed: McpServer;
let closedBase: string;
let both: McpServer;
let bothBase: string;

before(async () => {
  server = createServer({ name: "streamable-test", version: "1.0.0", maxBodyBytes: 1024 });
  register(server);
  ({ url: base, port } = await listen(server));
  noStore = createServer({ name: "no-store", version: "1.0.0", eventStore: false });
  register(noStore);
  ({ url: noStoreBase } = await listen(noStore));
  stateless = createServer({ name: "stateless", version: "1.0.0", stateless: true });
  register(stateless);
  ({ url: statelessBase } = await listen(stateless));
  listed = createServer({ name: "listed", version: "1.0.0", allowedOrigins: ["https://app.example"] });
  register(listed);
  ({ url: listedBase } = await listen(listed));
  closed = createServer({ name: "closed", version: "1.0.0", allowedHosts: [] });
  register(closed);
  ({ url: closedBase } = await listen(closed));
  both = createServer({ name: "both", version: "1.0.0" });
  register(both);
  ({ url: bothBase } = await listen(both));
});

after(async () => {
  await Promise.all([server, noStore, stateless, listed, closed, both].map((s) => s.close()));
});

const text = (value: string) => ({ content: [{ type: "text", text: value }] });

/** A client with an initialized session on the main server. */
async function session(version = "2025-11-25", at = base): Promise<StreamableClient> {
  const client = new StreamableClient(at);
  await client.initialize(version);
  return client;
}

/** Asserts an HTTP error that carries a JSON-RPC error body. */
async function expectError(res: Response, status: number, code?: number, id: unknown = null): Promise<Message> {
  const body = await res.text();
  assert.equal(res.status, status, body);
  assert.equal(res.headers.get("content-type"), "application/json");
  const message = JSON.parse(body) as Message;
  assert.equal(message.jsonrpc, "2.0");
  assert.equal(message.id, id);
  assert.equal(typeof message.error.code, "number");
  if (code !== undefined) assert.equal(message.error.code, code);
  assert.equal(typeof message.error.message, "string");
  return message;
}

/** Asserts a normal tools/call on a fresh session still works. */
async function stillServing(): Promise<void> {
  const client = await session();
  const res = await client.call("add", { a: 2, b: 3 });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 2, result: text("5") });
}

/** Asserts ids of the form `<stream>_<seq>`, all of one stream, in increasing order. */
function assertStreamIds(ids: string[]): void {
  const parsed = ids.map((id) => /^(.+)_(\d+)$/.exec(id));
  for (const [i, m] of parsed.entries()) assert.ok(m, `event id ${JSON.stringify(ids[i])} is not <stream>_<seq>`);
  const streams = new Set(parsed.map((m) => m![1]));
  assert.equal(streams.size, 1, `ids from several streams: ${ids.join(", ")}`);
  for (let i = 1; i < parsed.length; i++) assert.ok(Number(parsed[i]![2]) > Number(parsed[i - 1]![2]), ids.join(", "));
}

describe("Streamable HTTP: initialize", () => {
  it("POST initialize answers 200 application/json with a visible-ASCII session id and the server's result", async () => {
    const res = await fetch(`${base}/mcp`, {
      method: "POST",
      headers: { accept: BOTH, "content-type": "application/json" },
      body: JSON.stringify(INITIALIZE),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.match(res.headers.get("mcp-session-id") ?? "", /^[\x21-\x7E]+$/);
    assert.equal(await res.text(), JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      result: {
        protocolVersion: "2025-11-25",
        capabilities: { logging: {}, tools: { listChanged: true } },
        serverInfo: { name: "streamable-test", version: "1.0.0" },
      },
    }));
  });

  for (const version of ["2025-11-25", "2025-06-18", "2025-03-26"]) {
    it(`initialize echoes protocol version ${version}`, async () => {
      const client = new StreamableClient(base);
      const body = await client.initialize(version);
      assert.equal(body.result.protocolVersion, version);
    });
  }

  it("initialize answers 2025-11-25 to an unknown protocol version", async () => {
    const client = new StreamableClient(base);
    const body = await client.initialize("1999-01-01");
    assert.equal(body.result.protocolVersion, "2025-11-25");
  });

  it("initialize with a stale session id starts a new session with a new id", async () => {
    const old = await session();
    await (await old.delete()).text();
    for (const stale of [old.sessionId!, "never-issued"]) {
      const res = await fetch(`${base}/mcp`, {
        method: "POST",
        headers: { accept: BOTH, "content-type": "application/json", "mcp-session-id": stale },
        body: JSON.stringify(INITIALIZE),
      });
      assert.equal(res.status, 200);
      const id = res.headers.get("mcp-session-id");
      assert.match(id ?? "", /^[\x21-\x7E]+$/);
      assert.notEqual(id, stale);
      assert.equal((await res.json() as Message).result.protocolVersion, "2025-11-25");
      const client = new StreamableClient(base);
      client.sessionId = id!;
      const ping = await client.request("ping");
      assert.equal(ping.status, 200);
      assert.deepEqual(await ping.json(), { jsonrpc: "2.0", id: 1, result: {} });
    }
  });
});

describe("Streamable HTTP: notifications and responses", () => {
  it("POST answers notifications/initialized with 202 and an empty body", async () => {
    const client = new StreamableClient(base);
    const res = await client.post(INITIALIZE, { "mcp-protocol-version": undefined });
    await res.text();
    client.sessionId = res.headers.get("mcp-session-id")!;
    const ack = await client.post({ jsonrpc: "2.0", method: "notifications/initialized" });
    assert.equal(ack.status, 202);
    // Framed by Content-Length: 0, not an empty chunked body.
    assert.equal(ack.headers.get("content-length"), "0");
    assert.equal(ack.headers.get("transfer-encoding"), null);
    assert.equal(await ack.text(), "");
  });

  it("POST answers a notification with 202 and an empty body", async () => {
    const client = await session();
    const res = await client.post({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 99 } });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), "");
  });

  it("POST answers a client's response with 202 and an empty body", async () => {
    const client = await session();
    const res = await client.post({ jsonrpc: "2.0", id: 99, result: {} });
    assert.equal(res.status, 202);
    assert.equal(await res.text(), "");
  });
});

describe("Streamable HTTP: JSON or SSE replies", () => {
  it("a tool that sends nothing before its result is answered with application/json", async () => {
    const client = await session();
    const res = await client.call("add", { a: 1, b: 41 });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal(await res.text(), '{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"42"}]}}');
  });

  it("a progress-reporting tool streams a priming event, its progress and its result, byte for byte (2025-11-25)", async () => {
    const client = await session("2025-11-25");
    const res = await client.call("progress", { steps: 2 }, { progressToken: "p1" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("cache-control"), "no-cache, no-transform");
    const { raw } = await readSse(res);
    const ids = eventIds(raw);
    assert.equal(ids.length, 4, raw);
    assertStreamIds(ids);
    const progress = (i: number) =>
      `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p1","progress":${i},"total":2,"message":"step ${i}"}}`;
    assert.equal(
      raw,
      `id: ${ids[0]}\ndata:\n\n` +
        `id: ${ids[1]}\ndata: ${progress(1)}\n\n` +
        `id: ${ids[2]}\ndata: ${progress(2)}\n\n` +
        `id: ${ids[3]}\ndata: {"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"done"}]}}\n\n`,
    );
  });

  it("a logging tool streams a priming event, its log message and its result (2025-11-25)", async () => {
    const client = await session("2025-11-25");
    const res = await client.call("log");
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const { raw } = await readSse(res);
    const ids = eventIds(raw);
    assert.equal(ids.length, 3, raw);
    assertStreamIds(ids);
    assert.equal(
      raw,
      `id: ${ids[0]}\ndata:\n\n` +
        `id: ${ids[1]}\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hello","logger":"tests"}}\n\n` +
        `id: ${ids[2]}\ndata: {"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"logged"}]}}\n\n`,
    );
  });

  for (const version of ["2025-06-18", "2025-03-26"]) {
    it(`a progress stream to a ${version} session has ids on every event and no priming event`, async () => {
      const client = await session(version);
      const res = await client.call("progress", { steps: 2 }, { progressToken: 7 });
      assert.equal(res.headers.get("content-type"), "text/event-stream");
      const { raw, events } = await readSse(res);
      for (const block of blocks(raw)) {
        assert.match(block, /^id: \S+\n/, `an event without id: ${JSON.stringify(block)}`);
        assert.match(block, /\ndata: \S/, `an event without data: ${JSON.stringify(block)}`);
      }
      const ids = eventIds(raw);
      assert.equal(ids.length, 3, raw);
      assertStreamIds(ids);
      assert.deepEqual(messages(events), [
        { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 7, progress: 1, total: 2, message: "step 1" } },
        { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 7, progress: 2, total: 2, message: "step 2" } },
        { jsonrpc: "2.0", id: 2, result: text("done") },
      ]);
    });
  }
});

describe("Streamable HTTP: Accept", () => {
  it("Accept: application/json alone gets JSON even from a progress-reporting tool", async () => {
    const client = await session();
    const res = await client.call("progress", { steps: 2 }, { progressToken: "p" }, { accept: "application/json" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 2, result: text("done") });
  });

  it("Accept: text/event-stream alone gets SSE even from a plain tool", async () => {
    const client = await session();
    const res = await client.call("add", { a: 1, b: 2 }, undefined, { accept: "text/event-stream" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const { events } = await readSse(res);
    assert.deepEqual(messages(events), [{ jsonrpc: "2.0", id: 2, result: text("3") }]);
  });

  it("Accept: text/html is refused with 406 and a JSON-RPC error with id null", async () => {
    const client = await session();
    await expectError(await client.call("add", { a: 1, b: 2 }, undefined, { accept: "text/html" }), 406);
    await stillServing();
  });

  it("a POST without any Accept header is served", async () => {
    const client = await session();
    const body = JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "add", arguments: { a: 4, b: 5 } } });
    const res = await rawRequest(port, "POST", "/mcp", {
      Host: `127.0.0.1:${port}`,
      "Content-Type": "application/json",
      "Mcp-Session-Id": client.sessionId!,
      "MCP-Protocol-Version": "2025-11-25",
    }, body);
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(res.body), { jsonrpc: "2.0", id: 9, result: text("9") });
  });
});

describe("Streamable HTTP: sessions", () => {
  it("a non-initialize POST without Mcp-Session-Id gets 400", async () => {
    const client = new StreamableClient(base);
    await expectError(await client.request("tools/list"), 400);
  });

  it("a POST with an unknown Mcp-Session-Id gets 404", async () => {
    const client = new StreamableClient(base);
    client.sessionId = "no-such-session";
    await expectError(await client.request("tools/list"), 404);
  });

  it("DELETE ends a session with 200; its id then gets 404 on POST, GET and DELETE", async () => {
    const client = await session();
    const res = await client.delete();
    assert.equal(res.status, 200);
    await res.text();
    await expectError(await client.request("ping"), 404);
    await expectError(await client.get(), 404);
    await expectError(await client.delete(), 404);
  });

  it("DELETE ends the session's GET stream and aborts its in-flight tool call", async () => {
    const client = await session();
    const get = await client.get();
    assert.equal(get.status, 200);
    const stream = new EventReader(get.body!);
    try {
      const call = client.call("hold", { key: "deleted" });
      await waitFor(() => started.has("deleted"), "the tool to start");
      const res = await client.delete();
      assert.equal(res.status, 200);
      await res.text();
      assert.equal(await stream.next(), undefined, "the GET stream should end");
      await waitFor(() => aborted.has("deleted"), "the tool's signal to fire");
      await (await call).text();
    } finally {
      await stream.cancel();
    }
  });
});

describe("Streamable HTTP: MCP-Protocol-Version header", () => {
  it("an unsupported MCP-Protocol-Version gets 400", async () => {
    const client = await session();
    await expectError(await client.request("tools/list", undefined, { "mcp-protocol-version": "1999-01-01" }), 400);
  });

  it("a missing MCP-Protocol-Version is accepted", async () => {
    const client = await session();
    const res = await client.request("ping", undefined, { "mcp-protocol-version": undefined });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 2, result: {} });
  });

  it("a supported MCP-Protocol-Version other than the negotiated one is accepted", async () => {
    const client = await session("2025-11-25");
    const res = await client.call("add", { a: 1, b: 1 }, undefined, { "mcp-protocol-version": "2025-03-26" });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { jsonrpc: "2.0", id: 2, result: text("2") });
  });
});

describe("Streamable HTTP: bad bodies get a precise error and the server keeps serving", () => {
  it("a non-JSON Content-Type gets 415", async () => {
    const client = await session();
    await expectError(await client.post('{"jsonrpc":"2.0","id":3,"method":"ping"}', { "content-type": "text/plain" }), 415);
    await stillServing();
  });

  it("an unparseable body gets 400 with -32700 and id null", async () => {
    const client = await session();
    await expectError(await client.post("{not json"), 400, -32700);
    await stillServing();
  });

  it("a body over maxBodyBytes gets 413", async () => {
    const client = await session();
    const body = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping", params: { pad: "x".repeat(2000) } });
    await expectError(await client.post(body), 413);
    await stillServing();
  });

  it("an empty batch gets 400 with -32600", async () => {
    const client = await session("2025-03-26");
    await expectError(await client.post("[]"), 400, -32600);
    await stillServing();
  });

  for (const version of ["2025-06-18", "2025-11-25"]) {
    it(`a batch from a ${version} session gets 400 with -32600`, async () => {
      const client = await session(version);
      const batch = [{ jsonrpc: "2.0", id: 10, method: "ping" }, { jsonrpc: "2.0", id: 11, method: "tools/list" }];
      await expectError(await client.post(batch), 400, -32600);
      await stillServing();
    });
  }

  it("a batch of ping and tools/list from a 2025-03-26 session gets both responses as a JSON array", async () => {
    const client = await session("2025-03-26");
    const res = await client.post([{ jsonrpc: "2.0", id: 10, method: "ping" }, { jsonrpc: "2.0", id: 11, method: "tools/list" }]);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    const body = await res.json() as Message[];
    assert.ok(Array.isArray(body));
    assert.equal(body.length, 2);
    body.sort((a, b) => a.id - b.id);
    assert.deepEqual(body[0], { jsonrpc: "2.0", id: 10, result: {} });
    assert.equal(body[1]!.id, 11);
    assert.ok(body[1]!.result.tools.some((t: Message) => t.name === "add"));
  });

  it("initialize inside a batch gets 400", async () => {
    const client = new StreamableClient(base);
    await expectError(await client.post([INITIALIZE]), 400);
    await stillServing();
  });

  it("an invalid single message gets 400 with -32600 and its own id", async () => {
    const client = await session();
    await expectError(await client.post('{"jsonrpc":"1.0","id":5,"method":"ping"}'), 400, -32600, 5);
    await stillServing();
  });
});

describe("Streamable HTTP: the GET stream", () => {
  it("GET with a session opens a text/event-stream", async () => {
    const client = await session();
    const res = await client.get();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    await res.body!.cancel();
  });

  it("a quiet GET stream's head arrives before its first event, even with keep-alive comments off", async () => {
    const quiet = createServer({ name: "quiet", version: "1.0.0", keepAliveMs: 0 });
    const { url } = await listen(quiet);
    try {
      const client = await session("2025-11-25", url);
      // Nothing is sent on this stream until the head has arrived: a host that withholds the head
      // until the first body byte would hang here (Bun.serve does, without the door's opening comment).
      const stream = new EventReader((await client.get()).body!);
      quiet.log("info", "after the head");
      assert.deepEqual(await nextMessage(stream), {
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "info", data: "after the head" },
      });
      await stream.cancel();
    } finally {
      await quiet.close();
    }
  });

  it("a newly registered tool announces tools/list_changed exactly once, on the newer of two GET streams", async () => {
    const client = await session();
    const first = new EventReader((await client.get()).body!);
    const second = new EventReader((await client.get()).body!);
    try {
      assert.equal(await first.next(), undefined, "the replaced GET stream should end");
      server.tool("announced", {}, () => "here");
      assert.deepEqual(await nextMessage(second), { jsonrpc: "2.0", method: "notifications/tools/list_changed" });
      // A marker sent after it proves no second copy is queued.
      server.log("info", "marker");
      assert.deepEqual(await nextMessage(second), {
        jsonrpc: "2.0",
        method: "notifications/message",
        params: { level: "info", data: "marker" },
      });
    } finally {
      await first.cancel();
      await second.cancel();
    }
  });

  it("GET accepting only application/json gets 406", async () => {
    const client = await session();
    await expectError(await client.get({ accept: "application/json" }), 406);
  });

  it("GET without a session id serves the legacy HTTP+SSE stream, endpoint event first", async () => {
    const legacy = await LegacyClient.connect(base, "/mcp");
    try {
      assert.match(legacy.events.raw, /^event: endpoint\ndata: \/messages\?sessionId=[\x21-\x7E]+\n\n/);
      assert.match(legacy.endpoint, /^\/messages\?sessionId=[\x21-\x7E]+$/);
      const init = await legacy.initialize({}, "2024-11-05");
      assert.equal(init.result.protocolVersion, "2024-11-05");
      const { response } = await legacy.request("tools/call", { name: "add", arguments: { a: 20, b: 22 } });
      assert.deepEqual(response.result, text("42"));
    } finally {
      await legacy.close();
    }
  });
});

describe("Streamable HTTP: resumable streams", () => {
  it("closeSseStream() primes, sends retry and ends the POST stream; GET with Last-Event-ID replays only the result", async () => {
    const client = await session("2025-11-25");
    const res = await client.call("poll", { text: "polled" });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const { raw, events } = await readSse(res);
    assert.deepEqual(messages(events), [], "the POST stream should carry no message");
    const primingId = eventIds(raw)[0] ?? "";
    assert.equal(raw, `id: ${primingId}\ndata:\n\nretry: 50\n\n`);

    const resumed = await client.get({ "last-event-id": primingId });
    assert.equal(resumed.status, 200);
    assert.equal(resumed.headers.get("content-type"), "text/event-stream");
    const replay = await readSse(resumed);
    const [resultId = ""] = eventIds(replay.raw);
    assertStreamIds([primingId, resultId]);
    assert.equal(withoutOpening(replay.raw), `id: ${resultId}\ndata: {"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"polled"}]}}\n\n`);
  });

  it("a Last-Event-ID from one session never replays its events to another session", async () => {
    const a = await session("2025-11-25");
    const { raw } = await readSse(await a.call("poll", { text: "secret of A" }));
    const primingId = eventIds(raw)[0]!;
    // A itself resumes first: its result is then stored, there to leak.
    const own = await readSse(await a.get({ "last-event-id": primingId }));
    assert.deepEqual(messages(own.events).map((m) => m.result), [text("secret of A")]);

    const b = await session("2025-11-25");
    const res = await b.get({ "last-event-id": primingId });
    const stream = new EventReader(res.body!);
    try {
      assert.equal(res.status, 200);
      server.log("info", "for B");
      const first = await nextMessage(stream);
      assert.deepEqual(first, { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "for B" } });
      assert.doesNotMatch(stream.raw, /secret of A/);
    } finally {
      await stream.cancel();
    }
  });

  it("a client that drops a progress stream gets the remaining progress and the result on GET with its last event id", async () => {
    const client = await session("2025-11-25");
    const res = await client.call("stepper", { key: "dropped" }, { progressToken: "s" });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = new EventReader(res.body!);
    const first = await nextEvent(reader);
    await reader.cancel();
    assert.ok(first?.id, "the progress event should carry an id");
    assert.deepEqual(JSON.parse(first.data).params, { progressToken: "s", progress: 1, total: 3 });
    await waitFor(() => gates.has("dropped"), "the tool to wait");
    // Give the server time to see the disconnect: a server that took it for a
    // cancellation would fire the tool's signal within this.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(aborted.has("dropped"), false, "a disconnect is not a cancellation");
    release("dropped");

    const replay = await readSse(await client.get({ "last-event-id": first.id }));
    assert.deepEqual(messages(replay.events), [
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "s", progress: 2, total: 3 } },
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "s", progress: 3, total: 3 } },
      { jsonrpc: "2.0", id: 2, result: text("finished") },
    ]);
    assert.equal(blocks(replay.raw).length, 3, `only the missed events: ${JSON.stringify(replay.raw)}`);
    assertStreamIds([first.id, ...eventIds(replay.raw)]);
  });

  /** Asserts the call's result came back on its own POST, as JSON or SSE, and no `retry:` asked the client to poll. */
  async function resultOnPost(res: Response, expected: Message): Promise<void> {
    assert.equal(res.status, 200);
    if (res.headers.get("content-type") === "application/json") {
      assert.deepEqual(await res.json(), expected);
      return;
    }
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const { raw, events } = await readSse(res);
    assert.doesNotMatch(raw, /^retry:/m);
    assert.deepEqual(messages(events), [expected]);
  }

  it("closeSseStream() does nothing without an event store: the result arrives on the POST stream", async () => {
    const client = await session("2025-11-25", noStoreBase);
    await resultOnPost(await client.call("poll", { text: "kept" }), { jsonrpc: "2.0", id: 2, result: text("kept") });
  });

  for (const version of ["2025-06-18", "2025-03-26"]) {
    it(`closeSseStream() does nothing for a ${version} session: the result arrives on the POST stream`, async () => {
      // Such a client got no priming id to resume with; polling is a 2025-11-25 feature.
      const client = await session(version);
      await resultOnPost(await client.call("poll", { text: "kept" }), { jsonrpc: "2.0", id: 2, result: text("kept") });
    });
  }
});

describe("Streamable HTTP: stateless mode", () => {
  it("initialize is answered 200 without an Mcp-Session-Id header", async () => {
    const res = await fetch(`${statelessBase}/mcp`, {
      method: "POST",
      headers: { accept: BOTH, "content-type": "application/json" },
      body: JSON.stringify(INITIALIZE),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("mcp-session-id"), null);
    assert.equal((await res.json() as Message).result.protocolVersion, "2025-11-25");
  });

  it("tools/list and tools/call work without any session header", async () => {
    const client = new StreamableClient(statelessBase);
    const list = await client.request("tools/list");
    assert.equal(list.status, 200);
    assert.ok((await list.json() as Message).result.tools.some((t: Message) => t.name === "add"));
    const call = await client.call("add", { a: 3, b: 4 });
    assert.equal(call.status, 200);
    assert.deepEqual(await call.json(), { jsonrpc: "2.0", id: 2, result: text("7") });
  });

  it("GET and DELETE get 405 with Allow: POST", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(`${statelessBase}/mcp`, { method, headers: { accept: "text/event-stream" } });
      assert.equal(res.headers.get("allow"), "POST");
      await expectError(res, 405);
    }
  });

  for (const header of ["2025-03-26", undefined]) {
    it(`a batch is accepted with ${header ? `MCP-Protocol-Version ${header}` : "no MCP-Protocol-Version"}`, async () => {
      const client = new StreamableClient(statelessBase);
      const res = await client.post(
        [{ jsonrpc: "2.0", id: 1, method: "ping" }, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "add", arguments: { a: 1, b: 2 } } }],
        { "mcp-protocol-version": header },
      );
      assert.equal(res.status, 200);
      const body = await res.json() as Message[];
      body.sort((x, y) => x.id - y.id);
      assert.deepEqual(body, [{ jsonrpc: "2.0", id: 1, result: {} }, { jsonrpc: "2.0", id: 2, result: text("3") }]);
    });
  }
});

describe("Streamable HTTP: Host and Origin checks", () => {
  it("a foreign Host gets 403 on POST /mcp, GET /sse and POST /messages", async () => {
    const json = { Host: "evil.example.com", "Content-Type": "application/json", Accept: BOTH };
    const legacy = await LegacyClient.connect(base);
    try {
      const cases = [
        await rawRequest(port, "POST", "/mcp", json, JSON.stringify(INITIALIZE)),
        await rawRequest(port, "GET", "/sse", { Host: "evil.example.com", Accept: "text/event-stream" }),
        await rawRequest(port, "POST", legacy.endpoint, json, '{"jsonrpc":"2.0","id":1,"method":"ping"}'),
      ];
      for (const res of cases) {
        assert.equal(res.status, 403);
        assert.equal(res.headers["content-type"], "application/json");
        const body = JSON.parse(res.body) as Message;
        assert.equal(body.id, null);
        assert.equal(typeof body.error.code, "number");
      }
    } finally {
      await legacy.close();
    }
  });

  it("a foreign Origin gets 403", async () => {
    const client = new StreamableClient(base);
    await expectError(await client.post(INITIALIZE, { origin: "http://evil.example.com" }), 403);
  });

  it("Origin http://localhost:<port> is allowed", async () => {
    const client = new StreamableClient(base);
    const res = await client.post(INITIALIZE, { origin: `http://localhost:${port}` });
    assert.equal(res.status, 200);
    await res.text();
  });

  it("a request without an Origin is allowed", async () => {
    const res = await rawRequest(port, "POST", "/mcp", {
      Host: `127.0.0.1:${port}`,
      "Content-Type": "application/json",
      Accept: BOTH,
    }, JSON.stringify(INITIALIZE));
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).result.protocolVersion, "2025-11-25");
  });

  it("allowedOrigins admits the listed origin and refuses others", async () => {
    const client = new StreamableClient(listedBase);
    const ok = await client.post(INITIALIZE, { origin: "https://app.example" });
    assert.equal(ok.status, 200);
    await ok.text();
    const listedPort = new URL(listedBase).port;
    for (const origin of ["http://evil.example.com", "https://app.example.evil", `http://localhost:${listedPort}`]) {
      await expectError(await client.post(INITIALIZE, { origin }), 403);
    }
  });

  it("allowedHosts: [] refuses every request", async () => {
    const client = new StreamableClient(closedBase);
    await expectError(await client.post(INITIALIZE), 403);
    await expectError(await fetch(`${closedBase}/sse`, { headers: { accept: "text/event-stream" } }), 403);
  });
});

describe("Both transports on one server", () => {
  it("an HTTP+SSE session and a Streamable HTTP session each get tools/list_changed once and the same tool results", async () => {
    const legacy = await LegacyClient.connect(bothBase);
    const client = await session("2025-11-25", bothBase);
    const get = await client.get();
    assert.equal(get.status, 200);
    const stream = new EventReader(get.body!);
    try {
      await legacy.initialize();
      both.tool("late", {}, () => "late result");
      const changed = { jsonrpc: "2.0", method: "notifications/tools/list_changed" };
      assert.deepEqual(await legacy.message(), changed);
      assert.deepEqual(await nextMessage(stream), changed);
      both.log("info", "marker");
      const marker = { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "marker" } };
      assert.deepEqual(await legacy.message(), marker);
      assert.deepEqual(await nextMessage(stream), marker);

      for (const [name, args] of [["late", {}], ["add", { a: 6, b: 7 }]] as const) {
        const overLegacy = await legacy.request("tools/call", { name, arguments: args });
        const overStreamable = await client.call(name, args);
        assert.equal(overStreamable.status, 200);
        const streamed = await overStreamable.json() as Message;
        assert.deepEqual(streamed.result, overLegacy.response.result);
        assert.deepEqual(overLegacy.before, []);
      }
    } finally {
      await stream.cancel();
      await legacy.close();
    }
  });
});
