import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { LegacyClient } from "./_client.ts";
import type { Message } from "./_client.ts";
import { listen } from "./_door.ts";

let server: McpServer;
let base: string;
let released: (() => void) | undefined;
const aborted: string[] = [];

before(async () => {
  server = createServer({ name: "legacy-test", version: "1.2.3", instructions: "Be nice", maxBodyBytes: 1024 });
  server.tool("add", {
    description: "Add",
    inputSchema: {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    },
  }, async ({ a, b }: { a: number; b: number }) => a + b);
  server.tool("progress", {
    inputSchema: { type: "object", properties: { steps: { type: "integer" } }, required: ["steps"] },
  }, async ({ steps }: { steps: number }, ctx) => {
    for (let i = 1; i <= steps; i++) ctx.progress(i, steps, `step ${i}`);
    return "done";
  });
  server.tool("log", {}, (_args, ctx) => {
    ctx.log("debug", "a debug line");
    ctx.log("error", { what: "an error" }, "tests");
    return "logged";
  });
  server.tool("wait", {}, (_args, ctx) =>
    new Promise((resolve) => {
      released = () => resolve("released");
      ctx.signal.addEventListener("abort", () => {
        aborted.push(String(ctx.requestId));
        resolve("aborted");
      });
    }));
  server.tool("fail", {}, () => {
    throw new Error("it broke");
  });
  ({ url: base } = await listen(server));
});

after(() => server.close());

async function connected(): Promise<LegacyClient> {
  const client = await LegacyClient.connect(base);
  await client.initialize();
  return client;
}

/** Asserts the server still answers a normal call. */
async function stillServing(): Promise<void> {
  const client = await connected();
  const { response } = await client.request("tools/call", { name: "add", arguments: { a: 2, b: 3 } });
  assert.deepEqual(response.result, { content: [{ type: "text", text: "5" }] });
  await client.close();
}

