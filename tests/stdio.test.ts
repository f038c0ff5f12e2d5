import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { LineReader, sleep, within } from "./_lines.ts";
import type { Message } from "./_lines.ts";
import { runtimeCommand } from "./_spawn.ts";

/** The 2026-07-28 per-request envelope, as a dual-era client sends it. */
const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "stdio-test-client", version: "0.0.1" },
} as const;
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const SERVER_INFO = "io.modelcontextprotocol/serverInfo";
const MULTILINE = "first line\nsecond line\r\nthird\u2028fourth";

/** A deferred signal a tool can raise and a test can await. */
interface Flag<T = void> {
  promise: Promise<T>;
  raise: (value: T) => void;
}

function flag<T = void>(): Flag<T> {
  let raise!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (raise = resolve));
  return { promise, raise };
}

interface Fixture {
  server: McpServer;
  stdin: PassThrough;
  out: LineReader;
  closed: Promise<void>;
  send(message: Message | string): void;
  /** Sends a request and resolves with its response, asserting nothing came first. */
  call(id: string | number, method: string, params?: Message): Promise<Message>;
  toggled: { disable(): void; enable(): void };
  started: Flag;
  aborted: Flag<unknown>;
  stubborn: { signalAborted: boolean | undefined; finished: Flag };
}

/** A server on a pair of in-process pipes; torn down when the test ends. */
async function open(t: TestContext): Promise<Fixture> {
  const server = createServer({ name: "stdio-test", version: "1.2.3" });
  const started = flag();
  const aborted = flag<unknown>();
  const stubborn = { signalAborted: undefined as boolean | undefined, finished: flag() };
  server.tool("add", {
    inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
  }, ({ a, b }: { a: number; b: number }) => String(a + b));
  server.tool("multiline", {}, () => MULTILINE);
  server.tool("wait", {}, (_args, ctx) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener("abort", () => {
        aborted.raise(ctx.signal.reason);
        reject(ctx.signal.reason);
      }, { once: true });
      started.raise();
    }));
  server.tool("stubborn", {}, async (_args, ctx) => {
    started.raise();
    await sleep(150); // ignores its signal and answers anyway
    stubborn.signalAborted = ctx.signal.aborted;
    stubborn.finished.raise();
    return "finished regardless";
  });
  server.tool("ask", {
    inputSchema: { type: "object", properties: { question: { type: "string" } }, required: ["question"] },
  }, async ({ question }: { question: string }, ctx) => {
    const { action, content } = await ctx.elicit({
      message: question,
      requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
    });
    return `${action}: ${JSON.stringify(content ?? {})}`;
  });
  const toggled = server.tool("toggled", {}, () => "here");
  // Registrations announce themselves one macrotask later; let that pass before any session exists.
  await sleep(10);

  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out = new LineReader(stdout);
  const { closed, close } = server.serveStdio({ stdin, stdout });
  t.after(async () => {
    close();
    stdin.end();
    stdout.end();
    await server.close();
  });
  const send = (message: Message | string) =>
    stdin.write(typeof message === "string" ? message : JSON.stringify(message) + "\n");
  const call = async (id: string | number, method: string, params?: Message) => {
    send(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });
    const { message, before } = await out.response(id);
    assert.deepEqual(before, [], `nothing should precede the response to ${method}`);
    return message;
  };
  return { server, stdin, out, closed, send, call, toggled, started, aborted, stubborn };
}

const initializeParams = (capabilities: Message = {}) => ({
  protocolVersion: "2025-11-25",
  capabilities,
  clientInfo: { name: "legacy-client", version: "1.0.0" },
});

/** Asserts `raw` is exactly one JSON-RPC message per `\n`-ended line, with these ids. */
function assertFraming(raw: string, ids: (string | number)[]): void {
  const lines = raw.split("\n");
  assert.equal(lines.pop(), "", "the output ends with \\n");
  assert.equal(lines.length, ids.length, `one line per message:\n${raw}`);
  for (const line of lines) {
    assert.ok(!line.includes("\r"), `no CR in ${line}`);
    const message = JSON.parse(line);
    assert.equal(typeof message, "object");
    assert.equal(message.jsonrpc, "2.0");
  }
  assert.deepEqual(lines.map((line) => JSON.parse(line).id), ids);
}

