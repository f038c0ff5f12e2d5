/**
 * The 2026-07-28 era end to end over real sockets, with raw fetch (and a
 * raw socket where fetch cannot send a header as written): every HTTP item
 * of the checklist in shared/spec/mcp-modern.md §10 (1–32), the header
 * codec of lib/modern_headers.ts, request-scoped progress and logging,
 * `subscriptions/listen`, both eras on one endpoint, the `eras` modes, and
 * cancellation by disconnect.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { everything } from "../examples/everything.ts";
import { ErrorCode, JsonRpcError } from "../lib/errors.ts";
import { checkMethodHeaders, checkParamHeaders, decodeHeaderValue, encodeHeaderValue, nameOf, paramHeaders } from "../lib/modern_headers.ts";
import { EventReader, LegacyClient } from "./_client.ts";
import type { Message } from "./_client.ts";
import { ALL_CAPS, delay, envelope, isRequest, MCP, MODERN, ModernClient, modernHeaders, readReply } from "./_modern.ts";
import type { Reply } from "./_modern.ts";
import { BOTH, eventIds, nextEvent, nextMessage, rawRequest, StreamableClient, waitFor } from "./_streamable.ts";
import { listen, PENDING_DISCONNECT_UNSEEN } from "./_door.ts";

const SERVER_INFO = { name: "emcee-everything", version: "1.0.0" };
const SUB = `${MCP}subscriptionId`;
const LEGACY = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/** Asserts a JSON error reply: status, code, id echo, and the `-32020…-32022` data shapes. */
function assertError(reply: Reply, status: number, code: number, id: string | number | null): Message {
  assert.equal(reply.status, status, reply.raw);
  assert.match(reply.contentType, /^application\/json/);
  const response = reply.response!;
  assert.ok(response, `no response in ${reply.raw}`);
  assert.equal(response.jsonrpc, "2.0");
  assert.equal(response.id, id);
  assert.equal(response.result, undefined);
  assert.equal(response.error.code, code, reply.raw);
  assert.equal(typeof response.error.message, "string");
  return response.error;
}

/** Asserts a complete result for `id`, with `serverInfo`, and returns it. */
function assertComplete(reply: Reply, id: string | number, info = SERVER_INFO): Message {
  assert.equal(reply.status, 200, reply.raw);
  const response = reply.response!;
  assert.ok(response, `no response in ${reply.raw}`);
  assert.equal(response.id, id);
  assert.equal(response.error, undefined, reply.raw);
  assert.equal(response.result.resultType, "complete");
  assert.deepEqual(response.result._meta[`${MCP}serverInfo`], info);
  return response.result;
}

/** Asserts a thrown -32020 `JsonRpcError` (for the unit tests). */
function mismatch(error: unknown): boolean {
  return error instanceof JsonRpcError && error.code === ErrorCode.HeaderMismatch;
}

// --- servers ---------------------------------------------------------------

let srv: McpServer;
let base: string;
let port: number;
let client: ModernClient;

/** Tools only (no prompts, no completions): header, cancellation and listen fixtures. */
let custom: McpServer;
let customBase: string;
let customClient: ModernClient;
const customErrors: unknown[] = [];
const started = new Set<string>();
const aborted = new Set<string>();

let modernOnly: McpServer;
let modernOnlyBase: string;
let legacyOnly: McpServer;
let legacyOnlyBase: string;

const keyed = { type: "object", properties: { key: { type: "string" } }, required: ["key"] } as const;

before(async () => {
  srv = everything();
  ({ url: base, port } = await listen(srv));
  client = new ModernClient(base);

  custom = createServer({ name: "custom", version: "2.0.0", onError: (error) => void customErrors.push(error) });
  custom.tool("params", {
    description: "Echoes its header-mirrored arguments",
    inputSchema: {
      type: "object",
      properties: {
        s: { type: ["string", "null"], "x-mcp-header": "S" },
        n: { type: "integer", "x-mcp-header": "N" },
        b: { type: "boolean", "x-mcp-header": "B" },
      },
    },
  }, (args: Message) => JSON.stringify(args));
  custom.tool("slow", { description: "Waits until aborted", inputSchema: keyed }, ({ key }: { key: string }, ctx) =>
    new Promise<string>((resolve) => {
      started.add(key);
      ctx.signal.addEventListener("abort", () => {
        aborted.add(key);
        resolve("aborted");
      }, { once: true });
    }));
  custom.tool("late", { description: "Reports progress after it has answered" }, (_args, ctx) => {
    ctx.progress(1, 2);
    setTimeout(() => ctx.progress(2, 2), 20);
    return "answered";
  });
  custom.tool("ask_after_progress", { description: "Reports progress, then asks the user" }, async (_args, ctx) => {
    ctx.progress(1, 2, "thinking");
    const { action } = await ctx.elicit({
      message: "Go on?",
      requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } },
    }, { key: "go_on" });
    return action;
  });
  custom.resource("test://caf\u00e9", { name: "Café", mimeType: "text/plain" }, () => "du café");
  ({ url: customBase } = await listen(custom));
  customClient = new ModernClient(customBase);

  modernOnly = createServer({ name: "modern-only", version: "1.0.0", eras: "modern" });
  modernOnly.tool("add", {
    inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
  }, ({ a, b }: { a: number; b: number }) => String(a + b));
  ({ url: modernOnlyBase } = await listen(modernOnly));

  legacyOnly = createServer({ name: "legacy-only", version: "1.0.0", eras: "legacy" });
  legacyOnly.tool("add", {
    inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
  }, ({ a, b }: { a: number; b: number }) => String(a + b));
  ({ url: legacyOnlyBase } = await listen(legacyOnly));
});

after(async () => {
  await Promise.all([srv.close(), custom.close(), modernOnly.close(), legacyOnly.close()]);
});

// --- the checklist ---------------------------------------------------------