describe("HTTP+SSE transport", () => {
  it("GET /sse opens a stream whose first event is the endpoint, byte for byte", async () => {
    const res = await fetch(`${base}/sse`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("cache-control"), "no-cache, no-transform");
    assert.equal(res.headers.get("x-accel-buffering"), "no");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.endsWith("\n\n")) text += (await reader.read()).value;
    assert.match(text, /^event: endpoint\ndata: \/messages\?sessionId=[0-9a-f-]{36}\n\n$/);
    await reader.cancel();
  });

  it("initialize negotiates the client's version and reports the server", async () => {
    const client = await LegacyClient.connect(base);
    const { response } = await client.request("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "t", version: "0" },
    });
    assert.deepEqual(response, {
      jsonrpc: "2.0",
      id: 1,
      result: {
        protocolVersion: "2025-06-18",
        capabilities: { logging: {}, tools: { listChanged: true } },
        serverInfo: { name: "legacy-test", version: "1.2.3" },
        instructions: "Be nice",
      },
    });
    await client.close();
  });

  it("initialize answers the latest version for an unknown one", async () => {
    const client = await LegacyClient.connect(base);
    const { response } = await client.request("initialize", { protocolVersion: "1999-01-01", capabilities: {} });
    assert.equal(response.result.protocolVersion, "2025-11-25");
    await client.close();
  });

  it("answers ping, and refuses other methods before initialize", async () => {
    const client = await LegacyClient.connect(base);
    assert.deepEqual((await client.request("ping")).response, { jsonrpc: "2.0", id: 1, result: {} });
    const { response } = await client.request("tools/list");
    assert.equal(response.error.code, -32600);
    await client.close();
  });

  it("tools/list lists tools in registration order", async () => {
    const client = await connected();
    const { response } = await client.request("tools/list");
    assert.deepEqual(response.result.tools.map((t: { name: string }) => t.name), ["add", "progress", "log", "wait", "fail"]);
    assert.deepEqual(response.result.tools[0], {
      name: "add",
      description: "Add",
      inputSchema: {
        type: "object",
        properties: { a: { type: "number" }, b: { type: "number" } },
        required: ["a", "b"],
      },
    });
    assert.deepEqual(response.result.tools[2].inputSchema, { type: "object", additionalProperties: false });
    await client.close();
  });

  it("tools/call runs the function and returns text", async () => {
    const client = await connected();
    const { response } = await client.request("tools/call", { name: "add", arguments: { a: 1, b: 41 } });
    assert.deepEqual(response.result, { content: [{ type: "text", text: "42" }] });
    await client.close();
  });

  it("tools/call reports invalid arguments as an isError result naming the path and rule", async () => {
    const client = await connected();
    const { response } = await client.request("tools/call", { name: "add", arguments: { a: "1" } });
    assert.equal(response.result.isError, true);
    assert.match(response.result.content[0].text, /\/a: must be number/);
    assert.match(response.result.content[0].text, /"b"/);
    await client.close();
  });

  it("tools/call answers an unknown tool with -32602", async () => {
    const client = await connected();
    const { response } = await client.request("tools/call", { name: "nope", arguments: {} });
    assert.equal(response.error.code, -32602);
    assert.match(response.error.message, /nope/);
    await client.close();
  });

  it("a thrown error becomes an isError result with its message and no stack", async () => {
    const client = await connected();
    const { response } = await client.request("tools/call", { name: "fail" });
    assert.deepEqual(response.result, { content: [{ type: "text", text: "it broke" }], isError: true });
    await client.close();
  });

  it("unknown methods get -32601", async () => {
    const client = await connected();
    const { response } = await client.request("nope/nothing");
    assert.equal(response.error.code, -32601);
    await client.close();
  });

  it("progress is sent only with a progressToken, before the result", async () => {
    const client = await connected();
    const withToken = await client.request("tools/call", {
      name: "progress",
      arguments: { steps: 3 },
      _meta: { progressToken: "p1" },
    });
    assert.deepEqual(withToken.before, [1, 2, 3].map((i) => ({
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: "p1", progress: i, total: 3, message: `step ${i}` },
    })));
    const without = await client.request("tools/call", { name: "progress", arguments: { steps: 3 } });
    assert.deepEqual(without.before, []);
    await client.close();
  });

  it("log honours logging/setLevel", async () => {
    const client = await connected();
    const all = await client.request("tools/call", { name: "log" });
    assert.deepEqual(all.before.map((m) => m.params.level), ["debug", "error"]);
    assert.deepEqual(all.before[1]!.params, { level: "error", data: { what: "an error" }, logger: "tests" });
    const set = await client.request("logging/setLevel", { level: "warning" });
    assert.deepEqual(set.response.result, {});
    const filtered = await client.request("tools/call", { name: "log" });
    assert.deepEqual(filtered.before.map((m) => m.params.level), ["error"]);
    const bad = await client.request("logging/setLevel", { level: "loud" });
    assert.equal(bad.response.error.code, -32602);
    await client.close();
  });

  it("notifications/cancelled aborts the call and suppresses its response", async () => {
    const client = await connected();
    const res = await client.post({ jsonrpc: "2.0", id: "w1", method: "tools/call", params: { name: "wait" } });
    assert.equal(res.status, 202);
    while (!released) await new Promise((r) => setTimeout(r, 5));
    released = undefined;
    await client.notify("notifications/cancelled", { requestId: "w1", reason: "user" });
    while (!aborted.includes("w1")) await new Promise((r) => setTimeout(r, 5));
    // The next response on the stream is for the ping, not the cancelled call.
    const { response } = await client.request("ping");
    assert.deepEqual(response.result, {});
    assert.equal(client.received.some((m) => m.id === "w1"), false);
    await client.close();
  });

  it("requests within one session run concurrently", async () => {
    const client = await connected();
    await client.post({ jsonrpc: "2.0", id: "slow", method: "tools/call", params: { name: "wait" } });
    while (!released) await new Promise((r) => setTimeout(r, 5));
    const { response } = await client.request("tools/call", { name: "add", arguments: { a: 1, b: 1 } });
    assert.equal(response.result.content[0].text, "2");
    released!();
    released = undefined;
    const slow = await client.message();
    assert.deepEqual(slow, { jsonrpc: "2.0", id: "slow", result: { content: [{ type: "text", text: "released" }] } });
    await client.close();
  });

  it("a client disconnect ends its session and aborts its calls", async () => {
    const client = await connected();
    const open = server.sessionCount;
    assert.ok(open >= 1);
    await client.post({ jsonrpc: "2.0", id: "gone", method: "tools/call", params: { name: "wait" } });
    while (!released) await new Promise((r) => setTimeout(r, 5));
    released = undefined;
    await client.close();
    while (!aborted.includes("gone")) await new Promise((r) => setTimeout(r, 5));
    while (server.sessionCount > open - 1) await new Promise((r) => setTimeout(r, 5));
    const res = await client.post({ jsonrpc: "2.0", id: 1, method: "ping" });
    assert.equal(res.status, 404);
  });

  it("many sessions at once each get their own replies", async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => connected()));
    const results = await Promise.all(clients.map((c, i) =>
      c.request("tools/call", { name: "add", arguments: { a: i, b: 1000 } })
    ));
    results.forEach(({ response }, i) => assert.equal(response.result.content[0].text, String(i + 1000)));
    await Promise.all(clients.map((c) => c.close()));
  });
});