describe("serveStdio() in process", () => {
  it("serveStdio() writes one JSON message per line, each ended by a single \\n", async (t) => {
    const modern = await open(t);
    await modern.call(1, "server/discover", { _meta: META });
    const call = await modern.call(2, "tools/call", { name: "multiline", arguments: {}, _meta: META });
    assert.deepEqual(call.result.content, [{ type: "text", text: MULTILINE }]);
    await modern.call(3, "tools/list", { _meta: META });
    assertFraming(modern.out.raw, [1, 2, 3]);

    const legacy = await open(t);
    await legacy.call(1, "initialize", initializeParams());
    legacy.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    const answer = await legacy.call(2, "tools/call", { name: "multiline", arguments: {} });
    assert.deepEqual(answer.result.content, [{ type: "text", text: MULTILINE }]);
    assertFraming(legacy.out.raw, [1, 2]);
  });

  it("serveStdio() reads messages split across chunks, several per chunk, and CRLF-terminated", async (t) => {
    const f = await open(t);
    const discover = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: META } });
    f.send(discover.slice(0, 10));
    await sleep(20);
    f.send(discover.slice(10) + "\r\n" + JSON.stringify({ jsonrpc: "2.0", id: 2, method: "initialize", params: initializeParams() }) + "\n\n");
    f.send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "ping" }) + "\r\n");
    const ids = [(await f.out.next()).id, (await f.out.next()).id, (await f.out.next()).id];
    // Responses may come in any order (JSON-RPC); each request got exactly one.
    assert.deepEqual(ids.sort(), [1, 2, 3]);
    assert.deepEqual(await f.out.drain(100), [], "a blank line is no message");
  });

  it("a server/discover probe gets a DiscoverResult, and a later initialize still starts a legacy session", async (t) => {
    const f = await open(t);
    const probe = await f.call("probe", "server/discover", { _meta: META });
    assert.equal(probe.jsonrpc, "2.0");
    const discovered = probe.result;
    assert.equal(discovered.resultType, "complete");
    assert.deepEqual(discovered.supportedVersions, ["2026-07-28"]);
    assert.deepEqual(discovered.capabilities.tools, { listChanged: true });
    assert.equal(typeof discovered.ttlMs, "number");
    assert.ok(discovered.ttlMs >= 0);
    assert.ok(["public", "private"].includes(discovered.cacheScope));
    assert.deepEqual(discovered._meta[SERVER_INFO], { name: "stdio-test", version: "1.2.3" });

    const init = await f.call(1, "initialize", initializeParams());
    assert.equal(init.result.protocolVersion, "2025-11-25");
    assert.deepEqual(init.result.serverInfo, { name: "stdio-test", version: "1.2.3" });
    f.send({ jsonrpc: "2.0", method: "notifications/initialized" });

    const list = await f.call(2, "tools/list");
    assert.deepEqual(list.result.tools.map((tool: { name: string }) => tool.name), ["add", "multiline", "wait", "stubborn", "ask", "toggled"]);
    const added = await f.call(3, "tools/call", { name: "add", arguments: { a: 2, b: 3 } });
    assert.deepEqual(added.result.content, [{ type: "text", text: "5" }]);
    assert.equal(added.result.resultType, undefined, "a legacy answer carries no 2026-07-28 resultType");
    assert.equal(added.result._meta?.[SERVER_INFO], undefined, "nor a per-result serverInfo");
    assert.deepEqual(await f.call(4, "ping"), { jsonrpc: "2.0", id: 4, result: {} });
    assert.deepEqual(await f.call(5, "logging/setLevel", { level: "warning" }), { jsonrpc: "2.0", id: 5, result: {} });
  });

  it("a probe for 2099-01-01 gets -32022 with data.supported and data.requested", async (t) => {
    const f = await open(t);
    const answer = await f.call(9, "server/discover", {
      _meta: { ...META, "io.modelcontextprotocol/protocolVersion": "2099-01-01" },
    });
    assert.equal(answer.id, 9);
    assert.equal(answer.result, undefined);
    assert.equal(answer.error.code, -32022);
    assert.equal(typeof answer.error.message, "string");
    assert.deepEqual(answer.error.data, { supported: ["2026-07-28"], requested: "2099-01-01" });
    // The failed probe decided nothing: the legacy handshake is still open.
    const init = await f.call(10, "initialize", initializeParams());
    assert.equal(init.result.protocolVersion, "2025-11-25");
  });

  it("after a 2026-07-28 tools/call, a later initialize is refused with -32022", async (t) => {
    const f = await open(t);
    const modern = await f.call(1, "tools/call", { name: "add", arguments: { a: 20, b: 22 }, _meta: META });
    assert.equal(modern.result.resultType, "complete");
    assert.deepEqual(modern.result.content, [{ type: "text", text: "42" }]);
    assert.deepEqual(modern.result._meta[SERVER_INFO], { name: "stdio-test", version: "1.2.3" });

    const refused = await f.call(2, "initialize", initializeParams());
    assert.equal(refused.result, undefined);
    assert.equal(refused.error.code, -32022);
    assert.ok(refused.error.data.supported.includes("2026-07-28"));
    assert.equal(refused.error.data.requested, "2025-11-25");
    // Still modern: un-enveloped calls have no session, enveloped ones work.
    const unenveloped = await f.call(3, "tools/list");
    assert.ok(unenveloped.error, "no legacy session was started");
    const again = await f.call(4, "tools/call", { name: "add", arguments: { a: 1, b: 1 }, _meta: META });
    assert.deepEqual(again.result.content, [{ type: "text", text: "2" }]);
  });

  it("stdin EOF resolves closed", async (t) => {
    const f = await open(t);
    await f.call(1, "server/discover", { _meta: META });
    f.stdin.end();
    await within(f.closed, 2000, "closed resolves after stdin ends");
  });

  it("notifications/cancelled stops a running 2026-07-28 call: its signal aborts and no response is written", async (t) => {
    const f = await open(t);
    f.send({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "wait", arguments: {}, _meta: META } });
    await within(f.started.promise, 2000, "the tool starts");
    f.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 7, reason: "changed my mind", _meta: META } });
    await within(f.aborted.promise, 2000, "ctx.signal aborts");
    assert.deepEqual(await f.out.drain(200), [], "nothing is written for the cancelled call");
    // The transport keeps serving.
    const next = await f.call(8, "tools/call", { name: "add", arguments: { a: 1, b: 2 }, _meta: META });
    assert.deepEqual(next.result.content, [{ type: "text", text: "3" }]);
  });

  it("notifications/cancelled silences a 2026-07-28 call even when the tool ignores its signal", async (t) => {
    const f = await open(t);
    f.send({ jsonrpc: "2.0", id: "slow", method: "tools/call", params: { name: "stubborn", arguments: {}, _meta: META } });
    await within(f.started.promise, 2000, "the tool starts");
    f.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "slow", _meta: META } });
    await within(f.stubborn.finished.promise, 2000, "the tool finishes");
    assert.equal(f.stubborn.signalAborted, true, "ctx.signal aborted on cancellation");
    assert.deepEqual(await f.out.drain(200), [], "its late result is not written");
  });

  it("notifications/cancelled stops a subscriptions/listen: no further notifications and no final result", async (t) => {
    const f = await open(t);
    f.send({
      jsonrpc: "2.0",
      id: "sub-1",
      method: "subscriptions/listen",
      params: { notifications: { toolsListChanged: true, promptsListChanged: true }, _meta: META },
    });
    const ack = await f.out.next();
    assert.deepEqual(ack, {
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      // No prompts here, so promptsListChanged is not honoured.
      params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION_ID]: "sub-1" } },
    });
    f.toggled.disable();
    assert.deepEqual(await f.out.next(), {
      jsonrpc: "2.0",
      method: "notifications/tools/list_changed",
      params: { _meta: { [SUBSCRIPTION_ID]: "sub-1" } },
    });
    f.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "sub-1", _meta: META } });
    await sleep(50);
    f.toggled.enable();
    assert.deepEqual(await f.out.drain(200), [], "no list_changed and no listen result after the cancellation");
    // Closing the transport later sends nothing for the cancelled listen either.
    f.stdin.end();
    await within(f.closed, 2000, "closed resolves");
    assert.deepEqual(await f.out.drain(50), []);
  });

  it("a legacy session's ctx.elicit() goes out on stdout as a JSON-RPC request and the client's response line resolves it", async (t) => {
    const f = await open(t);
    await f.call(1, "initialize", initializeParams({ elicitation: {} }));
    f.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    f.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "ask", arguments: { question: "Proceed?" } } });
    const request = await f.out.next();
    assert.equal(request.jsonrpc, "2.0");
    assert.equal(request.method, "elicitation/create");
    assert.ok(typeof request.id === "string" || typeof request.id === "number", "a request has an id");
    assert.equal(request.params.message, "Proceed?");
    assert.deepEqual(request.params.requestedSchema, { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] });
    f.send({ jsonrpc: "2.0", id: request.id, result: { action: "accept", content: { ok: true } } });
    const { message, before } = await f.out.response(2);
    assert.deepEqual(before, []);
    assert.deepEqual(message.result.content, [{ type: "text", text: 'accept: {"ok":true}' }]);
  });

  it("a malformed line gets -32700 with id null, and the server keeps serving", async (t) => {
    const f = await open(t);
    f.send("{not json\n");
    const parseError = await f.out.next();
    assert.equal(parseError.jsonrpc, "2.0");
    assert.equal(parseError.id, null);
    assert.equal(parseError.error.code, -32700);
    assert.equal(typeof parseError.error.message, "string");
    const probe = await f.call(1, "server/discover", { _meta: META });
    assert.equal(probe.result.resultType, "complete");
    f.send("\u0000\u0001garbage\n");
    assert.equal((await f.out.next()).error.code, -32700);
    const init = await f.call(2, "initialize", initializeParams());
    assert.equal(init.result.protocolVersion, "2025-11-25");
  });

  it("a legacy batch line gets a single -32600 and nothing in it runs", async (t) => {
    const f = await open(t);
    await f.call(1, "initialize", initializeParams());
    f.send(JSON.stringify([{ jsonrpc: "2.0", id: 10, method: "ping" }, { jsonrpc: "2.0", id: 11, method: "tools/list" }]) + "\n");
    const refused = await f.out.next();
    assert.equal(refused.jsonrpc, "2.0");
    assert.equal(refused.id, null);
    assert.equal(refused.error.code, -32600);
    assert.deepEqual(await f.out.drain(100), []);
    assert.deepEqual(await f.call(12, "ping"), { jsonrpc: "2.0", id: 12, result: {} });
  });
});

