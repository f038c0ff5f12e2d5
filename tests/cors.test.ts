/**
 * CORS end to end over real sockets (opt-in with `cors`): preflight on every
 * MCP endpoint, `Mcp-Session-Id` exposed on every MCP response (errors
 * included), refused origins, and nothing of the kind when CORS is off.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import type { Message } from "./_client.ts";
import { BOTH } from "./_streamable.ts";
import { listen } from "./_door.ts";

const ORIGIN = "http://localhost:5173";
const EVIL = "http://evil.example";

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "cors-test", version: "0" } },
};

/** The methods each MCP endpoint accepts, as a preflight must list them. */
const ENDPOINTS: Record<string, string[]> = {
  "/mcp": ["DELETE", "GET", "OPTIONS", "POST"],
  "/sse": ["GET", "OPTIONS"],
  "/messages": ["OPTIONS", "POST"],
};

const REQUIRED_HEADERS = ["Content-Type", "Authorization", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID"];

let cors: McpServer;
let corsBase: string;
let authed: McpServer;
let authedBase: string;
let authCalls = 0;
let plain: McpServer;
let plainBase: string;

before(async () => {
  cors = createServer({ name: "cors", version: "1.0.0", cors: true });
  cors.tool("echo", {}, () => "echo");
  ({ url: corsBase } = await listen(cors));
  authed = createServer({
    name: "cors-auth",
    version: "1.0.0",
    cors: { maxAgeSeconds: 60 },
    resourceMetadata: { resource: "http://127.0.0.1/mcp", authorization_servers: ["https://auth.example"] },
    authenticate: (req) => {
      authCalls++;
      return req.headers.authorization === "Bearer ok" ? { sub: "ok" } : undefined;
    },
  });
  ({ url: authedBase } = await listen(authed));
  plain = createServer({ name: "plain", version: "1.0.0" });
  ({ url: plainBase } = await listen(plain));
});

after(async () => {
  await Promise.all([cors.close(), authed.close(), plain.close()]);
});

/** A comma-separated header as a list of lower-cased tokens. */
function list(header: string | null): string[] {
  return (header ?? "").split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
}

function preflight(url: string, origin: string, method = "POST"): Promise<Response> {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "content-type, mcp-session-id",
    },
  });
}

/** Asserts that a response lets a browser page read `Mcp-Session-Id`, and consumes it. */
async function assertExposes(res: Response, status: number, origin = ORIGIN): Promise<void> {
  const body = await res.text();
  assert.equal(res.status, status, body);
  assert.equal(res.headers.get("access-control-allow-origin"), origin);
  assert.ok(
    list(res.headers.get("access-control-expose-headers")).includes("mcp-session-id"),
    `access-control-expose-headers is ${res.headers.get("access-control-expose-headers")}`,
  );
}

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { origin: ORIGIN, accept: BOTH, "content-type": "application/json", ...headers },
    body,
  });
}

describe("CORS preflight", () => {
  for (const [path, methods] of Object.entries(ENDPOINTS)) {
    it(`OPTIONS ${path} from an allowed origin answers 204 with the endpoint's methods and the MCP headers`, async () => {
      const res = await preflight(corsBase + path, ORIGIN, methods.includes("POST") ? "POST" : "GET");
      assert.equal(res.status, 204);
      assert.equal(await res.text(), "");
      assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
      assert.deepEqual(list(res.headers.get("access-control-allow-methods")).map((m) => m.toUpperCase()).sort(), methods);
      const allowed = list(res.headers.get("access-control-allow-headers"));
      for (const header of REQUIRED_HEADERS) assert.ok(allowed.includes(header.toLowerCase()), `${header} missing from ${allowed}`);
      const maxAge = res.headers.get("access-control-max-age");
      assert.match(maxAge ?? "", /^\d+$/);
      assert.ok(Number(maxAge) > 0);
    });
  }

  it("OPTIONS from a disallowed origin answers 403", async () => {
    for (const path of Object.keys(ENDPOINTS)) {
      const res = await preflight(corsBase + path, EVIL);
      assert.equal(res.status, 403, path);
      assert.notEqual(res.headers.get("access-control-allow-origin"), EVIL, path);
      await res.text();
    }
  });

  it("a preflight needs no credentials: authenticate is not asked, and cors.maxAgeSeconds sets the max age", async () => {
    authCalls = 0;
    const res = await preflight(`${authedBase}/mcp`, ORIGIN);
    assert.equal(res.status, 204);
    await res.text();
    assert.equal(authCalls, 0);
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
    assert.equal(res.headers.get("access-control-max-age"), "60");
  });

  it("with cors off (the default), OPTIONS /mcp answers 405", async () => {
    const res = await preflight(`${plainBase}/mcp`, ORIGIN);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("access-control-allow-methods"), null);
    await res.text();
  });
});

