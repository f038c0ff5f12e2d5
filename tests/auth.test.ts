/**
 * Authentication end to end over real sockets: `authenticate` on every MCP
 * request, the RFC 6750 / RFC 9728 challenge on refusals, the protected
 * resource metadata, the principal as `ctx.auth`, sessions bound to the
 * principal that opened them, and examples/auth.ts.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { AuthError, createServer } from "../mod.ts";
import type { McpServer, ResourceMetadata, ServerOptions } from "../mod.ts";
import { EventReader, LegacyClient } from "./_client.ts";
import type { Message } from "./_client.ts";
import { startExample } from "./_spawn.ts";
import { BOTH, StreamableClient, expectHttpError } from "./_streamable.ts";
import type { HeaderOverrides } from "./_streamable.ts";
import { listen } from "./_door.ts";

/** Who each test token stands for; the odd ones make `authenticate` refuse or fail. */
const PRINCIPALS: Record<string, { sub: string; scopes?: string[] }> = {
  a: { sub: "alice" },
  "a-refreshed": { sub: "alice", scopes: ["files:read"] },
  b: { sub: "bob" },
};

/** Every call of `authenticate`, as "METHOD /path". */
const calls: string[] = [];
/** Every error `onError` received. */
const reported: { error: unknown; where: string }[] = [];
const failure = new Error("database password is hunter2");

function authenticate(req: IncomingMessage): unknown {
  calls.push(`${req.method} ${(req.url ?? "").split("?")[0]}`);
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (token === undefined) return undefined;
  if (token === "expired") throw new AuthError("expired", { error: "invalid_token" });
  if (token === "read-only") throw new AuthError("needs write", { status: 403, scope: "files:write" });
  if (token === "broken") throw failure;
  if (token === "broken-async") return Promise.reject(failure);
  if (token === "odd") throw new AuthError('bad "token" \\ café', { error: "invalid_token" });
  return PRINCIPALS[token] ?? undefined;
}

function register(server: McpServer): McpServer {
  server.tool("whoami", {}, (_args, ctx) => JSON.stringify(ctx.auth));
  return server;
}

/** A port nobody listens on right now, so the resource URL can name it before listen(). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Starts a server whose options depend on its own port (the metadata's `resource`). */
async function listenOnKnownPort(options: (port: number) => ServerOptions): Promise<{ server: McpServer; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = register(createServer(options(port)));
    try {
      await server.listen({ port });
      return { server, port };
    } catch (error) {
      if (attempt >= 5 || (error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    }
  }
}

/** A Streamable HTTP client that sends `Authorization: Bearer <token>` on every request. */
class BearerClient extends StreamableClient {
  token: string | undefined;

  constructor(base: string, token: string | undefined) {
    super(base);
    this.token = token;
  }

  #auth(headers: HeaderOverrides): HeaderOverrides {
    return { authorization: this.token === undefined ? undefined : `Bearer ${this.token}`, ...headers };
  }

  override post(body: unknown, headers: HeaderOverrides = {}): Promise<Response> {
    return super.post(body, this.#auth(headers));
  }

  override get(headers: HeaderOverrides = {}): Promise<Response> {
    return super.get(this.#auth(headers));
  }

  override delete(headers: HeaderOverrides = {}): Promise<Response> {
    return super.delete(this.#auth(headers));
  }
}

/** An HTTP+SSE client that sends `Authorization: Bearer <token>` on the stream and every POST. */
class BearerLegacyClient extends LegacyClient {
  token: string;

  constructor(base: string, events: EventReader, endpoint: string, token: string) {
    super(base, events, endpoint);
    this.token = token;
  }

  static async open(base: string, token: string): Promise<BearerLegacyClient> {
    const res = await fetch(`${base}/sse`, { headers: { accept: "text/event-stream", authorization: `Bearer ${token}` } });
    if (res.status !== 200 || !res.body) throw new Error(`GET /sse answered ${res.status}: ${await res.text()}`);
    const events = new EventReader(res.body);
    const first = await events.next();
    if (first?.event !== "endpoint") throw new Error(`First event was ${JSON.stringify(first)}`);
    return new BearerLegacyClient(base, events, first.data, token);
  }

  override post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return super.post(body, { authorization: `Bearer ${this.token}`, ...headers });
  }
}

/** The auth-params of a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3), unquoted. */
function challengeParams(header: string | null): Record<string, string> {
  assert.ok(header, "no WWW-Authenticate header");
  assert.match(header, /^Bearer(?: |$)/, header);
  const params: Record<string, string> = {};
  const rest = header.slice("Bearer".length).trim();
  const pattern = /([a-z_]+)="((?:[^"\\]|\\.)*)"\s*(?:,\s*|$)/gy;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(rest)) !== null) {
    params[match[1]!] = match[2]!.replace(/\\(.)/g, "$1");
    end = pattern.lastIndex;
  }
  assert.equal(end, rest.length, `unparsed challenge: ${header}`);
  return params;
}