describe("examples/stdio.ts as a child process", { timeout: 60_000 }, () => {
  it("answers discover, initialize and tools/call on stdout, logs on stderr, and exits 0 when stdin closes", async (t) => {
    const file = fileURLToPath(new URL("../examples/stdio.ts", import.meta.url));
    const [command, args] = runtimeCommand(file);
    const child = spawn(command, args, {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => (stderr += chunk));
    const out = new LineReader(child.stdout!);
    const send = (message: Message) => child.stdin!.write(JSON.stringify(message) + "\n");

    send({ jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: META } });
    const discovered = await out.next(30_000);
    assert.equal(discovered.id, 1);
    assert.equal(discovered.result.resultType, "complete");
    assert.deepEqual(discovered.result.supportedVersions, ["2026-07-28"]);
    assert.deepEqual(discovered.result._meta[SERVER_INFO], { name: "stdio-example", version: "1.0.0" });

    send({ jsonrpc: "2.0", id: 2, method: "initialize", params: initializeParams() });
    const init = await out.next();
    assert.equal(init.id, 2);
    assert.equal(init.result.protocolVersion, "2025-11-25");
    assert.deepEqual(init.result.serverInfo, { name: "stdio-example", version: "1.0.0" });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });

    send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "add", arguments: { a: 2, b: 40 } } });
    const added = await out.next();
    assert.equal(added.id, 3);
    assert.deepEqual(added.result.content, [{ type: "text", text: "42" }]);

    child.stdin!.end();
    assert.equal(await within(exited, 15_000, "the process exits after stdin closes"), 0);
    await out.ended();

    assert.match(stderr, /emcee stdio example: reading MCP from stdin/);
    assert.match(stderr, /emcee stdio example: stdin ended, bye/);
    const lines = out.raw.split("\n");
    assert.equal(lines.pop(), "", "stdout ends with \\n");
    assert.equal(lines.length, 3, `stdout holds the three responses and nothing else:\n${out.raw}`);
    for (const line of lines) {
      const message = JSON.parse(line);
      assert.equal(message.jsonrpc, "2.0");
      assert.ok("result" in message || "error" in message, `a JSON-RPC response: ${line}`);
    }
    assert.ok(!out.raw.includes("emcee stdio example"), "logs never reach stdout");
  });
});