describe("2026-07-28 checklist (mcp-modern.md §10)", () => {
  it("§10.1 server/discover answers 200 complete with versions, capabilities, cache hints and serverInfo, with or without clientInfo", async () => {
    const reply = await client.rpc("server/discover", {}, { id: 201 });
    const result = assertComplete(reply, 201);
    assert.match(reply.contentType, /^application\/json/);
    assert.ok(result.supportedVersions.includes(MODERN));
    assert.deepEqual(result.supportedVersions, [MODERN]);
    assert.deepEqual(result.capabilities.tools, { listChanged: true });
    assert.deepEqual(result.capabilities.prompts, { listChanged: true });
    assert.deepEqual(result.capabilities.resources, { subscribe: true, listChanged: true });
    assert.deepEqual(result.capabilities.completions, {});
    assert.ok(Number.isInteger(result.ttlMs) && result.ttlMs >= 0);
    assert.ok(result.cacheScope === "public" || result.cacheScope === "private");
    assert.equal(typeof result.instructions, "string");

    // No clientInfo: only protocolVersion and clientCapabilities (conformance probe 105).
    const bare = {
      jsonrpc: "2.0",
      id: 105,
      method: "server/discover",
      params: { _meta: { [`${MCP}protocolVersion`]: MODERN, [`${MCP}clientCapabilities`]: {} } },
    };
    const noInfo = await readReply(await client.post(bare, modernHeaders("server/discover")));
    assert.deepEqual(assertComplete(noInfo, 105).supportedVersions, [MODERN]);
  });

  it("§10.2 a 2026-07-28 header with params {} (or no params) answers 400 -32602 with the id echoed", async () => {
    const empty = await readReply(await client.post(
      { jsonrpc: "2.0", id: 101, method: "server/discover", params: {} },
      modernHeaders("server/discover"),
    ));
    assertError(empty, 400, -32602, 101);
    const none = await readReply(await client.post({ jsonrpc: "2.0", id: "no-params", method: "tools/list" }, modernHeaders("tools/list")));
    assertError(none, 400, -32602, "no-params");
  });

  it("§10.3 an envelope without clientCapabilities or protocolVersion (or with ill-typed ones) answers 400 -32602", async () => {
    const cases: [string | number, Message][] = [
      [102, { [`${MCP}clientInfo`]: { name: "c", version: "1" }, [`${MCP}clientCapabilities`]: {} }],
      [104, { [`${MCP}protocolVersion`]: MODERN, [`${MCP}clientInfo`]: { name: "c", version: "1" } }],
      ["caps-null", { [`${MCP}protocolVersion`]: MODERN, [`${MCP}clientCapabilities`]: null }],
      ["caps-array", { [`${MCP}protocolVersion`]: MODERN, [`${MCP}clientCapabilities`]: [] }],
      ["version-number", { [`${MCP}protocolVersion`]: 20260728, [`${MCP}clientCapabilities`]: {} }],
    ];
    for (const [id, meta] of cases) {
      const reply = await readReply(await client.post(
        { jsonrpc: "2.0", id, method: "server/discover", params: { _meta: meta } },
        modernHeaders("server/discover"),
      ));
      assertError(reply, 400, -32602, id);
    }
  });

  it("§10.4 an envelope without MCP-Protocol-Version answers 400 -32020", async () => {
    const reply = await client.rpc("tools/list", {}, { id: 4, headers: { "mcp-protocol-version": undefined } });
    assertError(reply, 400, -32020, 4);
  });

  it("§10.5 header 2026-07-28 with body 2099-01-01 (and the reverse) answers 400 -32020", async () => {
    const body = client.body("server/discover", {}, { id: 302, meta: { [`${MCP}protocolVersion`]: "2099-01-01" } });
    assertError(await readReply(await client.post(body, modernHeaders("server/discover"))), 400, -32020, 302);
    const reverse = await client.rpc("server/discover", {}, { id: 303, headers: { "mcp-protocol-version": "2099-01-01" } });
    assertError(reverse, 400, -32020, 303);
  });

  it("§10.6 header and body both 2099-01-01 answer 400 -32022 with requested echoed and supported ⊆ discover's", async () => {
    const body = client.body("server/discover", {}, { id: 301, meta: { [`${MCP}protocolVersion`]: "2099-01-01" } });
    const reply = await readReply(await client.post(body, { ...modernHeaders("server/discover"), "mcp-protocol-version": "2099-01-01" }));
    const error = assertError(reply, 400, -32022, 301);
    assert.equal(error.data.requested, "2099-01-01");
    assert.ok(Array.isArray(error.data.supported) && error.data.supported.includes(MODERN));
    const discover = assertComplete(await client.rpc("server/discover", {}, { id: 201 }), 201);
    for (const version of error.data.supported) assert.ok(discover.supportedVersions.includes(version), version);
  });

  it("§10.7 Mcp-Method missing, different or TOOLS/LIST answers 400 -32020", async () => {
    for (const [id, value] of [[700, undefined], [701, "prompts/list"], [702, "TOOLS/LIST"], [703, "tools/list/"]] as const) {
      const reply = await client.rpc("tools/list", {}, { id, headers: { "mcp-method": value } });
      assertError(reply, 400, -32020, id);
    }
  });

  it("§10.8 header names in any case and padded values (Mcp-Name: '  add  ') are accepted", async () => {
    const host = { Host: `127.0.0.1:${port}`, "Content-Type": "application/json", Accept: BOTH };
    const list = JSON.stringify(client.body("tools/list", {}, { id: 105 }));
    for (const method of ["mcp-method", "MCP-METHOD", "Mcp-Method"]) {
      const res = await rawRequest(port, "POST", "/mcp", { ...host, "mcp-protocol-version": MODERN, [method]: "tools/list" }, list);
      assert.equal(res.status, 200, res.body);
      const body = JSON.parse(res.body);
      assert.equal(body.id, 105);
      assert.equal(body.result.resultType, "complete");
    }
    const call = JSON.stringify(client.body("tools/call", { name: "add", arguments: { a: 2, b: 3 } }, { id: 103 }));
    const res = await rawRequest(port, "POST", "/mcp", {
      ...host,
      "MCP-PROTOCOL-VERSION": `  ${MODERN}  `,
      "mcp-METHOD": "  tools/call  ",
      "Mcp-Name": "  add  ",
    }, call);
    assert.equal(res.status, 200, res.body);
    const body = JSON.parse(res.body);
    assert.equal(body.id, 103);
    assert.deepEqual(body.result.structuredContent, { sum: 5 });
  });

  it("§10.9 tools/call or resources/read with a missing or wrong Mcp-Name answers 400 -32020; the base64 sentinel is decoded", async () => {
    const add = { name: "add", arguments: { a: 2, b: 3 } };
    assertError(await client.rpc("tools/call", add, { id: 900, headers: { "mcp-name": undefined } }), 400, -32020, 900);
    assertError(await client.rpc("tools/call", add, { id: 901, headers: { "mcp-name": "wrong_tool_name" } }), 400, -32020, 901);
    assertError(await client.rpc("tools/call", add, { id: 902, headers: { "mcp-name": "ADD" } }), 400, -32020, 902);
    const read = { uri: "test://static-text" };
    assertError(await client.rpc("resources/read", read, { id: 903, headers: { "mcp-name": undefined } }), 400, -32020, 903);
    assertError(await client.rpc("resources/read", read, { id: 904, headers: { "mcp-name": "test://static-binary" } }), 400, -32020, 904);
    assertComplete(await client.rpc("resources/read", read, { id: 905 }), 905);
    const prompt = { name: "test_simple_prompt" };
    assertError(await client.rpc("prompts/get", prompt, { id: 906, headers: { "mcp-name": "test_prompt_with_image" } }), 400, -32020, 906);

    const sentinel = assertComplete(await client.rpc("tools/call", add, { id: 907, headers: { "mcp-name": "=?base64?YWRk?=" } }), 907);
    assert.deepEqual(sentinel.structuredContent, { sum: 5 });
    for (const [id, broken] of [[908, "=?base64?YWR?="], [909, "=?base64?YW!k?="], [910, "=?base64?YWRk=?="], [911, "=?base64? YWRk ?="]] as const) {
      assertError(await client.rpc("tools/call", add, { id, headers: { "mcp-name": broken } }), 400, -32020, id);
    }
    // A non-ASCII URI travels in the sentinel.
    const cafe = assertComplete(await customClient.rpc("resources/read", { uri: "test://caf\u00e9" }, { id: 912 }), 912, { name: "custom", version: "2.0.0" });
    assert.equal(cafe.contents[0].text, "du café");
  });

  it("§10.10 an x-mcp-header argument without its header or with another value answers 400 -32020; null or absent needs none", async () => {
    const call = (id: number, args: Message, headers: Record<string, string | undefined>) =>
      client.call("test_custom_header", args, { id, headers });
    assertError(await call(200, { region: "Hello" }, {}), 400, -32020, 200);
    assertError(await call(201, { region: "Hello" }, { "mcp-param-region": "World" }), 400, -32020, 201);
    assertError(await call(202, { region: "Hello" }, { "mcp-param-region": "hello" }), 400, -32020, 202);
    const ok = assertComplete(await call(203, { region: "Hello" }, { "Mcp-Param-Region": "Hello" }), 203);
    assert.deepEqual(ok.content, [{ type: "text", text: "region=Hello" }]);
    // Conformance http-custom-header-server-validation, cases 200–205.
    assertComplete(await call(204, { region: "Hello" }, { "mcp-param-region": "=?base64?SGVsbG8=?=" }), 204);
    assertError(await call(205, { region: "Hello" }, { "mcp-param-region": "=?base64?SGVsbG8?=" }), 400, -32020, 205);
    assertError(await call(206, { region: "Hello" }, { "mcp-param-region": "=?base64?SGVs!!!bG8=?=" }), 400, -32020, 206);
    assertComplete(await call(207, { region: "SGVsbG8=" }, { "mcp-param-region": "SGVsbG8=" }), 207);
    assertComplete(await call(208, { region: "=?base64?SGVsbG8=" }, { "mcp-param-region": "=?base64?SGVsbG8=" }), 208);
    assertError(await call(209, { region: "test-value" }, {}), 400, -32020, 209);

    // Null and absent arguments need no header; integers compare as numbers, booleans as true/false.
    const info = { name: "custom", version: "2.0.0" };
    const params = (id: number, args: Message, headers: Record<string, string | undefined> = {}) =>
      customClient.call("params", args, { id, headers });
    assert.equal(assertComplete(await params(210, {}), 210, info).content[0].text, "{}");
    assert.equal(assertComplete(await params(211, { s: null }), 211, info).content[0].text, '{"s":null}');
    assertComplete(await params(212, { n: 42 }, { "mcp-param-n": "42" }), 212, info);
    assertComplete(await params(213, { n: 42 }, { "mcp-param-n": "042" }), 213, info);
    assertError(await params(214, { n: 42 }, { "mcp-param-n": "43" }), 400, -32020, 214);
    assertError(await params(215, { n: 42 }, {}), 400, -32020, 215);
    assertComplete(await params(216, { b: true }, { "mcp-param-b": "true" }), 216, info);
    assertComplete(await params(217, { b: false }, { "mcp-param-b": "false" }), 217, info);
    assertError(await params(218, { b: true }, { "mcp-param-b": "True" }), 400, -32020, 218);
    assertError(await params(219, { b: false }, { "mcp-param-b": "0" }), 400, -32020, 219);
    assertComplete(await params(220, { s: "Zürich " }, { "mcp-param-s": "=?base64?WsO8cmljaCA=?=" }), 220, info);
    assertError(await params(221, { s: "Zürich " }, { "mcp-param-s": "Zurich" }), 400, -32020, 221);
  });

  it("§10.11 enveloped initialize, ping, logging/setLevel, resources/(un)subscribe and unknown methods answer 404 -32601, id echoed", async () => {
    const removed = ["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "unknown/method", "tasks/list", "elicitation/create"];
    for (const method of removed) {
      const params = method.startsWith("resources/") ? { uri: "test://static-text" } : {};
      const reply = await client.rpc(method, params, { id: `id-${method}` });
      assertError(reply, 404, -32601, `id-${method}`);
    }
  });

  it("§10.12 prompts/list (and prompts/get, completion/complete) without the server capability answer 404 -32601", async () => {
    const discover = assertComplete(await customClient.rpc("server/discover", {}, { id: 1 }), 1, { name: "custom", version: "2.0.0" });
    assert.equal(discover.capabilities.prompts, undefined);
    assert.equal(discover.capabilities.completions, undefined);
    assertError(await customClient.rpc("prompts/list", {}, { id: 203 }), 404, -32601, 203);
    assertError(await customClient.rpc("prompts/get", { name: "x" }, { id: 204 }), 404, -32601, 204);
    const complete = { ref: { type: "ref/prompt", name: "x" }, argument: { name: "a", value: "" } };
    assertError(await customClient.rpc("completion/complete", complete, { id: 205 }), 404, -32601, 205);
  });

  it("§10.13 every result has resultType; the six cacheable ones carry ttlMs and cacheScope; input_required carries neither", async () => {
    const cacheable: [string, Message][] = [
      ["server/discover", {}],
      ["tools/list", {}],
      ["prompts/list", {}],
      ["resources/list", {}],
      ["resources/templates/list", {}],
      ["resources/read", { uri: "test://static-text" }],
    ];
    for (const [method, params] of cacheable) {
      const result = assertComplete(await client.rpc(method, params, { id: method }), method);
      assert.ok(Number.isInteger(result.ttlMs) && result.ttlMs >= 0, `${method} ttlMs`);
      assert.ok(result.cacheScope === "public" || result.cacheScope === "private", `${method} cacheScope`);
    }
    const others: [string, Message][] = [
      ["tools/call", { name: "test_simple_text" }],
      ["prompts/get", { name: "test_simple_prompt" }],
      ["completion/complete", { ref: { type: "ref/prompt", name: "test_prompt_with_arguments" }, argument: { name: "arg1", value: "te" } }],
    ];
    for (const [method, params] of others) assertComplete(await client.rpc(method, params, { id: method }), method);

    const asked = await client.call("test_input_required_result_elicitation", {}, { id: 1300, capabilities: ALL_CAPS });
    assert.equal(asked.status, 200);
    const result = asked.response!.result;
    assert.equal(result.resultType, "input_required");
    assert.equal("ttlMs" in result, false);
    assert.equal("cacheScope" in result, false);
  });

  it("§10.14 an unknown tool answers -32602 (HTTP 200); a throwing tool answers an isError result", async () => {
    const unknown = await client.call("no_such_tool", {}, { id: 1400 });
    assertError(unknown, 200, -32602, 1400);
    const failing = assertComplete(await client.call("test_error_handling", {}, { id: 1401 }), 1401);
    assert.equal(failing.isError, true);
    assert.deepEqual(failing.content, [{ type: "text", text: "This tool intentionally returns an error for testing" }]);
  });

  it("§10.15 a missing resource answers -32602 with data.uri in 2026-07-28 and -32002 in a legacy session, never empty contents", async () => {
    const uri = "test://nonexistent-resource-for-conformance-testing";
    const modern = await client.rpc("resources/read", { uri }, { id: 1500 });
    const error = assertError(modern, 200, -32602, 1500);
    assert.deepEqual(error.data, { uri });

    const legacy = new StreamableClient(base);
    await legacy.initialize();
    try {
      const res = await legacy.request("resources/read", { uri });
      assert.equal(res.status, 200);
      const body = await res.json() as Message;
      assert.equal(body.result, undefined);
      assert.equal(body.error.code, -32002);
      assert.deepEqual(body.error.data, { uri });
    } finally {
      await (await legacy.delete()).body?.cancel();
    }
  });

  it("§10.16 MRTR: the first call answers input_required; a retry with a new id, inputResponses and requestState completes", async () => {
    const first = await client.call("test_input_required_result_request_state", {}, { id: 1600, capabilities: ALL_CAPS });
    assert.equal(first.status, 200);
    const asked = first.response!.result;
    assert.equal(asked.resultType, "input_required");
    assert.equal(asked.inputRequests.confirm.method, "elicitation/create");
    assert.equal(typeof asked.requestState, "string");
    const retry = await client.call("test_input_required_result_request_state", {}, { id: 1601, capabilities: ALL_CAPS }, {
      inputResponses: { confirm: { action: "accept", content: { ok: true } } },
      requestState: asked.requestState,
    });
    assert.deepEqual(assertComplete(retry, 1601).content, [{ type: "text", text: "state-ok: accept" }]);
  });

  it("§10.17 a tampered requestState gets an error; a missing key gets input_required again; extra keys are ignored", async () => {
    const name = "test_input_required_result_tampered_state";
    const first = await client.call(name, {}, { id: 1700, capabilities: ALL_CAPS });
    const state = first.response!.result.requestState as string;
    const answer = { confirm: { action: "accept", content: { ok: true } } };
    const tampered = await client.call(name, {}, { id: 1701, capabilities: ALL_CAPS }, { inputResponses: answer, requestState: `${state}-TAMPERED` });
    assertError(tampered, 400, -32602, 1701);

    const missing = await client.call("test_input_required_result_elicitation", {}, { id: 1702, capabilities: ALL_CAPS }, {
      inputResponses: { wrong_key: { action: "accept", content: { data: "wrong" } } },
    });
    assert.equal(missing.status, 200);
    assert.equal(missing.response!.result.resultType, "input_required");
    assert.equal(missing.response!.result.inputRequests.user_name.method, "elicitation/create");

    const extra = await client.call("test_input_required_result_elicitation", {}, { id: 1703, capabilities: ALL_CAPS }, {
      inputResponses: {
        user_name: { action: "accept", content: { name: "Alice" } },
        unknown_extra_key: { action: "accept", content: { foo: "bar" } },
        another_unexpected: { action: "accept", content: { baz: 123 } },
      },
    });
    assert.deepEqual(assertComplete(extra, 1703).content, [{ type: "text", text: "Hello, Alice!" }]);
  });

  it("§10.18 without elicitation declared no elicitation/create is sent: 400 -32021 naming elicitation", async () => {
    const reply = await client.call("test_streaming_elicitation", {}, { id: 1800, capabilities: { sampling: {} } });
    const error = assertError(reply, 400, -32021, 1800);
    assert.deepEqual(error.data, { requiredCapabilities: { elicitation: {} } });
    assert.ok(!reply.raw.includes('"method":"elicitation/create"'), reply.raw);
    assert.ok(!reply.raw.includes("inputRequests"), reply.raw);
    // And the sampling twin: test_missing_capability with {} (conformance server-stateless, id 401).
    const sampling = await client.call("test_missing_capability", {}, { id: 401, capabilities: {} });
    assert.deepEqual(assertError(sampling, 400, -32021, 401).data, { requiredCapabilities: { sampling: {} } });
    // Only what was declared is asked (conformance capability-check).
    const some = await client.call("test_input_required_result_capabilities", {}, { id: 1801, capabilities: { sampling: {} } });
    assert.equal(some.response!.result.resultType, "input_required");
    assert.deepEqual(Object.keys(some.response!.result.inputRequests), ["greeting"]);
    assert.equal(some.response!.result.inputRequests.greeting.method, "sampling/createMessage");
  });

  it("§10.19 methods other than tools/call, prompts/get and resources/read never answer input_required", async () => {
    const junk = { inputResponses: { user_name: { action: "accept", content: { name: "x" } } }, requestState: "v1.junk.junk" };
    const methods: [string, Message][] = [
      ["server/discover", {}],
      ["tools/list", {}],
      ["prompts/list", {}],
      ["resources/list", {}],
      ["resources/templates/list", {}],
      ["completion/complete", { ref: { type: "ref/prompt", name: "test_prompt_with_arguments" }, argument: { name: "arg1", value: "p" } }],
    ];
    for (const [method, params] of methods) {
      const result = assertComplete(await client.rpc(method, { ...params, ...junk }, { id: method, capabilities: ALL_CAPS }), method);
      assert.notEqual(result.resultType, "input_required");
    }
  });

  it("§10.20 no logLevel means no notifications/message; warning means warning and above only, on that request's stream", async () => {
    const quiet = await client.call("test_logging_tool", {}, { id: 2000 });
    assertComplete(quiet, 2000);
    assert.match(quiet.contentType, /^application\/json/);
    assert.ok(!quiet.raw.includes("notifications/message"));

    const [loud, still] = await Promise.all([
      client.call("test_logging_tool", {}, { id: 2001, meta: { [`${MCP}logLevel`]: "warning" } }),
      client.call("test_logging_tool", {}, { id: 2002 }),
    ]);
    assert.match(loud.contentType, /^text\/event-stream/);
    assert.deepEqual(loud.notifications, [
      { jsonrpc: "2.0", method: "notifications/message", params: { level: "warning", data: "a warning message" } },
      { jsonrpc: "2.0", method: "notifications/message", params: { level: "error", data: "a error message" } },
    ]);
    assertComplete(loud, 2001);
    assert.equal(loud.messages.at(-1), loud.response);
    assert.ok(!still.raw.includes("notifications/message"));

    const all = await client.call("test_logging_tool", {}, { id: 2003, meta: { [`${MCP}logLevel`]: "debug" } });
    assert.deepEqual(all.notifications.map((m) => m.params.level), ["debug", "info", "warning", "error"]);
  });

  it("§10.21 a bad logLevel answers 400 -32602", async () => {
    for (const [id, level] of [[2100, "verbose"], [2101, "WARNING"], [2102, 3]] as const) {
      const reply = await client.call("test_logging_tool", {}, { id, meta: { [`${MCP}logLevel`]: level } });
      assertError(reply, 400, -32602, id);
    }
  });

  it("§10.22 a progressToken gives increasing progress before the response and none after; no token, no progress", async () => {
    const reply = await client.call("test_tool_with_progress", {}, { id: 2200, meta: { progressToken: "progress-test-1" } });
    assert.match(reply.contentType, /^text\/event-stream/);
    assert.equal(reply.headers.get("x-accel-buffering"), "no");
    assert.deepEqual(reply.notifications, [0, 50, 100].map((progress) => ({
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: "progress-test-1", progress, total: 100 },
    })));
    assertComplete(reply, 2200);
    assert.equal(reply.messages.at(-1), reply.response, "nothing follows the response");

    const numeric = await client.call("countdown", { n: 3, delayMs: 0 }, { id: 2201, meta: { progressToken: 7 } });
    const values = numeric.notifications.map((m) => m.params.progress);
    assert.deepEqual(values, [1, 2, 3]);
    assert.ok(numeric.notifications.every((m) => m.params.progressToken === 7 && m.params.total === 3));

    // Progress reported after the answer is dropped.
    const late = await customClient.call("late", {}, { id: 2202, meta: { progressToken: "late" } });
    assert.deepEqual(late.notifications.map((m) => m.params.progress), [1]);
    assert.equal(late.messages.at(-1), late.response);
    await delay(40);

    const none = await client.call("test_tool_with_progress", {}, { id: 2203 });
    assert.match(none.contentType, /^application\/json/);
    assert.ok(!none.raw.includes("notifications/progress"));
    assertComplete(none, 2203);
  });

  it("§10.23 no SSE response carries a JSON-RPC request", async () => {
    const streams: Reply[] = [
      await client.call("test_tool_with_progress", {}, { meta: { progressToken: 1 } }),
      await client.call("test_logging_tool", {}, { meta: { [`${MCP}logLevel`]: "debug" } }),
      await client.call("test_streaming_elicitation", {}, { capabilities: ALL_CAPS, headers: { accept: "text/event-stream" } }),
      await client.call("test_input_required_result_multiple_inputs", {}, { capabilities: ALL_CAPS, headers: { accept: "text/event-stream" } }),
      await customClient.call("ask_after_progress", {}, { capabilities: ALL_CAPS, meta: { progressToken: "p" } }),
    ];
    for (const reply of streams) {
      assert.match(reply.contentType, /^text\/event-stream/, reply.raw);
      assert.ok(reply.messages.length > 0);
      for (const message of reply.messages) assert.ok(!isRequest(message), JSON.stringify(message));
    }
    // The questions travel inside the result instead.
    const asked = streams[4]!;
    assert.equal(asked.notifications[0]!.method, "notifications/progress");
    assert.equal(asked.response!.result.resultType, "input_required");
    assert.equal(asked.response!.result.inputRequests.go_on.method, "elicitation/create");
    assert.equal(streams[2]!.response!.result.inputRequests.q0.method, "elicitation/create");
  });

  it("§10.24 listen: the ack comes first with subscriptionId = the request id, then tools/list_changed with the same id; nothing unrequested; unsupported filters are omitted", async () => {
    const { id, reader } = await client.listen({ toolsListChanged: true }, { id: "listen-24" });
    try {
      assert.deepEqual(await nextMessage(reader), {
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { notifications: { toolsListChanged: true }, _meta: { [SUB]: id } },
      });
      // Unrequested kinds first: a prompts change and a resource update must not reach this stream.
      assertComplete(await client.call("test_trigger_prompt_change", {}, { id: "prompts-24" }), "prompts-24");
      await client.call("touch_watched_resource");
      await client.call("test_trigger_tool_change");
      assert.deepEqual(await nextMessage(reader), {
        jsonrpc: "2.0",
        method: "notifications/tools/list_changed",
        params: { _meta: { [SUB]: id } },
      });
    } finally {
      await reader.cancel();
    }

    // A server without prompts leaves promptsListChanged out of the acknowledgement.
    const other = await customClient.listen({ toolsListChanged: true, promptsListChanged: true }, { id: 24 });
    try {
      const ack = await nextMessage(other.reader);
      assert.deepEqual(ack.params, { notifications: { toolsListChanged: true }, _meta: { [SUB]: 24 } });
    } finally {
      await other.reader.cancel();
    }
  });

  it("§10.25 server shutdown sends an open listen its complete result with subscriptionId, then ends the stream", async () => {
    const closing = createServer({ name: "closing", version: "1.0.0" });
    closing.tool("t", { description: "a tool" }, () => "t");
    await delay(5); // let the registration's own (coalesced) list_changed pass first
    const { url } = await listen(closing);
    const listener = new ModernClient(url);
    const { reader } = await listener.listen({ toolsListChanged: true }, { id: "bye" });
    try {
      assert.equal((await nextMessage(reader)).method, "notifications/subscriptions/acknowledged");
      const closed = closing.close();
      assert.deepEqual(await nextMessage(reader), {
        jsonrpc: "2.0",
        id: "bye",
        result: { resultType: "complete", _meta: { [SUB]: "bye" } },
      });
      assert.equal(await nextEvent(reader), undefined);
      await closed;
    } finally {
      await reader.cancel();
      await closing.close();
    }
  });

  it("§10.26 a client disconnect cancels the handler: the tool's signal aborts", { skip: PENDING_DISCONNECT_UNSEEN }, async () => {
    const abort = new AbortController();
    const pending = customClient.send("tools/call", { name: "slow", arguments: { key: "disconnect-26" } }, { signal: abort.signal })
      .then(async (res) => (await res.body?.cancel(), "answered"), () => "aborted");
    await waitFor(() => started.has("disconnect-26"), "the slow tool to start");
    assert.equal(aborted.has("disconnect-26"), false);
    abort.abort();
    await waitFor(() => aborted.has("disconnect-26"), "the slow tool's signal to abort");
    assert.equal(await pending, "aborted");
  });

  it("§10.27 Mcp-Session-Id on a 2026-07-28 request is ignored and never set; SSE replies have no id: fields", async () => {
    const bogus = await client.rpc("tools/list", {}, { id: 2700, headers: { "mcp-session-id": "no-such-session", "last-event-id": "1_1" } });
    assertComplete(bogus, 2700);
    assert.equal(bogus.headers.get("mcp-session-id"), null);

    const legacy = new StreamableClient(base);
    await legacy.initialize();
    try {
      const real = await client.rpc("tools/list", {}, { id: 2701, headers: { "mcp-session-id": legacy.sessionId } });
      assertComplete(real, 2701);
      assert.equal(real.headers.get("mcp-session-id"), null);
      const discover = await client.rpc("server/discover", {}, { id: 2702 });
      assert.equal(discover.headers.get("mcp-session-id"), null);
    } finally {
      await (await legacy.delete()).body?.cancel();
    }

    const progress = await client.call("test_tool_with_progress", {}, { id: 2703, meta: { progressToken: "ids" } });
    assert.match(progress.contentType, /^text\/event-stream/);
    assert.equal(progress.headers.get("mcp-session-id"), null);
    assert.deepEqual(eventIds(progress.raw), []);
    assert.doesNotMatch(progress.raw, /^id:/m);
    const { reader } = await client.listen({ toolsListChanged: true });
    try {
      await nextMessage(reader);
      await client.call("test_trigger_tool_change");
      await nextMessage(reader);
      assert.doesNotMatch(reader.raw, /^id:/m);
    } finally {
      await reader.cancel();
    }
  });

  it("§10.28 an enveloped notification POST answers 202 with an empty body; a batch with an envelope answers 400 -32600", async () => {
    const note = { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1, _meta: envelope() } };
    const res = await client.post(note, modernHeaders("notifications/cancelled"));
    assert.equal(res.status, 202);
    assert.equal(await res.text(), "");

    const batch = [client.body("tools/list", {}, { id: 1 }), client.body("prompts/list", {}, { id: 2 })];
    const reply = await readReply(await client.post(batch, modernHeaders("tools/list")));
    assertError(reply, 400, -32600, null);
    const mixed = [{ jsonrpc: "2.0", id: 3, method: "ping" }, client.body("tools/list", {}, { id: 4 })];
    assertError(await readReply(await client.post(mixed, modernHeaders("tools/list"))), 400, -32600, null);
  });

  it("§10.29 a bad Origin (or Host) answers 403", async () => {
    const reply = await client.rpc("server/discover", {}, { headers: { origin: "http://evil.example.com" } });
    assert.equal(reply.status, 403);
    const body = JSON.stringify(client.body("server/discover", {}, { id: 1 }));
    const rebinding = await rawRequest(port, "POST", "/mcp", {
      Host: "evil.example.com",
      Origin: "http://evil.example.com",
      "Content-Type": "application/json",
      Accept: BOTH,
      "MCP-Protocol-Version": MODERN,
      "Mcp-Method": "server/discover",
    }, body);
    assert.equal(rebinding.status, 403);
    const valid = await rawRequest(port, "POST", "/mcp", {
      Host: `localhost:${port}`,
      Origin: `http://localhost:${port}`,
      "Content-Type": "application/json",
      Accept: BOTH,
      "MCP-Protocol-Version": MODERN,
      "Mcp-Method": "server/discover",
    }, body);
    assert.equal(valid.status, 200);
  });

  it("§10.30 legacy initialize for 2025-11-25 answers 2025-11-25; an unknown version or 2026-07-28 gets the newest legacy one", async () => {
    for (const [requested, expected] of [["2025-11-25", "2025-11-25"], ["2025-06-18", "2025-06-18"], ["1999-01-01", "2025-11-25"], [MODERN, "2025-11-25"]]) {
      const legacy = new StreamableClient(base);
      const body = await legacy.initialize(requested);
      try {
        assert.equal(body.result.protocolVersion, expected, requested);
        assert.equal(body.result.resultType, undefined);
        assert.equal(typeof legacy.sessionId, "string");
      } finally {
        await (await legacy.delete()).body?.cancel();
      }
    }
  });

  it("§10.31 after a legacy initialize, plain calls, ping and setLevel work; a _meta with only progressToken stays legacy; modern-only mode answers GET and DELETE with 405", async () => {
    const legacy = new StreamableClient(base);
    await legacy.initialize();
    try {
      const call = await (await legacy.call("add", { a: 2, b: 3 })).json() as Message;
      assert.deepEqual(call.result.structuredContent, { sum: 5 });
      assert.equal(call.result.resultType, undefined);
      const ping = await (await legacy.request("ping")).json() as Message;
      assert.deepEqual(ping.result, {});
      const level = await (await legacy.request("logging/setLevel", { level: "warning" })).json() as Message;
      assert.deepEqual(level.result, {});
      // A legacy _meta (progressToken only) is no era claim: progress on the POST stream, no resultType.
      const res = await legacy.call("countdown", { n: 2, delayMs: 0 }, { progressToken: "legacy-token" });
      const reply = await readReply(res);
      assert.deepEqual(reply.notifications.map((m) => [m.method, m.params.progressToken, m.params.progress]), [
        ["notifications/progress", "legacy-token", 1],
        ["notifications/progress", "legacy-token", 2],
      ]);
      assert.equal(reply.response!.result.resultType, undefined);
      assert.deepEqual(reply.response!.result.content, [{ type: "text", text: "Liftoff!" }]);
    } finally {
      await (await legacy.delete()).body?.cancel();
    }
    // Without a session, the same legacy-shaped request is a legacy request without a session.
    const sessionless = await readReply(await client.post(
      { jsonrpc: "2.0", id: 3100, method: "tools/list", params: { _meta: { progressToken: 1 } } },
      { accept: BOTH, "content-type": "application/json" },
    ));
    assert.equal(sessionless.status, 400);
    assert.equal(sessionless.response!.error.code, -32600);

    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(`${modernOnlyBase}/mcp`, { method, headers: { accept: "text/event-stream" } });
      await res.body?.cancel();
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get("allow"), "POST");
    }
  });

  it("§10.32 modern-only mode answers initialize with 400 -32022 naming 2026-07-28 and echoing the requested version", async () => {
    const modern = new ModernClient(modernOnlyBase);
    const init = {
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "old", version: "1" } },
    };
    const reply = await readReply(await modern.post(init, { accept: BOTH, "content-type": "application/json" }));
    const error = assertError(reply, 400, -32022, "init");
    assert.deepEqual(error.data, { supported: [MODERN], requested: "2025-11-25" });
    assert.equal(reply.headers.get("mcp-session-id"), null);
  });
});

