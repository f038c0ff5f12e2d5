import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { createServer } from "../mod.ts";
import { LegacyClient } from "./_client.ts";

describe("createServer()", () => {
  it("refuses options without a name and version", () => {
    // @ts-expect-error: name and version are required
    assert.throws(() => createServer({}), TypeError);
  });

  it("refuses a basePath that does not start with /", () => {
    assert.throws(() => createServer({ name: "x", version: "1", basePath: "tools" }), /must start with/);
  });

  it("tool() refuses duplicates and bad names at registration", () => {
    const server = createServer({ name: "x", version: "1" });
    server.tool("a", {}, () => "a");
    assert.throws(() => server.tool("a", {}, () => "b"), /already registered/);
    assert.throws(() => server.tool("has space", {}, () => "b"), TypeError);
  });
});

describe("McpServer.listen()", () => {
  it("binds loopback on port 0 and returns the URL", async () => {
    const server = createServer({ name: "x", version: "1" });
    const { url, port, close } = await server.listen({ port: 0 });
    assert.equal(url, `http://127.0.0.1:${port}`);
    assert.ok(port > 0);
    await close();
  });

  it("refuses to listen twice", async () => {
    const server = createServer({ name: "x", version: "1" });
    await server.listen({ port: 0 });
    await assert.rejects(server.listen({ port: 0 }), /already listening/);
    await server.close();
  });

  it("rejects when the port is taken", async () => {
    const first = createServer({ name: "x", version: "1" });
    const { port } = await first.listen({ port: 0 });
    const second = createServer({ name: "y", version: "1" });
    await assert.rejects(second.listen({ port }), (e: NodeJS.ErrnoException) => e.code === "EADDRINUSE");
    await first.close();
  });

  it("close() ends streams, aborts calls and resolves promptly with clients attached", async () => {
    const server = createServer({ name: "x", version: "1" });
    let aborted = false;
    let started = false;
    server.tool("hang", {}, (_a, ctx) =>
      new Promise(() => {
        started = true;
        ctx.signal.addEventListener("abort", () => (aborted = true));
      }));
    const { url } = await server.listen({ port: 0 });
    const clients = await Promise.all([1, 2, 3].map(() => LegacyClient.connect(url)));
    await clients[0]!.initialize();
    await clients[0]!.post({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "hang" } });
    while (!started) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    await server.close();
    assert.ok(Date.now() - t0 < 1000, `close took ${Date.now() - t0} ms`);
    assert.equal(aborted, true);
    assert.equal(server.sessionCount, 0);
    for (const client of clients) assert.equal(await client.events.next(), undefined);
  });
});

