/**
 * Graceful shutdown and unexpected errors, end to end over real sockets:
 * close({ deadline }) lets calls in flight finish, then aborts them, refuses
 * new work with 503 meanwhile, and resolves promptly; onError receives what
 * handlers and routes throw while clients see no detail.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { createServer } from "../mod.ts";
import type { McpServer, ServerOptions } from "../mod.ts";
import { listen } from "./_door.ts";
import { EventReader, LegacyClient } from "./_client.ts";
import type { Message } from "./_client.ts";
import { BOTH, StreamableClient, waitFor } from "./_streamable.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const keyed = { type: "object", properties: { key: { type: "string" } }, required: ["key"] };

/** Calls that started, and when each was aborted, by key. */
const started = new Set<string>();
const abortedAt = new Map<string, number>();

/** A server with `brief` (100 ms) and `forever` (until aborted), and its URL. */
async function start(options: Partial<ServerOptions> = {}): Promise<{ server: McpServer; url: string; port: number }> {
  const server = createServer({ name: "shutdown", version: "1.0.0", ...options });
  server.tool("brief", { inputSchema: keyed }, async ({ key }: { key: string }, ctx) => {
    started.add(key);
    ctx.signal.addEventListener("abort", () => abortedAt.set(key, Date.now()), { once: true });
    await sleep(100);
    return `finished ${key}`;
  });
  server.tool("forever", { inputSchema: keyed }, ({ key }: { key: string }, ctx) =>
    new Promise<string>((resolve) => {
      started.add(key);
      ctx.signal.addEventListener("abort", () => {
        abortedAt.set(key, Date.now());
        resolve(`aborted ${key}`);
      }, { once: true });
    }));
  const { url, port } = await listen(server);
  return { server, url, port };
}

function callRequest(id: number, name: string, key: string): Message {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { key } } };
}

/** Reads a legacy stream to its end; returns the messages on it. */
async function drain(reader: EventReader, timeoutMs = 2000): Promise<Message[]> {
  const out: Message[] = [];
  for (let event = await reader.next(timeoutMs); event; event = await reader.next(timeoutMs)) {
    if (event.data !== "") out.push(JSON.parse(event.data) as Message);
  }
  return out;
}

/** Settles a fetch that the server may answer or cut, consuming any body. */
async function settle(response: Promise<Response>): Promise<void> {
  try {
    await (await response).text();
  } catch {
    // Cut by the shutdown: fine here.
  }
}