describe("HTTP+SSE bad input: a precise error and the server keeps serving", () => {
  async function expectError(res: Response, status: number, code: number, id: unknown = null): Promise<void> {
    assert.equal(res.status, status);
    assert.equal(res.headers.get("content-type"), "application/json");
    const body = await res.json() as Message;
    assert.equal(body.jsonrpc, "2.0");
    assert.equal(body.id, id);
    assert.equal(body.error.code, code);
    assert.equal(typeof body.error.message, "string");
    await stillServing();
  }

  it("missing sessionId → 400", async () => {
    const res = await fetch(`${base}/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await expectError(res, 400, -32600);
  });

  it("unknown session → 404", async () => {
    const res = await fetch(`${base}/messages?sessionId=nope`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    await expectError(res, 404, -32600);
  });

  it("unparseable JSON → 400 with -32700", async () => {
    const client = await connected();
    await expectError(await client.post("{not json"), 400, -32700);
    await client.close();
  });

  it("a JSON value that is not a message → 400 with -32600", async () => {
    const client = await connected();
    await expectError(await client.post("[1,2]"), 400, -32600);
    await expectError(await client.post('{"jsonrpc":"1.0","id":1,"method":"ping"}'), 400, -32600, 1);
    await client.close();
  });

  it("a non-JSON content type → 415", async () => {
    const client = await connected();
    await expectError(await client.post("{}", { "content-type": "text/plain" }), 415, -32600);
    await client.close();
  });

  it("a declared body over the limit → 413 without reading it", async () => {
    const client = await connected();
    await expectError(await client.post("x".repeat(2000)), 413, -32600);
    await client.close();
  });

  it("a chunked body over the limit → 413 without buffering the rest", async () => {
    const client = await connected();
    const url = new URL(client.endpoint, base);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
      // Keep writing well past the limit; the server answers as soon as the limit is crossed.
      let sent = 0;
      const pump = () => {
        while (sent < 64 * 1024) {
          sent += 512;
          if (!req.write("x".repeat(512))) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(status, 413);
    await stillServing();
    await client.close();
  });

  it("POST /sse → 405 with Allow, so newer clients fall back", async () => {
    const res = await fetch(`${base}/sse`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await expectError(res, 405, -32600);
  });

  it("an unknown path → 404", async () => {
    const res = await fetch(`${base}/nowhere`);
    await expectError(res, 404, -32600);
  });

  it("a posted response to nothing is accepted and ignored", async () => {
    const client = await connected();
    const res = await client.post({ jsonrpc: "2.0", id: 999, result: {} });
    assert.equal(res.status, 202);
    // No body, as a Streamable HTTP 202: the reply to a request goes on the stream.
    assert.equal(res.headers.get("content-length"), "0");
    assert.equal(res.headers.get("content-type"), null);
    assert.equal(await res.text(), "");
    const { response } = await client.request("ping");
    assert.deepEqual(response.result, {});
    await client.close();
  });
});