describe("McpServer routes and handler", () => {
  it("serves user routes as JSON, text or raw beside MCP", async () => {
    const server = createServer({ name: "x", version: "1" });
    server.route("GET", "/", () => ({ hello: "world" }));
    server.route("GET", "/text", () => "plain");
    server.route("POST", "/raw/:id", (_req, res, { id }) => {
      res.writeHead(201, { "x-id": id! }).end();
    });
    server.route("GET", "/boom", () => {
      throw new Error("secret internals");
    });
    const { url } = await server.listen({ port: 0 });
    const json = await fetch(`${url}/`);
    assert.equal(json.headers.get("content-type"), "application/json");
    assert.deepEqual(await json.json(), { hello: "world" });
    assert.equal(await (await fetch(`${url}/text`)).text(), "plain");
    const raw = await fetch(`${url}/raw/7`, { method: "POST" });
    assert.equal(raw.status, 201);
    assert.equal(raw.headers.get("x-id"), "7");
    const boom = await fetch(`${url}/boom`);
    assert.equal(boom.status, 500);
    assert.equal(await boom.text(), "");
    const wrong = await fetch(`${url}/text`, { method: "DELETE" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET, HEAD");
    await server.close();
  });

  it("mounts under a prefix in an existing node:http server, with the right endpoint URL", async () => {
    const server = createServer({ name: "x", version: "1", basePath: "/tools/" });
    server.tool("ping_me", {}, () => "pong");
    const app = http.createServer((req, res) => {
      if (req.url!.startsWith("/tools/")) server.handler(req, res);
      else res.end("app");
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const client = await LegacyClient.connect(base, "/tools/sse");
    assert.match(client.endpoint, /^\/tools\/messages\?sessionId=/);
    await client.initialize();
    const { response } = await client.request("tools/call", { name: "ping_me" });
    assert.equal(response.result.content[0].text, "pong");
    assert.equal(await (await fetch(`${base}/other`)).text(), "app");
    await client.close();
    await server.close();
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
  });

  it("log() reaches every initialized session at or above its level", async () => {
    const server = createServer({ name: "x", version: "1" });
    const { url } = await server.listen({ port: 0 });
    const loud = await LegacyClient.connect(url);
    await loud.initialize();
    const quiet = await LegacyClient.connect(url);
    await quiet.initialize();
    await quiet.request("logging/setLevel", { level: "error" });
    server.log("info", "hello", "app");
    server.log("critical", "fire");
    assert.deepEqual((await loud.message()).params, { level: "info", data: "hello", logger: "app" });
    assert.deepEqual((await loud.message()).params, { level: "critical", data: "fire" });
    assert.deepEqual((await quiet.message()).params, { level: "critical", data: "fire" });
    await server.close();
  });

  it("tools added, disabled and removed at run time send one coalesced list_changed", async () => {
    const server = createServer({ name: "x", version: "1" });
    const first = server.tool("first", {}, () => "1");
    const { url } = await server.listen({ port: 0 });
    const client = await LegacyClient.connect(url);
    await client.initialize();
    for (let i = 0; i < 10; i++) server.tool(`t${i}`, {}, () => String(i));
    first.disable();
    const note = await client.message();
    assert.deepEqual(note, { jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    const { response, before } = await client.request("tools/list");
    assert.deepEqual(before, []);
    assert.equal(response.result.tools.length, 10);
    assert.equal(response.result.tools.some((t: { name: string }) => t.name === "first"), false);
    const call = await client.request("tools/call", { name: "first" });
    assert.equal(call.response.error.code, -32602);
    await server.close();
  });
});

describe("the logger option", () => {
  it("gets a line per session opened and closed and per request served", async () => {
    const lines: string[] = [];
    const server = createServer({ name: "x", version: "1", logger: (line) => lines.push(line) });
    server.tool("add", {
      inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
    }, ({ a, b }) => String(a + b));
    const { url } = await server.listen({ port: 0 });
    const client = await LegacyClient.connect(url);
    await client.initialize();
    await client.request("tools/call", { name: "add", arguments: { a: 1, b: 2 } });
    await client.request("nope");
    await client.close();
    await server.close();
    const id = /^session (\S+) opened$/.exec(lines[0]!)?.[1];
    assert.ok(id, lines[0]);
    assert.match(lines[1]!, new RegExp(`^"initialize" 1 ok \\d+ms session=${id}$`));
    assert.match(lines[2]!, new RegExp(`^"tools/call" 2 ok \\d+ms session=${id}$`));
    assert.equal(lines.includes(`session ${id} closed`), true);
    assert.ok(lines.some((l) => l.startsWith('"nope" 3 error -32601 0ms')), lines.join("\n"));
  });
});

describe("list_changed announcements", () => {
  it("a session that initializes after a change, before the change is announced, is not told of it", async () => {
    const { PassThrough } = await import("node:stream");
    const server = createServer({ name: "x", version: "1" });
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (chunk: Buffer) => (out += chunk));
    server.tool("early", {}, () => "early"); // announced a turn later
    const { closed } = server.serveStdio({ stdin, stdout });
    stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {} } }) + "\n");
    await new Promise((r) => setTimeout(r, 30));
    assert.match(out, /"id":1,"result"/);
    assert.doesNotMatch(out, /list_changed/);
    server.tool("later", {}, () => "later"); // this one it must hear of
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(out.match(/notifications\/tools\/list_changed/g)?.length, 1);
    stdin.end();
    await closed;
    await server.close();
  });
});