describe("McpServer.close({ deadline })", () => {
  it("lets a 100 ms call finish and delivers its result on the legacy stream and a Streamable POST, then ends the streams", async () => {
    const { server, url } = await start();
    const legacy = await LegacyClient.connect(url);
    await legacy.initialize();
    const client = new StreamableClient(url);
    await client.initialize();
    const standalone = await client.get();
    assert.equal(standalone.status, 200);
    const getReader = new EventReader(standalone.body!);

    const posted = await legacy.post(callRequest(7, "brief", "grace-legacy"));
    assert.equal(posted.status, 202);
    await posted.text();
    const call = client.request("tools/call", { name: "brief", arguments: { key: "grace-streamable" } });
    await waitFor(() => started.has("grace-legacy") && started.has("grace-streamable"), "both calls to start");

    const t0 = Date.now();
    const closing = server.close({ deadline: 500 });

    const res = await call;
    assert.equal(res.status, 200);
    const body = await res.json() as Message;
    assert.deepEqual(body.result, { content: [{ type: "text", text: "finished grace-streamable" }] });

    const onStream = await drain(legacy.events);
    assert.deepEqual(onStream, [{ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "finished grace-legacy" }] } }]);
    assert.deepEqual(await drain(getReader), []);

    await closing;
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 500, `close took ${elapsed} ms`);
    assert.equal(abortedAt.has("grace-legacy"), false);
    assert.equal(abortedAt.has("grace-streamable"), false);
    assert.equal(server.sessionCount, 0);
  });

  it("aborts a call that never ends at the deadline and resolves soon after", async () => {
    const { server, url } = await start();
    const legacy = await LegacyClient.connect(url);
    await legacy.initialize();
    const client = new StreamableClient(url);
    await client.initialize();

    const posted = await legacy.post(callRequest(8, "forever", "stuck-legacy"));
    assert.equal(posted.status, 202);
    await posted.text();
    const call = client.request("tools/call", { name: "forever", arguments: { key: "stuck-streamable" } });
    await waitFor(() => started.has("stuck-legacy") && started.has("stuck-streamable"), "both calls to start");

    const t0 = Date.now();
    await server.close({ deadline: 200 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 500, `close took ${elapsed} ms`);
    for (const key of ["stuck-legacy", "stuck-streamable"]) {
      const at = abortedAt.get(key);
      assert.ok(at !== undefined, `${key} was never aborted`);
      assert.ok(at - t0 >= 180 && at - t0 < 500, `${key} aborted ${at - t0} ms after close()`);
    }
    await drain(legacy.events); // the stream ends
    await settle(call);
    assert.equal(server.sessionCount, 0);
  });

  it("refuses an initialize that arrives while close() waits with 503 and Retry-After", async () => {
    let probed: () => void = () => {};
    const probe = new Promise<void>((resolve) => (probed = resolve));
    const { server, url, port } = await start({
      // Tells the test when the racing request has passed the gate, before its body is sent.
      authenticate: (req) => {
        if (req.headers["x-probe"] !== undefined) probed();
        return "anyone";
      },
    });
    const client = new StreamableClient(url);
    await client.initialize();
    const call = client.request("tools/call", { name: "brief", arguments: { key: "race-hold" } });
    await waitFor(() => started.has("race-hold"), "the call to start");

    const socket: Socket = connect(port, "127.0.0.1");
    socket.setEncoding("utf8");
    socket.on("error", () => {});
    let text = "";
    socket.on("data", (chunk: string) => (text += chunk));
    try {
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "late", version: "0" } },
      });
      const half = Math.floor(body.length / 2);
      socket.write(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: ${BOTH}\r\nContent-Type: application/json\r\n` +
          `X-Probe: 1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
      );
      await probe;

      const closing = server.close({ deadline: 2000 });
      socket.write(body.slice(half));
      await waitFor(() => /\r\n\r\n[\s\S]*\}$/.test(text), "the late initialize to be answered", 3000);
      assert.match(text, /^HTTP\/1\.1 503 /, text);
      assert.match(text, /\r\nretry-after: \d+\r\n/i, text);
      assert.doesNotMatch(text, /\r\nmcp-session-id:/i, text);
      const answer = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) as Message;
      assert.equal(answer.id, null);
      assert.equal(typeof answer.error.code, "number");

      // The call in flight still finishes and is answered.
      const res = await call;
      assert.equal(res.status, 200);
      assert.deepEqual((await res.json() as Message).result, { content: [{ type: "text", text: "finished race-hold" }] });
      await closing;
    } finally {
      socket.destroy();
    }
  });

  it("a new connection while close() waits is not served", async () => {
    const { server, url } = await start();
    const client = new StreamableClient(url);
    await client.initialize();
    const call = client.request("tools/call", { name: "brief", arguments: { key: "new-conn-hold" } });
    await waitFor(() => started.has("new-conn-hold"), "the call to start");
    const closing = server.close({ deadline: 2000 });
    let status: number | undefined;
    try {
      const res = await fetch(`${url}/mcp`, {
        method: "POST",
        headers: { accept: BOTH, "content-type": "application/json", connection: "close" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "late", version: "0" } },
        }),
      });
      status = res.status;
      await res.text();
    } catch {
      // Refused at the socket: the server no longer accepts connections.
    }
    assert.ok(status === undefined || status === 503, `a new connection was answered ${status}`);
    await settle(call);
    await closing;
  });

  it("close() with no deadline resolves promptly with clients attached, aborting what runs", async () => {
    const { server, url } = await start();
    const legacy = await Promise.all([LegacyClient.connect(url), LegacyClient.connect(url)]);
    await legacy[0]!.initialize();
    const client = new StreamableClient(url);
    await client.initialize();
    const standalone = await client.get();
    const getReader = new EventReader(standalone.body!);
    const posted = await legacy[0]!.post(callRequest(3, "forever", "prompt-legacy"));
    await posted.text();
    const call = client.request("tools/call", { name: "forever", arguments: { key: "prompt-streamable" } });
    await waitFor(() => started.has("prompt-legacy") && started.has("prompt-streamable"), "both calls to start");

    const t0 = Date.now();
    await server.close();
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 1000, `close took ${elapsed} ms`);
    assert.ok(abortedAt.has("prompt-legacy"));
    assert.ok(abortedAt.has("prompt-streamable"));
    assert.equal(server.sessionCount, 0);
    for (const one of legacy) await drain(one.events);
    assert.deepEqual(await drain(getReader), []);
    await settle(call);
  });
});