describe("errors before streams", () => {
  it("validation errors are plain JSON 400/404 even when the client accepts only text/event-stream", async () => {
    const sse = { accept: "text/event-stream" };
    assertError(await client.rpc("tools/list", {}, { id: "e1", headers: { ...sse, "mcp-method": "prompts/list" } }), 400, -32020, "e1");
    assertError(await client.rpc("ping", {}, { id: "e2", headers: sse }), 404, -32601, "e2");
    assertError(await client.call("test_logging_tool", {}, { id: "e3", headers: sse, meta: { [`${MCP}logLevel`]: "loud" } }), 400, -32602, "e3");
  });

  it("a missing client capability is a plain 400 -32021 for a client that accepts JSON", async () => {
    const reply = await client.call("test_streaming_elicitation", {}, { id: "e4", capabilities: {} });
    assert.deepEqual(assertError(reply, 400, -32021, "e4").data, { requiredCapabilities: { elicitation: {} } });
  });

  it("a client that accepts only text/event-stream gets its stream at once, and a tool's -32021 inside it", async () => {
    // Found only while the tool runs, the error is not a validation error: an SSE-only client is already streaming.
    const reply = await client.call("test_streaming_elicitation", {}, { id: "e5", capabilities: {}, headers: { accept: "text/event-stream" } });
    assert.equal(reply.status, 200);
    assert.match(reply.contentType, /^text\/event-stream/);
    assert.equal(reply.response!.id, "e5");
    assert.equal(reply.response!.error.code, -32021);
    assert.deepEqual(reply.response!.error.data, { requiredCapabilities: { elicitation: {} } });
  });
});