describe("CORS on MCP responses", () => {
  it("the initialize 200 exposes Mcp-Session-Id", async () => {
    const res = await post(`${corsBase}/mcp`, JSON.stringify(INITIALIZE));
    assert.ok(res.headers.get("mcp-session-id"));
    await assertExposes(res, 200);
  });

  it("a 404 for an unknown session exposes Mcp-Session-Id", async () => {
    const res = await post(`${corsBase}/mcp`, '{"jsonrpc":"2.0","id":2,"method":"ping"}', { "mcp-session-id": "no-such-session" });
    await assertExposes(res, 404);
  });

  it("a 400 parse error exposes Mcp-Session-Id", async () => {
    const res = await post(`${corsBase}/mcp`, "{");
    await assertExposes(res, 400);
  });

  it("a 400 for a missing session id, and GET and DELETE 404s, expose Mcp-Session-Id", async () => {
    await assertExposes(await post(`${corsBase}/mcp`, '{"jsonrpc":"2.0","id":2,"method":"ping"}'), 400);
    await assertExposes(
      await fetch(`${corsBase}/mcp`, { headers: { origin: ORIGIN, accept: "text/event-stream", "mcp-session-id": "nope" } }),
      404,
    );
    await assertExposes(await fetch(`${corsBase}/mcp`, { method: "DELETE", headers: { origin: ORIGIN, "mcp-session-id": "nope" } }), 404);
  });

  it("the legacy endpoints expose Mcp-Session-Id: the GET /sse stream and a POST /messages 404", async () => {
    const sse = await fetch(`${corsBase}/sse`, { headers: { origin: ORIGIN, accept: "text/event-stream" } });
    try {
      assert.equal(sse.status, 200);
      assert.equal(sse.headers.get("access-control-allow-origin"), ORIGIN);
      assert.ok(list(sse.headers.get("access-control-expose-headers")).includes("mcp-session-id"));
    } finally {
      await sse.body?.cancel();
    }
    await assertExposes(await post(`${corsBase}/messages?sessionId=nope`, '{"jsonrpc":"2.0","id":1,"method":"ping"}'), 404);
  });

  it("a 401 exposes Mcp-Session-Id and WWW-Authenticate", async () => {
    const res = await post(`${authedBase}/mcp`, JSON.stringify(INITIALIZE));
    assert.ok(list(res.headers.get("access-control-expose-headers")).includes("www-authenticate"));
    await assertExposes(res, 401);
    const ok = await post(`${authedBase}/mcp`, JSON.stringify(INITIALIZE), { authorization: "Bearer ok" });
    await assertExposes(ok, 200);
  });

  it("the protected resource metadata is readable cross-origin", async () => {
    const res = await fetch(`${authedBase}/.well-known/oauth-protected-resource/mcp`, { headers: { origin: ORIGIN } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
    assert.deepEqual((await res.json() as Message).authorization_servers, ["https://auth.example"]);
  });

  it("a request from a disallowed origin is refused with 403", async () => {
    const res = await post(`${corsBase}/mcp`, JSON.stringify(INITIALIZE), { origin: EVIL });
    const body = JSON.parse(await res.text()) as Message;
    assert.equal(res.status, 403);
    assert.equal(body.id, null);
    assert.equal(res.headers.get("mcp-session-id"), null);
  });

  it("a request from a disallowed origin is not given that origin in access-control-allow-origin", async () => {
    // cors: true "allows every origin the Origin guard lets through" (lib/cors.ts), so a refused one is not echoed.
    const res = await post(`${corsBase}/mcp`, JSON.stringify(INITIALIZE), { origin: EVIL });
    await res.text();
    assert.equal(res.status, 403);
    assert.notEqual(res.headers.get("access-control-allow-origin"), EVIL);
    assert.notEqual(res.headers.get("access-control-allow-origin"), "*");
  });

  it("with cors off, MCP responses carry no CORS headers", async () => {
    const res = await post(`${plainBase}/mcp`, JSON.stringify(INITIALIZE));
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("access-control-expose-headers"), null);
  });
});
