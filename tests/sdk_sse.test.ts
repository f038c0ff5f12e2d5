import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { listen } from "./_door.ts";

let server: McpServer;
let base: string;
let cancelled: string | undefined;

before(async () => {
  server = createServer({ name: "sdk-test", version: "0.0.1" });
  server.tool("add", {
    title: "Adder",
    inputSchema: {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    },
    annotations: { readOnlyHint: true },
  }, ({ a, b }: { a: number; b: number }) => a + b);
  server.tool("steps", {
    inputSchema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
  }, async ({ n }: { n: number }, ctx) => {
    for (let i = 1; i <= n; i++) {
      ctx.progress(i, n);
      await new Promise((r) => setTimeout(r, 2));
    }
    return `${n} steps`;
  });
  server.tool("forever", {}, (_args, ctx) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener("abort", () => {
        cancelled = String(ctx.requestId);
        reject(ctx.signal.reason);
      });
    }));
  server.tool("stats", {
    outputSchema: { type: "object", properties: { count: { type: "integer" } }, required: ["count"] },
  }, () => ({ count: 3 }));
  ({ url: base } = await listen(server));
});

after(() => server.close());

async function connect(): Promise<Client> {
  const client = new Client({ name: "sdk-client", version: "1.0.0" });
  await client.connect(new SSEClientTransport(new URL(`${base}/sse`)));
  return client;
}

describe("the official SDK client over HTTP+SSE", () => {
  it("connects, negotiates and sees the server", async () => {
    const client = await connect();
    assert.deepEqual(client.getServerVersion(), { name: "sdk-test", version: "0.0.1" });
    assert.deepEqual(client.getServerCapabilities(), { logging: {}, tools: { listChanged: true } });
    await client.close();
  });

  it("lists and calls tools", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ["add", "steps", "forever", "stats"]);
    assert.equal(tools[0]!.title, "Adder");
    assert.deepEqual(tools[0]!.annotations, { readOnlyHint: true });
    const result = await client.callTool({ name: "add", arguments: { a: 20, b: 22 } });
    assert.deepEqual(result.content, [{ type: "text", text: "42" }]);
    await client.close();
  });

  it("receives structured content validated against the outputSchema", async () => {
    const client = await connect();
    await client.listTools(); // the SDK checks structuredContent against cached schemas
    const result = await client.callTool({ name: "stats", arguments: {} });
    assert.deepEqual(result.structuredContent, { count: 3 });
    assert.deepEqual(result.content, [{ type: "text", text: '{"count":3}' }]);
    await client.close();
  });

  it("observes progress", async () => {
    const client = await connect();
    const seen: number[] = [];
    const result = await client.callTool({ name: "steps", arguments: { n: 4 } }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.deepEqual(result.content, [{ type: "text", text: "4 steps" }]);
    await client.close();
  });

  it("cancels a call through its AbortSignal", async () => {
    const client = await connect();
    const controller = new AbortController();
    const call = client.callTool({ name: "forever", arguments: {} }, undefined, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 30));
    controller.abort("changed my mind");
    await assert.rejects(call);
    while (cancelled === undefined) await new Promise((r) => setTimeout(r, 5));
    // The session still works after the cancellation.
    const result = await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
    assert.deepEqual(result.content, [{ type: "text", text: "3" }]);
    await client.close();
  });

  it("gets isError for invalid arguments", async () => {
    const client = await connect();
    const result = await client.callTool({ name: "add", arguments: { a: 1 } });
    assert.equal(result.isError, true);
    await client.close();
  });
});