// --- lib/modern_headers.ts ---------------------------------------------------

describe("modern_headers", () => {
  it("decodeHeaderValue() trims and returns plain values as they are", () => {
    assert.equal(decodeHeaderValue("add"), "add");
    assert.equal(decodeHeaderValue("  add  "), "add");
    assert.equal(decodeHeaderValue("\tadd\t"), "add");
    assert.equal(decodeHeaderValue("a b"), "a b");
    assert.equal(decodeHeaderValue(""), "");
  });

  it("decodeHeaderValue() decodes a valid sentinel, padded or not needing padding, to UTF-8", () => {
    assert.equal(decodeHeaderValue("=?base64?SGVsbG8=?="), "Hello");
    assert.equal(decodeHeaderValue("=?base64?YWRk?="), "add");
    assert.equal(decodeHeaderValue("  =?base64?YWRk?=  "), "add");
    assert.equal(decodeHeaderValue("=?base64?SGk=?="), "Hi");
    assert.equal(decodeHeaderValue("=?base64?SA==?="), "H");
    assert.equal(decodeHeaderValue("=?base64?WsO8cmljaA==?="), "Zürich");
    assert.equal(decodeHeaderValue("=?base64?IGFkZCA=?="), " add ");
    assert.equal(decodeHeaderValue("=?base64??="), "");
  });

  it("decodeHeaderValue() refuses a sentinel with bad padding, bad characters or bytes that are not UTF-8", () => {
    for (const bad of [
      "=?base64?SGVsbG8?=", // missing padding
      "=?base64?SGVsbA?=",
      "=?base64?SGVsbG8==?=", // too much
      "=?base64?S===?=",
      "=?base64?SG=VsbG8?=", // padding inside
      "=?base64?SGVs!!!bG8=?=", // invalid characters
      "=?base64?SGVs bG8=?=",
      "=?base64?SGVsbG8-?=", // base64url is not base64
      "=?base64?SGVsbG8_?=",
      "=?base64?/w==?=", // 0xFF: not UTF-8
      "=?base64?wyg=?=", // a broken two-byte sequence
    ]) {
      assert.equal(decodeHeaderValue(bad), undefined, bad);
    }
  });

  it("decodeHeaderValue() takes a value with only the prefix or only the suffix as literal", () => {
    assert.equal(decodeHeaderValue("=?base64?SGVsbG8="), "=?base64?SGVsbG8=");
    assert.equal(decodeHeaderValue("SGVsbG8=?="), "SGVsbG8=?=");
    assert.equal(decodeHeaderValue("SGVsbG8="), "SGVsbG8=");
    assert.equal(decodeHeaderValue("=?BASE64?SGVsbG8=?="), "=?BASE64?SGVsbG8=?=");
    assert.equal(decodeHeaderValue("=?utf-8?B?SGVsbG8=?="), "=?utf-8?B?SGVsbG8=?=");
  });

  it("encodeHeaderValue() keeps plain visible ASCII and wraps everything else; decodeHeaderValue() reverses it", () => {
    assert.equal(encodeHeaderValue("add"), "add");
    assert.equal(encodeHeaderValue("a b"), "a b");
    assert.equal(encodeHeaderValue("test://static-text"), "test://static-text");
    assert.equal(encodeHeaderValue(" add"), "=?base64?IGFkZA==?=");
    assert.equal(encodeHeaderValue("add "), "=?base64?YWRkIA==?=");
    assert.equal(encodeHeaderValue("Zürich"), "=?base64?WsO8cmljaA==?=");
    for (const value of ["add", " add ", "Zürich", "日本語", "emoji 🎉", "tab\there", "new\nline", "\x7f", "", " ", "=?base64?SGVsbG8=?=", "=?base64?x", "a".repeat(500)]) {
      const encoded = encodeHeaderValue(value);
      assert.match(encoded, /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$|^$/, JSON.stringify(value));
      assert.equal(decodeHeaderValue(encoded), value, JSON.stringify(value));
    }
  });

  it("nameOf() names params.name for tools/call and prompts/get, params.uri for resources/read, nothing otherwise", () => {
    assert.equal(nameOf("tools/call", { name: "add" }), "add");
    assert.equal(nameOf("prompts/get", { name: "p" }), "p");
    assert.equal(nameOf("resources/read", { uri: "test://x", name: "n" }), "test://x");
    assert.equal(nameOf("tools/list", { name: "add" }), undefined);
  });

  it("checkMethodHeaders() accepts matching headers and refuses missing, different, case-changed or malformed ones with -32020", () => {
    checkMethodHeaders({ "mcp-method": "tools/list" }, "tools/list", {});
    checkMethodHeaders({ "mcp-method": " tools/call ", "mcp-name": "=?base64?YWRk?=" }, "tools/call", { name: "add" });
    checkMethodHeaders({ "mcp-method": "resources/read", "mcp-name": "test://x" }, "resources/read", { uri: "test://x" });
    assert.throws(() => checkMethodHeaders({}, "tools/list", {}), mismatch);
    assert.throws(() => checkMethodHeaders({ "mcp-method": "TOOLS/LIST" }, "tools/list", {}), mismatch);
    assert.throws(() => checkMethodHeaders({ "mcp-method": "tools/call" }, "tools/call", { name: "add" }), mismatch);
    assert.throws(() => checkMethodHeaders({ "mcp-method": "tools/call", "mcp-name": "sub" }, "tools/call", { name: "add" }), mismatch);
    assert.throws(() => checkMethodHeaders({ "mcp-method": "tools/call", "mcp-name": "=?base64?YWR?=" }, "tools/call", { name: "add" }), mismatch);
    assert.throws(() => checkMethodHeaders({ "mcp-method": "prompts/get", "mcp-name": "a" }, "prompts/get", { name: "b" }), mismatch);
  });

  it("paramHeaders() maps each annotated direct property to its header name", () => {
    const map = paramHeaders({
      type: "object",
      properties: {
        region: { type: "string", "x-mcp-header": "Region" },
        count: { type: "integer", "x-mcp-header": "Count" },
        flag: { type: "boolean", "x-mcp-header": "Flag" },
        plain: { type: "string" },
      },
    });
    assert.deepEqual([...map], [["region", "Region"], ["count", "Count"], ["flag", "Flag"]]);
    assert.deepEqual([...paramHeaders({ type: "object" })], []);
  });

  it("paramHeaders() ignores x-mcp-header on properties that are not string, integer or boolean", () => {
    const map = paramHeaders({
      type: "object",
      properties: {
        o: { type: "object", "x-mcp-header": "O" },
        a: { type: "array", "x-mcp-header": "A" },
        f: { type: "number", "x-mcp-header": "F" },
      },
    });
    assert.deepEqual([...map], []);
  });

  const annotated = new Map([["s", "S"], ["n", "N"], ["b", "B"]]);

  it("checkParamHeaders() compares strings exactly, after trimming and decoding the sentinel", () => {
    checkParamHeaders({ "mcp-param-s": "Hello" }, annotated, { s: "Hello" });
    checkParamHeaders({ "mcp-param-s": "  Hello  " }, annotated, { s: "Hello" });
    checkParamHeaders({ "mcp-param-s": "=?base64?IEhlbGxvIA==?=" }, annotated, { s: " Hello " });
    checkParamHeaders({ "mcp-param-s": "42" }, annotated, { s: "42" });
    assert.throws(() => checkParamHeaders({ "mcp-param-s": "hello" }, annotated, { s: "Hello" }), mismatch);
    assert.throws(() => checkParamHeaders({ "mcp-param-s": "042" }, annotated, { s: "42" }), mismatch);
    assert.throws(() => checkParamHeaders({ "mcp-param-s": "=?base64?SGVsbG8?=" }, annotated, { s: "Hello" }), mismatch);
  });

  it("checkParamHeaders() compares integers numerically: '42', '042' and ' 42 ' match 42", () => {
    checkParamHeaders({ "mcp-param-n": "42" }, annotated, { n: 42 });
    checkParamHeaders({ "mcp-param-n": "042" }, annotated, { n: 42 });
    checkParamHeaders({ "mcp-param-n": " 42 " }, annotated, { n: 42 });
    checkParamHeaders({ "mcp-param-n": "-7" }, annotated, { n: -7 });
    checkParamHeaders({ "mcp-param-n": "0" }, annotated, { n: 0 });
    assert.throws(() => checkParamHeaders({ "mcp-param-n": "43" }, annotated, { n: 42 }), mismatch);
    assert.throws(() => checkParamHeaders({ "mcp-param-n": "" }, annotated, { n: 0 }), mismatch);
    assert.throws(() => checkParamHeaders({ "mcp-param-n": "   " }, annotated, { n: 0 }), mismatch);
    assert.throws(() => checkParamHeaders({ "mcp-param-n": "forty-two" }, annotated, { n: 42 }), mismatch);
  });

  it("checkParamHeaders() refuses integer headers that are not decimal numerals", () => {
    for (const raw of ["0x2A", "0b101010", "0o52", "4.2e1", "42.0", "+42"]) {
      assert.throws(() => checkParamHeaders({ "mcp-param-n": raw }, annotated, { n: 42 }), mismatch, raw);
    }
  });

  it("checkParamHeaders() compares booleans as exactly true/false", () => {
    checkParamHeaders({ "mcp-param-b": "true" }, annotated, { b: true });
    checkParamHeaders({ "mcp-param-b": "false" }, annotated, { b: false });
    checkParamHeaders({ "mcp-param-b": " true " }, annotated, { b: true });
    for (const [raw, value] of [["True", true], ["TRUE", true], ["1", true], ["false", true], ["true", false], ["0", false], ["", false]] as const) {
      assert.throws(() => checkParamHeaders({ "mcp-param-b": raw }, annotated, { b: value }), mismatch, `${raw} vs ${value}`);
    }
  });

  it("checkParamHeaders() needs no header for null or absent arguments, and refuses a missing one with -32020", () => {
    checkParamHeaders({}, annotated, {});
    checkParamHeaders({}, annotated, undefined);
    checkParamHeaders({}, annotated, { s: null, n: null, b: null });
    checkParamHeaders({}, new Map(), { s: "x" });
    assert.throws(() => checkParamHeaders({}, annotated, { s: "x" }), (e: unknown) => mismatch(e) && /Mcp-Param-S is missing/.test((e as Error).message));
    assert.throws(() => checkParamHeaders({}, annotated, { n: 0 }), mismatch);
    assert.throws(() => checkParamHeaders({}, annotated, { b: false }), mismatch);
    assert.throws(() => checkParamHeaders({ "mcp-param-s": "x" }, annotated, { s: "x", n: 1 }), mismatch);
  });
});