describe("onError", () => {
  const reported: { error: unknown; where: string }[] = [];
  const secret = new Error("cannot open /etc/secret: permission denied");
  const routeFailure = new Error("route exploded");
  let server: McpServer;
  let url: string;
  let client: StreamableClient;

  before(async () => {
    server = createServer({ name: "errors", version: "1.0.0", onError: (error, where) => reported.push({ error, where }) });
    server.prompt("bad", {}, () => 42 as unknown as string);
    server.resource("test://secret", {}, () => {
      throw secret;
    });
    server.route("GET", "/boom", () => {
      throw routeFailure;
    });
    server.route("GET", "/async-boom", async () => {
      await sleep(1);
      throw routeFailure;
    });
    ({ url } = await listen(server));
    client = new StreamableClient(url);
    await client.initialize();
  });

  after(async () => {
    await server.close();
  });

  it("a handler's JsonRpcError (a prompt returning an invalid shape) reaches the client and is not reported", async () => {
    reported.length = 0;
    const res = await client.request("prompts/get", { name: "bad" });
    const body = await res.json() as Message;
    assert.equal(body.error.code, -32603);
    assert.match(body.error.message, /^Prompt "bad" returned something that is not a message list/);
    assert.deepEqual(reported, []);
  });

  it("a plain Error from a resource read → -32603 Internal error with no detail; onError gets it with the method", async () => {
    reported.length = 0;
    const res = await client.request("resources/read", { uri: "test://secret" });
    const text = await res.text();
    const body = JSON.parse(text) as Message;
    assert.deepEqual(body.error, { code: -32603, message: "Internal error" });
    assert.doesNotMatch(text, /secret|permission|at |\.ts/);
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!.error, secret);
    assert.equal(reported[0]!.where, "resources/read");
  });

  for (const path of ["/boom", "/async-boom"]) {
    it(`a route that throws (GET ${path}) → 500 with an empty body; onError gets the error`, async () => {
      reported.length = 0;
      const res = await fetch(url + path);
      assert.equal(res.status, 500);
      assert.equal(await res.text(), "");
      assert.equal(reported.length, 1);
      assert.equal(reported[0]!.error, routeFailure);
      assert.match(reported[0]!.where, new RegExp(`GET ${path}$`));
    });
  }

  it("an onError that throws does not take the server down", async () => {
    const fragile = createServer({
      name: "fragile",
      version: "1.0.0",
      onError: () => {
        throw new Error("the hook failed too");
      },
    });
    fragile.route("GET", "/boom", () => {
      throw routeFailure;
    });
    fragile.route("GET", "/ok", () => "ok");
    const { url: at } = await listen(fragile);
    try {
      const res = await fetch(`${at}/boom`);
      assert.equal(res.status, 500);
      await res.text();
      const ok = await fetch(`${at}/ok`);
      assert.equal(await ok.text(), "ok");
    } finally {
      await fragile.close();
    }
  });
});
