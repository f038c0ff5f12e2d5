/**
 * What only the `fetch` door has to get right, beside the wire tests it
 * shares with `node:http` (EMCEE_DOOR=fetch): a Worker module's top level,
 * `ctx.waitUntil`, and routes that answer with a Web `Response` (through
 * both doors, over real sockets).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { EventReader } from "./_client.ts";
import { hostFetch } from "./_door.ts";

describe("a Worker module's top level", () => {
  it("createServer() and registering tools, resources and prompts draw no random value and set no timer", () => {
    // workerd refuses both outside a request ("Disallowed operation called within global scope").
    const refused = (what: string) => () => {
      throw new Error(`${what} called at construction`);
    };
    const saved = {
      setTimeout: globalThis.setTimeout,
      setInterval: globalThis.setInterval,
      getRandomValues: crypto.getRandomValues,
      randomUUID: crypto.randomUUID,
    };
    Object.assign(globalThis, { setTimeout: refused("setTimeout"), setInterval: refused("setInterval") });
    Object.assign(crypto, { getRandomValues: refused("getRandomValues"), randomUUID: refused("randomUUID") });
    try {
      const server = createServer({ name: "top-level", version: "1.0.0", playground: true, cors: true });
      server.tool("t", { description: "a tool" }, () => "t");
      server.resource("test://r", { name: "r" }, () => "r");
      server.prompt("p", { description: "a prompt" }, () => "p");
      server.route("GET", "/x", () => "x");
      assert.equal(typeof server.fetch, "function");
    } finally {
      Object.assign(globalThis, { setTimeout: saved.setTimeout, setInterval: saved.setInterval });
      Object.assign(crypto, { getRandomValues: saved.getRandomValues, randomUUID: saved.randomUUID });
    }
  });
});

describe("ctx.waitUntil (Cloudflare Workers)", () => {
  let server: McpServer;
  let finish: () => void;
  before(() => {
    server = createServer({ name: "worker", version: "1.0.0" });
    server.tool("slow", { description: "answers when told" }, () => new Promise<string>((resolve) => (finish = () => resolve("done"))));
  });
  after(() => server.close());

  it("an HTTP+SSE call answered 202 is handed to waitUntil until its result is on the stream", async () => {
    const held: Promise<unknown>[] = [];
    const ctx = { waitUntil: (promise: Promise<unknown>) => void held.push(promise) };
    const env = {};
    const origin = "http://localhost";
    const stream = await server.fetch(new Request(`${origin}/sse`), env, ctx);
    assert.equal(stream.status, 200);
    assert.equal(held.length, 0, "a stream keeps its own request alive");
    const reader = new EventReader(stream.body!);
    try {
      const endpoint = (await reader.next())!.data;
      const post = (body: object) =>
        server.fetch(new Request(`${origin}${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }), env, ctx);
      const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "w", version: "0" } } };
      assert.equal((await post(init)).status, 202);
      await reader.next();
      await post({ jsonrpc: "2.0", method: "notifications/initialized" });
      const before = held.length;
      const call = await post({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "slow", arguments: {} } });
      assert.equal(call.status, 202);
      assert.equal(held.length, before + 1, "the call's work was handed to waitUntil");
      let settled = false;
      void held.at(-1)!.then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(settled, false, "the work is held while the tool runs");
      finish();
      const result = await reader.next();
      assert.deepEqual(JSON.parse(result!.data), { jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "done" }] } });
      await held.at(-1);
      assert.equal(settled, true);
    } finally {
      await reader.cancel();
    }
  });
});

describe("the Host guard through fetch", () => {
  const server = createServer({ name: "guarded", version: "1.0.0" });
  after(() => server.close());
  const initialize = (host: string, cf?: object) => {
    const request = new Request("http://localhost/mcp", {
      method: "POST",
      headers: { host, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "guard", version: "0" } },
      }),
    });
    return server.fetch(cf ? Object.assign(request, { cf }) : request);
  };

  it("guards a loopback peer named by workerd's request.cf.clientIp, IPv4 or IPv6, and no other", async () => {
    for (const clientIp of ["127.0.0.1:57728", "[::1]:57728"]) {
      const foreign = await initialize("evil.example.com", { clientIp });
      assert.equal(foreign.status, 403, clientIp);
      await foreign.body?.cancel();
      const local = await initialize("localhost:8787", { clientIp });
      assert.equal(local.status, 200, clientIp);
      await local.body?.cancel();
    }
    // A public peer (or none told, as on Cloudflare's edge): the server is not on loopback, so no Host guard.
    for (const cf of [{ clientIp: "203.0.113.7:443" }, { colo: "AMS" }, undefined]) {
      const res = await initialize("mcp.example.com", cf);
      assert.equal(res.status, 200, JSON.stringify(cf));
      await res.body?.cancel();
    }
  });
});

describe("a route that returns a Web Response", () => {
  const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
  let headSeen = () => {};
  let server: McpServer;
  const doors: { name: string; url: string; stop(): Promise<void> }[] = [];
  before(async () => {
    server = createServer({ name: "routes", version: "1.0.0" });
    server.route("GET", "/bytes", () =>
      new Response(bytes, { status: 201, headers: { "content-type": "application/octet-stream", "x-route": "yes" } }));
    server.route("GET", "/cookies", () => {
      const headers = new Headers();
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response(null, { status: 204, headers });
    });
    server.route("GET", "/stream", () =>
      new Response(
        new ReadableStream<Uint8Array>({
          async start(controller) {
            for (const part of ["one ", "two ", "three"]) {
              controller.enqueue(new TextEncoder().encode(part));
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
            controller.close();
          },
        }),
        { headers: { "content-type": "text/plain" } },
      ));
    server.route("GET", "/later", () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            // The first byte waits for the client to have the head: a door that sent the head with it would hang here.
            headSeen = () => {
              controller.enqueue(new TextEncoder().encode("after the head"));
              controller.close();
            };
          },
        }),
      ));
    const node = await server.listen({ port: 0 });
    doors.push({ name: "node:http", url: node.url, stop: async () => {} });
    const fetched = await hostFetch(server.fetch);
    doors.push({ name: "fetch", url: `http://127.0.0.1:${fetched.port}`, stop: fetched.stop });
  });
  after(async () => {
    await server.close();
    for (const door of doors) await door.stop();
  });

  it("is sent as it is, status, headers and bytes, through both doors", async () => {
    for (const door of doors) {
      const res = await fetch(`${door.url}/bytes`);
      assert.equal(res.status, 201, door.name);
      assert.equal(res.headers.get("x-route"), "yes", door.name);
      assert.equal(res.headers.get("content-type"), "application/octet-stream", door.name);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes, door.name);
    }
  });

  it("keeps every Set-Cookie, through both doors", async () => {
    for (const door of doors) {
      const res = await fetch(`${door.url}/cookies`);
      assert.equal(res.status, 204, door.name);
      assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"], door.name);
    }
  });

  it("sends its head before its body's first byte, through both doors", async () => {
    for (const door of doors) {
      // Bun.serve itself holds a streamed Response's head until its first byte (oven-sh/bun#33660);
      // your Response reaches it untouched, so there this is Bun's to fix (emcee's own event streams open with a comment).
      if (door.name === "fetch" && "Bun" in globalThis) continue;
      const res = await fetch(`${door.url}/later`);
      assert.equal(res.status, 200, door.name);
      headSeen();
      assert.equal(await res.text(), "after the head", door.name);
    }
  });

  it("streams its body, through both doors", async () => {
    for (const door of doors) {
      const res = await fetch(`${door.url}/stream`);
      assert.equal(await res.text(), "one two three", door.name);
    }
  });
});