// --- request-scoped progress and logging ------------------------------------

describe("progress and logging per request", () => {
  it("progress goes only to the request that carried the token, in order, then the response closes the stream", async () => {
    const [a, b] = await Promise.all([
      client.call("countdown", { n: 3, delayMs: 5 }, { id: "a", meta: { progressToken: "tok-a" } }),
      client.call("countdown", { n: 2, delayMs: 5 }, { id: "b", meta: { progressToken: "tok-b" } }),
    ]);
    assert.deepEqual(a.notifications.map((m) => [m.params.progressToken, m.params.progress, m.params.message]), [
      ["tok-a", 1, "2 to go"],
      ["tok-a", 2, "1 to go"],
      ["tok-a", 3, "0 to go"],
    ]);
    assert.deepEqual(b.notifications.map((m) => [m.params.progressToken, m.params.progress]), [["tok-b", 1], ["tok-b", 2]]);
    assert.deepEqual(assertComplete(a, "a").content, [{ type: "text", text: "Liftoff!" }]);
    assertComplete(b, "b");
  });

  it("a 2026-07-28 request's logs never reach a legacy session's GET stream", async () => {
    const legacy = new StreamableClient(base);
    await legacy.initialize();
    const level = await legacy.request("logging/setLevel", { level: "debug" });
    await level.body?.cancel();
    const get = await legacy.get();
    assert.equal(get.status, 200);
    const reader = new EventReader(get.body!);
    try {
      const logged = await client.call("test_logging_tool", {}, { meta: { [`${MCP}logLevel`]: "debug" } });
      assert.equal(logged.notifications.length, 4);
      await client.call("test_trigger_tool_change");
      // The first thing the legacy stream sees is the list change, not the modern request's logs.
      const first = await nextMessage(reader);
      assert.equal(first.method, "notifications/tools/list_changed");
    } finally {
      await reader.cancel();
      await (await legacy.delete()).body?.cancel();
    }
  });
});