const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "auth-test", version: "0" } },
};

function postInitialize(base: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/mcp`, {
    method: "POST",
    headers: { accept: BOTH, "content-type": "application/json", ...headers },
    body: JSON.stringify(INITIALIZE),
  });
}

let server: McpServer;
let port: number;
let base: string;
let metadata: ResourceMetadata;
let metadataUrl: string;
let bare: McpServer;
let bareBase: string;

before(async () => {
  ({ server, port } = await listenOnKnownPort((port) => {
    metadata = {
      resource: `http://127.0.0.1:${port}/mcp`,
      authorization_servers: ["https://auth.example"],
      scopes_supported: ["files:read", "files:write"],
    };
    return {
      name: "auth-test",
      version: "1.0.0",
      authenticate,
      resourceMetadata: metadata,
      onError: (error, where) => reported.push({ error, where }),
    };
  }));
  base = `http://127.0.0.1:${port}`;
  metadataUrl = `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`;
  bare = register(createServer({ name: "auth-bare", version: "1.0.0", authenticate, onError: () => {} }));
  ({ url: bareBase } = await listen(bare));
});

after(async () => {
  await Promise.all([server.close(), bare.close()]);
});

describe("authenticate", () => {
  it("authenticate() runs on every MCP request: GET /sse, POST /messages, and POST, GET, DELETE /mcp", async () => {
    calls.length = 0;
    const legacy = await BearerLegacyClient.open(base, "a");
    await legacy.initialize();
    const { response } = await legacy.request("ping");
    assert.deepEqual(response.result, {});
    await legacy.close();

    const client = new BearerClient(base, "a");
    await client.initialize();
    const ping = await client.request("ping");
    assert.equal(ping.status, 200);
    await ping.text();
    const stream = await client.get();
    assert.equal(stream.status, 200);
    await stream.body!.cancel();
    const deleted = await client.delete();
    assert.equal(deleted.status, 200);
    await deleted.text();

    assert.deepEqual(calls, [
      "GET /sse",
      "POST /messages", // initialize
      "POST /messages", // notifications/initialized
      "POST /messages", // ping
      "POST /mcp", // initialize
      "POST /mcp", // notifications/initialized
      "POST /mcp", // ping
      "GET /mcp",
      "DELETE /mcp",
    ]);
  });

  it("authenticate() is not asked for the resource metadata, which needs no credentials", async () => {
    calls.length = 0;
    const res = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(res.status, 200);
    await res.text();
    assert.deepEqual(calls, []);
  });

  it("a request without credentials gets 401, a JSON-RPC error with id null, and the exact resource_metadata challenge", async () => {
    const expected = `Bearer resource_metadata="${metadataUrl}"`;
    const init = await postInitialize(base);
    assert.equal(init.headers.get("www-authenticate"), expected);
    assert.equal(init.headers.get("mcp-session-id"), null);
    const message = await expectHttpError(init, 401);
    assert.equal(message.error.code, -32600);

    const sse = await fetch(`${base}/sse`, { headers: { accept: "text/event-stream" } });
    assert.equal(sse.headers.get("www-authenticate"), expected);
    await expectHttpError(sse, 401);

    const get = await fetch(`${base}/mcp`, { headers: { accept: "text/event-stream", "mcp-session-id": "whatever" } });
    assert.equal(get.headers.get("www-authenticate"), expected);
    await expectHttpError(get, 401);

    const del = await fetch(`${base}/mcp`, { method: "DELETE", headers: { "mcp-session-id": "whatever" } });
    assert.equal(del.headers.get("www-authenticate"), expected);
    await expectHttpError(del, 401);
  });

  it("an unknown token (authenticate returns undefined) is refused like no token at all", async () => {
    const res = await postInitialize(base, { authorization: "Bearer nobody" });
    assert.equal(res.headers.get("www-authenticate"), `Bearer resource_metadata="${metadataUrl}"`);
    await expectHttpError(res, 401);
  });

  it("AuthError with error invalid_token → 401 with error and error_description in the challenge", async () => {
    const res = await postInitialize(base, { authorization: "Bearer expired" });
    assert.deepEqual(challengeParams(res.headers.get("www-authenticate")), {
      resource_metadata: metadataUrl,
      error: "invalid_token",
      error_description: "expired",
    });
    const message = await expectHttpError(res, 401);
    assert.equal(message.error.message, "expired");
  });

  it("AuthError with status 403 and a scope → 403 with error insufficient_scope and scope in the challenge", async () => {
    const res = await postInitialize(base, { authorization: "Bearer read-only" });
    const params = challengeParams(res.headers.get("www-authenticate"));
    assert.equal(params.error, "insufficient_scope");
    assert.equal(params.scope, "files:write");
    assert.equal(params.resource_metadata, metadataUrl);
    await expectHttpError(res, 403);
  });

  it("an AuthError message with quotes, backslashes and non-ASCII is escaped into a valid header", async () => {
    const res = await postInitialize(base, { authorization: "Bearer odd" });
    const header = res.headers.get("www-authenticate") ?? "";
    assert.match(header, /^[\x20-\x7e]+$/, header);
    const params = challengeParams(header);
    assert.equal(params.error, "invalid_token");
    assert.match(params.error_description ?? "", /^bad "token" \\ caf/);
    await expectHttpError(res, 401);
  });

  it("a refusal on an existing session's requests carries the challenge too (legacy POST /messages)", async () => {
    const legacy = await BearerLegacyClient.open(base, "a");
    try {
      const res = await legacy.post({ jsonrpc: "2.0", id: 1, method: "ping" }, { authorization: "Bearer expired" });
      assert.equal(challengeParams(res.headers.get("www-authenticate")).error, "invalid_token");
      await expectHttpError(res, 401);
    } finally {
      await legacy.close();
    }
  });

  it("without resourceMetadata the challenge is Bearer plus the error params only", async () => {
    const none = await postInitialize(bareBase);
    assert.equal(none.headers.get("www-authenticate"), "Bearer");
    await expectHttpError(none, 401);

    const expired = await postInitialize(bareBase, { authorization: "Bearer expired" });
    assert.deepEqual(challengeParams(expired.headers.get("www-authenticate")), {
      error: "invalid_token",
      error_description: "expired",
    });
    await expectHttpError(expired, 401);

    const scoped = await postInitialize(bareBase, { authorization: "Bearer read-only" });
    const params = challengeParams(scoped.headers.get("www-authenticate"));
    assert.equal(params.error, "insufficient_scope");
    assert.equal(params.scope, "files:write");
    assert.equal(params.resource_metadata, undefined);
    await expectHttpError(scoped, 403);

    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const res = await fetch(bareBase + path);
      assert.equal(res.status, 404, path);
      await res.text();
    }
  });

  it("an error other than AuthError (thrown or rejected) → 500 with an empty body, and onError receives it", async () => {
    reported.length = 0;
    const res = await postInitialize(base, { authorization: "Bearer broken" });
    const body = await res.text();
    assert.equal(res.status, 500);
    assert.equal(body, "");
    assert.equal(res.headers.get("www-authenticate"), null);
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!.error, failure);
    assert.match(reported[0]!.where, /\/mcp\b/);

    const sse = await fetch(`${base}/sse`, { headers: { accept: "text/event-stream", authorization: "Bearer broken" } });
    assert.equal(sse.status, 500);
    assert.equal(await sse.text(), "");
    assert.equal(reported.length, 2);
    assert.equal(reported[1]!.error, failure);

    const rejected = await postInitialize(base, { authorization: "Bearer broken-async" });
    assert.equal(rejected.status, 500);
    assert.equal(await rejected.text(), "");
    assert.equal(reported.length, 3);
    assert.equal(reported[2]!.error, failure);
  });
});