// --- subscriptions/listen ---------------------------------------------------

describe("subscriptions/listen", () => {
  it("a prompts-only filter never gets tools/list_changed", async () => {
    const { id, reader } = await client.listen({ promptsListChanged: true }, { id: 1300 });
    try {
      const ack = await nextMessage(reader);
      assert.deepEqual(ack.params, { notifications: { promptsListChanged: true }, _meta: { [SUB]: id } });
      await client.call("test_trigger_tool_change");
      await client.call("test_trigger_prompt_change");
      const next = await nextMessage(reader);
      assert.deepEqual(next, { jsonrpc: "2.0", method: "notifications/prompts/list_changed", params: { _meta: { [SUB]: 1300 } } });
    } finally {
      await reader.cancel();
    }
  });

  it("resourceSubscriptions gets notifications/resources/updated with the uri and the subscription id", async () => {
    const { reader } = await client.listen({ resourceSubscriptions: ["test://watched-resource"] }, { id: "watch" });
    try {
      const ack = await nextMessage(reader);
      assert.deepEqual(ack.params, { notifications: { resourceSubscriptions: ["test://watched-resource"] }, _meta: { [SUB]: "watch" } });
      await client.call("test_trigger_tool_change"); // not asked for
      const touched = await client.call("touch_watched_resource");
      assertComplete(touched, touched.id);
      assert.deepEqual(await nextMessage(reader), {
        jsonrpc: "2.0",
        method: "notifications/resources/updated",
        params: { uri: "test://watched-resource", _meta: { [SUB]: "watch" } },
      });
    } finally {
      await reader.cancel();
    }
  });

  it("several listens run at once, each tagged with its own id", async () => {
    const one = await client.listen({ toolsListChanged: true }, { id: "one" });
    const two = await client.listen({ toolsListChanged: true, resourcesListChanged: true }, { id: "two" });
    try {
      await nextMessage(one.reader);
      assert.deepEqual((await nextMessage(two.reader)).params.notifications, { toolsListChanged: true, resourcesListChanged: true });
      await client.call("test_trigger_tool_change");
      assert.equal((await nextMessage(one.reader)).params._meta[SUB], "one");
      assert.equal((await nextMessage(two.reader)).params._meta[SUB], "two");
    } finally {
      await one.reader.cancel();
      await two.reader.cancel();
    }
  });

  it("a client disconnect unsubscribes: the request's session ends and later changes raise no errors", async () => {
    const before = custom.sessionCount;
    const { reader } = await customClient.listen({ toolsListChanged: true });
    await nextMessage(reader);
    assert.equal(custom.sessionCount, before + 1);
    await reader.cancel();
    await waitFor(() => custom.sessionCount === before, "the listen to end");
    const extra = custom.tool("added_later", { description: "appears after the listen closed" }, () => "x");
    await delay(20);
    extra.remove();
    await delay(20);
    assert.deepEqual(customErrors, []);
  });

  it("listen without notifications answers -32602; without SSE in Accept answers 406", async () => {
    const bad = await client.rpc("subscriptions/listen", {}, { id: "no-filter" });
    assert.equal(bad.response!.id, "no-filter");
    assert.equal(bad.response!.error.code, -32602);
    const json = await client.rpc("subscriptions/listen", { notifications: { toolsListChanged: true } }, {
      id: "json-only",
      headers: { accept: "application/json" },
    });
    assert.equal(json.status, 406);
    assert.equal(json.response!.id, "json-only");
  });
});