describe("protected resource metadata (RFC 9728)", () => {
  for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
    it(`GET ${path} serves the configured metadata as JSON`, async () => {
      const res = await fetch(base + path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), metadata);
    });
  }
});

describe("ctx.auth", () => {
  it("a tool sees the principal as ctx.auth over Streamable HTTP", async () => {
    const client = new BearerClient(base, "a");
    await client.initialize();
    const res = await client.call("whoami");
    assert.equal(res.status, 200);
    const body = await res.json() as Message;
    assert.deepEqual(body.result.content, [{ type: "text", text: JSON.stringify({ sub: "alice" }) }]);
    await (await client.delete()).text();
  });

  it("a tool sees the principal as ctx.auth over HTTP+SSE", async () => {
    const legacy = await BearerLegacyClient.open(base, "b");
    try {
      await legacy.initialize();
      const { response } = await legacy.request("tools/call", { name: "whoami", arguments: {} });
      assert.deepEqual(response.result.content, [{ type: "text", text: JSON.stringify({ sub: "bob" }) }]);
    } finally {
      await legacy.close();
    }
  });
});

describe("sessions are bound to their principal", () => {
  it("another principal presenting a Streamable HTTP session id gets 404 on POST, GET and DELETE; the owner keeps working", async () => {
    const alice = new BearerClient(base, "a");
    await alice.initialize();
    const mallory = new BearerClient(base, "b");
    mallory.sessionId = alice.sessionId;
    mallory.protocolVersion = alice.protocolVersion;

    await expectHttpError(await mallory.request("ping"), 404);
    await expectHttpError(await mallory.call("whoami"), 404);
    await expectHttpError(await mallory.get(), 404);
    await expectHttpError(await mallory.delete(), 404);

    const res = await alice.call("whoami");
    assert.equal(res.status, 200);
    assert.equal((await res.json() as Message).result.content[0].text, JSON.stringify({ sub: "alice" }));
    const stream = await alice.get();
    assert.equal(stream.status, 200);
    await stream.body!.cancel();
    const deleted = await alice.delete();
    assert.equal(deleted.status, 200);
    await deleted.text();
  });

  it("the same principal with another token (same sub) keeps the session", async () => {
    const alice = new BearerClient(base, "a");
    await alice.initialize();
    alice.token = "a-refreshed";
    const res = await alice.request("ping");
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json() as Message).result, {});
    await (await alice.delete()).text();
  });

  it("another principal posting to an HTTP+SSE session gets 404; the owner keeps working", async () => {
    const alice = await BearerLegacyClient.open(base, "a");
    try {
      await alice.initialize();
      await expectHttpError(await alice.post({ jsonrpc: "2.0", id: 99, method: "ping" }, { authorization: "Bearer b" }), 404);
      const { response } = await alice.request("tools/call", { name: "whoami", arguments: {} });
      assert.equal(response.result.content[0].text, JSON.stringify({ sub: "alice" }));
      assert.equal(alice.received.some((m) => m.id === 99), false, "the other principal's request was served");
    } finally {
      await alice.close();
    }
  });
});