// --- both eras on one endpoint ----------------------------------------------

describe("dual era on one endpoint", () => {
  it("add(2, 3) gives the same content and structuredContent over HTTP+SSE, 2025 Streamable HTTP and 2026-07-28", async () => {
    const sse = await LegacyClient.connect(base);
    let viaSse: Message;
    try {
      await sse.initialize({}, "2024-11-05");
      viaSse = (await sse.request("tools/call", { name: "add", arguments: { a: 2, b: 3 } })).response.result;
    } finally {
      await sse.close();
    }
    const streamable = new StreamableClient(base);
    await streamable.initialize();
    let viaStreamable: Message;
    try {
      viaStreamable = ((await (await streamable.call("add", { a: 2, b: 3 })).json()) as Message).result;
    } finally {
      await (await streamable.delete()).body?.cancel();
    }
    const viaModern = assertComplete(await client.call("add", { a: 2, b: 3 }, { id: "add" }), "add");

    const expected = { content: [{ type: "text", text: '{"sum":5}' }], structuredContent: { sum: 5 } };
    assert.deepEqual(viaSse, expected);
    assert.deepEqual(viaStreamable, expected);
    assert.deepEqual({ content: viaModern.content, structuredContent: viaModern.structuredContent }, expected);
    assert.equal(viaModern.isError, undefined);
  });

  it("a legacy session and 2026-07-28 requests interleave on the same server", async () => {
    const legacy = new StreamableClient(base);
    await legacy.initialize();
    try {
      for (let round = 0; round < 3; round++) {
        const [old, modern] = await Promise.all([
          legacy.call("echo", { text: `old ${round}` }).then((r) => r.json() as Promise<Message>),
          client.call("echo", { text: `new ${round}` }, { id: `echo-${round}` }),
        ]);
        assert.deepEqual(old.result, { content: [{ type: "text", text: `old ${round}` }] });
        assert.deepEqual(assertComplete(modern, `echo-${round}`).content, [{ type: "text", text: `new ${round}` }]);
      }
      // The session still works after the modern traffic, and a modern request never joins it.
      const list = await (await legacy.request("tools/list")).json() as Message;
      assert.ok(list.result.tools.some((t: Message) => t.name === "add"));
      assert.equal(list.result.resultType, undefined);
    } finally {
      await (await legacy.delete()).body?.cancel();
    }
  });

  it("a legacy initialize asking for 2026-07-28 gets 2025-11-25, and its session keeps the session-era rules", async () => {
    const legacy = new StreamableClient(base);
    const body = await legacy.initialize(MODERN);
    try {
      assert.equal(body.result.protocolVersion, "2025-11-25");
      assert.deepEqual(body.result.serverInfo.name, "emcee-everything");
      const ping = await (await legacy.request("ping")).json() as Message;
      assert.deepEqual(ping.result, {});
    } finally {
      await (await legacy.delete()).body?.cancel();
    }
  });

  it("a legacy session's tools/list_changed arrives on its GET stream when a 2026-07-28 client triggers a change", async () => {
    const legacy = new StreamableClient(base);
    await legacy.initialize();
    const get = await legacy.get();
    assert.equal(get.status, 200);
    const reader = new EventReader(get.body!);
    try {
      assertComplete(await client.call("test_trigger_tool_change", {}, { id: "trigger" }), "trigger");
      assert.deepEqual(await nextMessage(reader), { jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    } finally {
      await reader.cancel();
      await (await legacy.delete()).body?.cancel();
    }
  });

  it("initialize with a 2026-07-28 header (no envelope) answers 400 -32020", async () => {
    const init = {
      jsonrpc: "2.0",
      id: "init-modern-header",
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } },
    };
    const reply = await readReply(await client.post(init, { ...modernHeaders("initialize") }));
    assertError(reply, 400, -32020, "init-modern-header");
  });

  it("a request with no envelope but a 2026-07-28 header answers 400 -32602", async () => {
    const reply = await readReply(await client.post({ jsonrpc: "2.0", id: "bare", method: "tools/list", params: {} }, modernHeaders("tools/list")));
    assertError(reply, 400, -32602, "bare");
  });

  it("an enveloped initialize answers 404 -32601, never a session", async () => {
    const reply = await client.rpc("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } }, { id: "env-init" });
    assertError(reply, 404, -32601, "env-init");
    assert.equal(reply.headers.get("mcp-session-id"), null);
  });
});

// --- the eras option ----------------------------------------------------------

describe("eras option", () => {
  it("eras: 'modern' serves 2026-07-28 requests", async () => {
    const modern = new ModernClient(modernOnlyBase);
    const result = assertComplete(await modern.call("add", { a: 1, b: 2 }, { id: 1 }), 1, { name: "modern-only", version: "1.0.0" });
    assert.deepEqual(result.content, [{ type: "text", text: "3" }]);
    const discover = assertComplete(await modern.rpc("server/discover", {}, { id: 2 }), 2, { name: "modern-only", version: "1.0.0" });
    assert.deepEqual(discover.supportedVersions, [MODERN]);
  });

  it("eras: 'modern' answers initialize with 400 -32022, supported = ['2026-07-28'], requested echoed", async () => {
    const modern = new ModernClient(modernOnlyBase);
    for (const requested of ["2025-11-25", "2024-11-05", "1999-01-01"]) {
      const reply = await readReply(await modern.post({
        jsonrpc: "2.0",
        id: requested,
        method: "initialize",
        params: { protocolVersion: requested, capabilities: {}, clientInfo: { name: "old", version: "1" } },
      }, { accept: BOTH, "content-type": "application/json" }));
      const error = assertError(reply, 400, -32022, requested);
      assert.deepEqual(error.data.supported, [MODERN]);
      assert.equal(error.data.requested, requested);
    }
  });

  it("eras: 'modern' answers GET and DELETE /mcp with 405, GET /sse and POST /messages with 404", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(`${modernOnlyBase}/mcp`, { method, headers: { accept: "text/event-stream", "mcp-session-id": "x" } });
      await res.body?.cancel();
      assert.equal(res.status, 405, method);
    }
    const sse = await fetch(`${modernOnlyBase}/sse`, { headers: { accept: "text/event-stream" } });
    await sse.body?.cancel();
    assert.equal(sse.status, 404);
    const messages = await fetch(`${modernOnlyBase}/messages?sessionId=x`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    await messages.body?.cancel();
    assert.equal(messages.status, 404);
  });

  it("eras: 'modern' refuses an un-enveloped request with 400 -32602", async () => {
    const modern = new ModernClient(modernOnlyBase);
    const reply = await readReply(await modern.post({ jsonrpc: "2.0", id: 9, method: "tools/list" }, { accept: BOTH, "content-type": "application/json" }));
    assertError(reply, 400, -32602, 9);
  });

  it("eras: 'legacy' answers a 2026-07-28 request with 400 -32022 listing only session-era versions", async () => {
    const modern = new ModernClient(legacyOnlyBase);
    for (const method of ["tools/list", "server/discover"]) {
      const reply = await modern.rpc(method, {}, { id: method });
      const error = assertError(reply, 400, -32022, method);
      assert.deepEqual(error.data.supported, LEGACY);
      assert.ok(!error.data.supported.includes(MODERN));
      assert.equal(error.data.requested, MODERN);
    }
  });

  it("eras: 'legacy' serves initialize and the session era as before", async () => {
    const legacy = new StreamableClient(legacyOnlyBase);
    const body = await legacy.initialize();
    try {
      assert.equal(body.result.protocolVersion, "2025-11-25");
      const call = await (await legacy.call("add", { a: 4, b: 5 })).json() as Message;
      assert.deepEqual(call.result, { content: [{ type: "text", text: "9" }] });
    } finally {
      await (await legacy.delete()).body?.cancel();
    }
    const sse = await LegacyClient.connect(legacyOnlyBase);
    try {
      const init = await sse.initialize();
      assert.equal(init.result.protocolVersion, "2024-11-05");
    } finally {
      await sse.close();
    }
  });
});

// --- cancellation -------------------------------------------------------------

describe("cancellation by disconnect", () => {
  it("aborting the fetch of a 2026-07-28 tools/call aborts the tool's ctx.signal, even mid-stream", async () => {
    const abort = new AbortController();
    const res = await customClient.send("tools/call", { name: "slow", arguments: { key: "stream" } }, {
      signal: abort.signal,
      headers: { accept: "text/event-stream" },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    await waitFor(() => started.has("stream"), "the slow tool to start");
    abort.abort();
    await res.body?.cancel().catch(() => {});
    await waitFor(() => aborted.has("stream"), "the slow tool's signal to abort");
  });
});