describe("examples/auth.ts", { timeout: 60_000 }, () => {
  it("refuses a request without a token with 401 and answers whoami for a known token", async () => {
    const app = await startExample("auth.ts");
    try {
      const refused = await postInitialize(app.url);
      const params = challengeParams(refused.headers.get("www-authenticate"));
      assert.match(params.resource_metadata ?? "", /\/\.well-known\/oauth-protected-resource\/mcp$/);
      await expectHttpError(refused, 401);

      const unknown = await postInitialize(app.url, { authorization: "Bearer token-mallory" });
      assert.equal(challengeParams(unknown.headers.get("www-authenticate")).error, "invalid_token");
      await expectHttpError(unknown, 401);

      const document = await fetch(`${app.url}/.well-known/oauth-protected-resource/mcp`);
      assert.equal(document.status, 200);
      const served = await document.json() as Message;
      assert.ok(Array.isArray(served.authorization_servers) && served.authorization_servers.length > 0);

      for (const [token, sub] of [["token-alice", "alice"], ["token-bob", "bob"]] as const) {
        const client = new BearerClient(app.url, token);
        await client.initialize();
        const res = await client.call("whoami");
        assert.equal(res.status, 200);
        const body = await res.json() as Message;
        assert.notEqual(body.result.isError, true, JSON.stringify(body));
        assert.match(body.result.content[0].text, new RegExp(`\\b${sub}\\b`));
        await (await client.delete()).text();
      }
    } finally {
      await app.stop();
    }
  });
});
