/**
 * Multi-round-trip requests (MRTR, 2026-07-28) end to end over real
 * sockets: `input_required` results, retries with `inputResponses` and
 * `requestState`, and everything a hostile client can do with that state
 * (tamper, replay, move it to another tool, arguments or principal); plus
 * `RequestStates` and `paramsDigest` of lib/mrtr.ts as units.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AuthError, createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { everything } from "../examples/everything.ts";
import { ErrorCode, JsonRpcError } from "../lib/errors.ts";
import { paramsDigest, RequestStates } from "../lib/mrtr.ts";
import type { Message } from "./_client.ts";
import { ALL_CAPS, delay, MCP, ModernClient, readReply } from "./_modern.ts";
import type { Reply, RequestOptions } from "./_modern.ts";
import { listen } from "./_door.ts";

const STATE = /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

/** The elicitation form everything's name questions ask. */
const NAME_FORM = {
  message: "What is your name?",
  requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
};
const CONFIRM_FORM = {
  message: "Please confirm",
  requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
};
const accept = (content: Message) => ({ action: "accept", content });
const MODEL_ANSWER = (text: string) => ({ role: "assistant", content: { type: "text", text }, model: "test-model", stopReason: "endTurn" });
const ROOTS = { roots: [{ uri: "file:///test/root", name: "Test Root" }] };

/** Asserts an input_required result for `id` and returns it. */
function assertAsked(reply: Reply, id: string | number): Message {
  assert.equal(reply.status, 200, reply.raw);
  const response = reply.response!;
  assert.ok(response, reply.raw);
  assert.equal(response.id, id);
  assert.equal(response.error, undefined, reply.raw);
  const result = response.result;
  assert.equal(result.resultType, "input_required");
  assert.equal(typeof result.inputRequests, "object");
  assert.match(result.requestState, STATE);
  // Never cached: no hints on input_required results (2026-07-28 §caching).
  assert.equal("ttlMs" in result, false);
  assert.equal("cacheScope" in result, false);
  return result;
}

/** Asserts a complete result for `id` and returns it. */
function assertDone(reply: Reply, id: string | number): Message {
  assert.equal(reply.status, 200, reply.raw);
  const response = reply.response!;
  assert.ok(response, reply.raw);
  assert.equal(response.id, id);
  assert.equal(response.error, undefined, reply.raw);
  assert.equal(response.result.resultType, "complete");
  return response.result;
}

/** Asserts a JSON error reply for `id` and returns the error. */
function assertRefused(reply: Reply, status: number, code: number, id: string | number): Message {
  assert.equal(reply.status, status, reply.raw);
  assert.match(reply.contentType, /^application\/json/);
  const response = reply.response!;
  assert.ok(response, reply.raw);
  assert.equal(response.id, id);
  assert.equal(response.result, undefined, reply.raw);
  assert.equal(response.error.code, code, reply.raw);
  return response.error;
}

/** Replaces the character at `at` with another base64url character. */
function flip(text: string, at: number): string {
  const c = text[at]!;
  return text.slice(0, at) + (c === "A" ? "B" : "A") + text.slice(at + 1);
}

let srv: McpServer;
let client: ModernClient;

/** Purpose-built: authenticated, with a tool taking arguments, an asking resource, and a URL elicitation. */
let asker: McpServer;
let askerBase: string;
let runs = 0;

/** A client of `asker` speaking as `who`. */
function as(who: string): { call: (name: string, args: Message, options: RequestOptions, extra?: Message) => Promise<Reply & { id: string | number }>; client: ModernClient } {
  const c = new ModernClient(askerBase, ALL_CAPS);
  return {
    client: c,
    call: (name, args, options, extra = {}) =>
      c.call(name, args, { ...options, headers: { authorization: `Bearer ${who}`, ...options.headers } }, extra),
  };
}

before(async () => {
  srv = everything();
  const { url } = await listen(srv);
  client = new ModernClient(url, ALL_CAPS);

  asker = createServer({
    name: "asker",
    version: "1.0.0",
    authenticate: (req) => {
      const token = /^Bearer (\w+)$/.exec(req.headers.authorization ?? "")?.[1];
      if (!token) throw new AuthError("A bearer token is needed");
      return { sub: token };
    },
  });
  asker.tool("delete_branch", {
    description: "Deletes a branch once the user confirms",
    inputSchema: { type: "object", properties: { branch: { type: "string" } }, required: ["branch"] },
  }, async ({ branch }: { branch: string }, ctx) => {
    runs++;
    const { action, content } = await ctx.elicit({
      mode: "form",
      message: `Delete '${branch}'?`,
      requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } },
    }, { key: "confirm" });
    return action === "accept" && content?.ok === true ? `deleted ${branch} for ${(ctx.auth as { sub: string }).sub}` : "nothing deleted";
  });
  asker.tool("url_login", { description: "Sends the user to a page" }, async (_args, ctx) => {
    const { action } = await ctx.elicit({ mode: "url", message: "Log in", url: "https://example.com/login", elicitationId: "login-1" }, { key: "login" });
    return `login ${action}`;
  });
  asker.resource("test://ask", { name: "Asks first", mimeType: "text/plain" }, async (_request, ctx) => {
    const { content } = await ctx.elicit({
      message: "Which flavour?",
      requestedSchema: { type: "object", properties: { flavour: { type: "string" } }, required: ["flavour"] },
    }, { key: "flavour" });
    return `flavour: ${content?.flavour}`;
  });
  ({ url: askerBase } = await listen(asker));
});

after(async () => {
  await Promise.all([srv.close(), asker.close()]);
});

describe("MRTR: first calls ask, retries complete", () => {
  it("test_input_required_result_elicitation asks user_name with a form and completes with the name", async () => {
    const first = assertAsked(await client.call("test_input_required_result_elicitation", {}, { id: 1 }), 1);
    assert.deepEqual(first.inputRequests, { user_name: { method: "elicitation/create", params: NAME_FORM } });
    const retry = await client.call("test_input_required_result_elicitation", {}, { id: 2 }, {
      inputResponses: { user_name: accept({ name: "Alice" }) },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(retry, 2).content, [{ type: "text", text: "Hello, Alice!" }]);
  });

  it("test_input_required_result_sampling asks capital_question and completes with the model's answer", async () => {
    const first = assertAsked(await client.call("test_input_required_result_sampling", {}, { id: "s1" }), "s1");
    assert.deepEqual(first.inputRequests, {
      capital_question: {
        method: "sampling/createMessage",
        params: { messages: [{ role: "user", content: { type: "text", text: "What is the capital of France?" } }], maxTokens: 100 },
      },
    });
    const retry = await client.call("test_input_required_result_sampling", {}, { id: "s2" }, {
      inputResponses: { capital_question: MODEL_ANSWER("The capital of France is Paris.") },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(retry, "s2").content, [{ type: "text", text: "The model said: The capital of France is Paris." }]);
  });

  it("test_input_required_result_list_roots asks client_roots and completes with the roots", async () => {
    const first = assertAsked(await client.call("test_input_required_result_list_roots", {}, { id: 3 }), 3);
    assert.deepEqual(first.inputRequests, { client_roots: { method: "roots/list", params: {} } });
    const retry = await client.call("test_input_required_result_list_roots", {}, { id: 4 }, {
      inputResponses: { client_roots: ROOTS },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(retry, 4).content, [{ type: "text", text: `Roots: ${JSON.stringify(ROOTS.roots)}` }]);
  });

  it("test_input_required_result_request_state asks confirm and completes with the echoed state", async () => {
    const first = assertAsked(await client.call("test_input_required_result_request_state", {}, { id: 5 }), 5);
    assert.deepEqual(first.inputRequests, { confirm: { method: "elicitation/create", params: CONFIRM_FORM } });
    const retry = await client.call("test_input_required_result_request_state", {}, { id: 6 }, {
      inputResponses: { confirm: accept({ ok: true }) },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(retry, 6).content, [{ type: "text", text: "state-ok: accept" }]);
  });

  it("a declined question completes too, saying nothing was done", async () => {
    const first = assertAsked(await client.call("test_input_required_result_elicitation", {}, { id: 7 }), 7);
    const retry = await client.call("test_input_required_result_elicitation", {}, { id: 8 }, {
      inputResponses: { user_name: { action: "decline" } },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(retry, 8).content, [{ type: "text", text: "No name given (decline)" }]);
  });

  it("several questions asked together come in one round, and one retry answers them all", async () => {
    const first = assertAsked(await client.call("test_input_required_result_multiple_inputs", {}, { id: 9 }), 9);
    assert.deepEqual(Object.keys(first.inputRequests).sort(), ["client_roots", "greeting", "user_name"]);
    assert.deepEqual(first.inputRequests.user_name, { method: "elicitation/create", params: NAME_FORM });
    assert.equal(first.inputRequests.greeting.method, "sampling/createMessage");
    assert.equal(first.inputRequests.greeting.params.maxTokens, 50);
    assert.deepEqual(first.inputRequests.client_roots, { method: "roots/list", params: {} });
    const retry = await client.call("test_input_required_result_multiple_inputs", {}, { id: 10 }, {
      inputResponses: { user_name: accept({ name: "Alice" }), greeting: MODEL_ANSWER("Hello there!"), client_roots: ROOTS },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(retry, 10).content, [{ type: "text", text: 'name={"name":"Alice"}, model=test-model, roots=1' }]);
  });

  it("a partial answer to several questions asks only the rest, keeping what was answered", async () => {
    const first = assertAsked(await client.call("test_input_required_result_multiple_inputs", {}, { id: 11 }), 11);
    const second = assertAsked(await client.call("test_input_required_result_multiple_inputs", {}, { id: 12 }, {
      inputResponses: { user_name: accept({ name: "Bob" }) },
      requestState: first.requestState,
    }), 12);
    assert.deepEqual(Object.keys(second.inputRequests).sort(), ["client_roots", "greeting"]);
    assert.notEqual(second.requestState, first.requestState);
    const third = await client.call("test_input_required_result_multiple_inputs", {}, { id: 13 }, {
      inputResponses: { greeting: MODEL_ANSWER("Hi"), client_roots: { roots: [] } },
      requestState: second.requestState,
    });
    assert.deepEqual(assertDone(third, 13).content, [{ type: "text", text: 'name={"name":"Bob"}, model=test-model, roots=0' }]);
  });

  it("three rounds: step1, then step2 with a new state, then complete", async () => {
    const r1 = assertAsked(await client.call("test_input_required_result_multi_round", {}, { id: "r1" }), "r1");
    assert.deepEqual(Object.keys(r1.inputRequests), ["step1"]);
    assert.equal(r1.inputRequests.step1.params.message, "Step 1: What is your name?");
    const r2 = assertAsked(await client.call("test_input_required_result_multi_round", {}, { id: "r2" }, {
      inputResponses: { step1: accept({ name: "Alice" }) },
      requestState: r1.requestState,
    }), "r2");
    assert.deepEqual(Object.keys(r2.inputRequests), ["step2"]);
    assert.equal(r2.inputRequests.step2.params.message, "Step 2: What is your favorite color?");
    assert.notEqual(r2.requestState, r1.requestState);
    const r3 = await client.call("test_input_required_result_multi_round", {}, { id: "r3" }, {
      inputResponses: { step2: accept({ color: "blue" }) },
      requestState: r2.requestState,
    });
    assert.deepEqual(assertDone(r3, "r3").content, [{ type: "text", text: "Alice likes blue" }]);
  });

  it("prompts/get can ask too (test_input_required_result_prompt)", async () => {
    const first = assertAsked(await client.rpc("prompts/get", { name: "test_input_required_result_prompt" }, { id: "p1" }), "p1");
    assert.deepEqual(Object.keys(first.inputRequests), ["user_context"]);
    assert.equal(first.inputRequests.user_context.method, "elicitation/create");
    assert.equal(first.inputRequests.user_context.params.message, "What context should the prompt use?");
    const retry = await client.rpc("prompts/get", {
      name: "test_input_required_result_prompt",
      inputResponses: { user_context: accept({ context: "test context" }) },
      requestState: first.requestState,
    }, { id: "p2" });
    const result = assertDone(retry, "p2");
    assert.deepEqual(result.messages, [{ role: "user", content: { type: "text", text: "Use this context: test context" } }]);
    assert.equal(result.description, "A prompt that asks the user for context first (MRTR on prompts/get)");
  });

  it("resources/read can ask too, and only its complete result carries cache hints", async () => {
    const alice = as("alice");
    const first = assertAsked(await alice.client.rpc("resources/read", { uri: "test://ask" }, { id: "rr1", headers: { authorization: "Bearer alice" } }), "rr1");
    assert.deepEqual(Object.keys(first.inputRequests), ["flavour"]);
    const retry = await alice.client.rpc("resources/read", {
      uri: "test://ask",
      inputResponses: { flavour: accept({ flavour: "vanilla" }) },
      requestState: first.requestState,
    }, { id: "rr2", headers: { authorization: "Bearer alice" } });
    const result = assertDone(retry, "rr2");
    assert.deepEqual(result.contents, [{ uri: "test://ask", mimeType: "text/plain", text: "flavour: vanilla" }]);
    assert.equal(result.ttlMs, 0);
    assert.equal(result.cacheScope, "private");
  });

  it("input_required results carry serverInfo in _meta like every other result", async () => {
    const first = await client.call("test_input_required_result_elicitation", {}, { id: "info" });
    assert.deepEqual(first.response!.result._meta, { [`${MCP}serverInfo`]: { name: "emcee-everything", version: "1.0.0" } });
  });
});

describe("MRTR: incomplete and malformed answers", () => {
  it("a missing answer key gets input_required again, with a fresh state", async () => {
    const stateless = assertAsked(await client.call("test_input_required_result_elicitation", {}, { id: 20 }, {
      inputResponses: { wrong_key: accept({ data: "wrong" }) },
    }), 20);
    assert.deepEqual(Object.keys(stateless.inputRequests), ["user_name"]);

    const first = assertAsked(await client.call("test_input_required_result_request_state", {}, { id: 21 }), 21);
    const again = assertAsked(await client.call("test_input_required_result_request_state", {}, { id: 22 }, {
      inputResponses: { not_confirm: accept({ ok: true }) },
      requestState: first.requestState,
    }), 22);
    assert.deepEqual(again.inputRequests, first.inputRequests);
    assert.notEqual(again.requestState, first.requestState);
    const done = await client.call("test_input_required_result_request_state", {}, { id: 23 }, {
      inputResponses: { confirm: accept({ ok: true }) },
      requestState: again.requestState,
    });
    assert.deepEqual(assertDone(done, 23).content, [{ type: "text", text: "state-ok: accept" }]);
  });

  it("inputResponses null or absent asks again", async () => {
    assertAsked(await client.call("test_input_required_result_elicitation", {}, { id: 24 }, { inputResponses: null }), 24);
    assertAsked(await client.call("test_input_required_result_elicitation", {}, { id: 25 }, { inputResponses: [] }), 25);
  });

  it("extra answer keys are ignored", async () => {
    const first = assertAsked(await client.call("test_input_required_result_request_state", {}, { id: 26 }), 26);
    const retry = await client.call("test_input_required_result_request_state", {}, { id: 27 }, {
      inputResponses: { confirm: accept({ ok: true }), unknown_extra_key: accept({ foo: "bar" }), another_unexpected: { baz: 123 } },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(retry, 27).content, [{ type: "text", text: "state-ok: accept" }]);
    const stateless = await client.call("test_input_required_result_elicitation", {}, { id: 28 }, {
      inputResponses: { user_name: accept({ name: "Alice" }), unknown_extra_key: accept({ foo: "bar" }) },
    });
    assert.deepEqual(assertDone(stateless, 28).content, [{ type: "text", text: "Hello, Alice!" }]);
  });

  it("an answer of the wrong shape answers -32602", async () => {
    const cases: [string, Message][] = [
      ["test_input_required_result_elicitation", { user_name: 12345 }],
      ["test_input_required_result_elicitation", { user_name: { action: "maybe" } }],
      ["test_input_required_result_elicitation", { user_name: { action: "accept", content: "Alice" } }],
      ["test_input_required_result_sampling", { capital_question: { role: "assistant", content: { type: "text", text: "Paris" } } }],
      ["test_input_required_result_list_roots", { client_roots: { roots: "file:///" } }],
    ];
    let id = 30;
    for (const [name, inputResponses] of cases) {
      const reply = await client.call(name, {}, { id }, { inputResponses });
      const error = assertRefused(reply, 200, -32602, id);
      assert.match(error.message, /inputResponses/);
      id++;
    }
  });

  it("a tool that elicits, called without the elicitation capability, answers 400 -32021 naming elicitation", async () => {
    const reply = await client.call("test_input_required_result_elicitation", {}, { id: 40, capabilities: { sampling: {} } });
    const error = assertRefused(reply, 400, -32021, 40);
    assert.deepEqual(error.data, { requiredCapabilities: { elicitation: {} } });
    const sampling = await client.call("test_input_required_result_sampling", {}, { id: 41, capabilities: { elicitation: {} } });
    assert.deepEqual(assertRefused(sampling, 400, -32021, 41).data, { requiredCapabilities: { sampling: {} } });
    const roots = await client.call("test_input_required_result_list_roots", {}, { id: 42, capabilities: {} });
    assert.deepEqual(assertRefused(roots, 400, -32021, 42).data, { requiredCapabilities: { roots: {} } });
    const prompt = await client.rpc("prompts/get", { name: "test_input_required_result_prompt" }, { id: 43, capabilities: {} });
    assert.deepEqual(assertRefused(prompt, 400, -32021, 43).data, { requiredCapabilities: { elicitation: {} } });
  });

  it("a URL elicitation needs elicitation.url: form-only clients get 400 -32021, url clients get the question", async () => {
    const alice = as("alice");
    const form = await alice.call("url_login", {}, { id: 44, capabilities: { elicitation: {} } });
    assert.deepEqual(assertRefused(form, 400, -32021, 44).data, { requiredCapabilities: { elicitation: { url: {} } } });
    const url = assertAsked(await alice.call("url_login", {}, { id: 45, capabilities: { elicitation: { url: {} } } }), 45);
    assert.equal(url.inputRequests.login.method, "elicitation/create");
    assert.equal(url.inputRequests.login.params.mode, "url");
    assert.equal(url.inputRequests.login.params.url, "https://example.com/login");
  });

  it("methods other than tools/call, prompts/get and resources/read never answer input_required, whatever they carry", async () => {
    const junk = { inputResponses: { user_name: accept({ name: "x" }) }, requestState: "v1.junk.junk" };
    for (const method of ["server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list"]) {
      const reply = await client.rpc(method, junk, { id: method });
      assert.equal(assertDone(reply, method).resultType, "complete");
    }
    const plain = await client.rpc("prompts/get", { name: "test_simple_prompt" }, { id: "plain" });
    assert.equal(assertDone(plain, "plain").resultType, "complete");
  });
});

describe("MRTR: requestState is hostile input", () => {
  /** A fresh state of test_input_required_result_request_state. */
  async function fresh(id: string): Promise<string> {
    return assertAsked(await client.call("test_input_required_result_request_state", {}, { id }), id).requestState;
  }
  const answer = { confirm: accept({ ok: true }) };
  const retry = (id: string, requestState: unknown, name = "test_input_required_result_request_state", args: Message = {}) =>
    client.call(name, args, { id }, { inputResponses: answer, requestState });

  it("requestState has the form v1.<payload>.<mac>", async () => {
    const state = await fresh("form");
    assert.match(state, STATE);
    const [, payload] = state.split(".");
    assert.doesNotThrow(() => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload!.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)))));
  });

  it("a flipped payload character, a flipped mac character, appended junk or a suffix answers 400 -32602; the genuine state still works after", async () => {
    const state = await fresh("t0");
    const [version, payload, mac] = state.split(".") as [string, string, string];
    const forged = [
      `${version}.${flip(payload, 0)}.${mac}`,
      `${version}.${flip(payload, Math.floor(payload.length / 2))}.${mac}`,
      `${version}.${payload}.${flip(mac, 0)}`,
      `${version}.${payload}.${flip(mac, mac.length - 1)}`,
      `${state}junk`,
      `${state}-TAMPERED`,
      `v2.${payload}.${mac}`,
      `${version}.${payload}`,
      `${version}..${mac}`,
      "",
      "v1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ];
    let n = 1;
    for (const bad of forged) {
      const error = assertRefused(await retry(`t${n}`, bad), 400, -32602, `t${n}`);
      assert.match(error.message, /requestState/, bad);
      n++;
    }
    for (const bad of [42, null, { state }, [state]]) {
      assertRefused(await retry(`t${n}`, bad), 400, -32602, `t${n}`);
      n++;
    }
    assert.deepEqual(assertDone(await retry("genuine", state), "genuine").content, [{ type: "text", text: "state-ok: accept" }]);
  });

  it("a state with an extra dot-separated segment appended is refused with 400 -32602", async () => {
    const state = await fresh("dot0");
    const error = assertRefused(await retry("dot1", `${state}.junk`), 400, -32602, "dot1");
    assert.match(error.message, /requestState/);
  });

  it("a replayed state is refused the second time", async () => {
    const state = await fresh("replay0");
    assertDone(await retry("replay1", state), "replay1");
    const error = assertRefused(await retry("replay2", state), 400, -32602, "replay2");
    assert.match(error.message, /already used/);
    // Also when the first use only asked again.
    const other = await fresh("replay3");
    assertAsked(await client.call("test_input_required_result_request_state", {}, { id: "replay4" }, { requestState: other }), "replay4");
    assertRefused(await retry("replay5", other), 400, -32602, "replay5");
  });

  it("two retries racing with one state: exactly one is served", async () => {
    const state = await fresh("race0");
    const replies = await Promise.all([retry("race1", state), retry("race2", state)]);
    const served = replies.filter((r) => r.status === 200 && r.response?.result?.resultType === "complete");
    const refused = replies.filter((r) => r.status === 400 && r.response?.error?.code === -32602);
    assert.equal(served.length, 1);
    assert.equal(refused.length, 1);
  });

  it("a state from one tool presented for another tool is refused", async () => {
    const state = await fresh("x0");
    const reply = await client.call("test_input_required_result_tampered_state", {}, { id: "x1" }, { inputResponses: answer, requestState: state });
    const error = assertRefused(reply, 400, -32602, "x1");
    assert.match(error.message, /different request/);
    // Nor from prompts/get to tools/call.
    const prompt = assertAsked(await client.rpc("prompts/get", { name: "test_input_required_result_prompt" }, { id: "x2" }), "x2");
    assertRefused(await client.call("test_input_required_result_elicitation", {}, { id: "x3" }, {
      inputResponses: { user_name: accept({ name: "A" }) },
      requestState: prompt.requestState,
    }), 400, -32602, "x3");
  });

  it("a state presented with different arguments is refused", async () => {
    const alice = as("alice");
    const first = assertAsked(await alice.call("delete_branch", { branch: "old" }, { id: "a1" }), "a1");
    assert.deepEqual(first.inputRequests, {
      confirm: {
        method: "elicitation/create",
        params: { mode: "form", message: "Delete 'old'?", requestedSchema: { type: "object", properties: { ok: { type: "boolean" } } } },
      },
    });
    const moved = await alice.call("delete_branch", { branch: "main" }, { id: "a2" }, {
      inputResponses: { confirm: accept({ ok: true }) },
      requestState: first.requestState,
    });
    assert.match(assertRefused(moved, 400, -32602, "a2").message, /different request/);
    const same = await alice.call("delete_branch", { branch: "old" }, { id: "a3" }, {
      inputResponses: { confirm: accept({ ok: true }) },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(same, "a3").content, [{ type: "text", text: "deleted old for alice" }]);
  });

  it("a state sealed for principal A is refused when principal B presents it", async () => {
    const alice = as("alice");
    const bob = as("bob");
    const first = assertAsked(await alice.call("delete_branch", { branch: "feature" }, { id: "p1" }), "p1");
    const stolen = await bob.call("delete_branch", { branch: "feature" }, { id: "p2" }, {
      inputResponses: { confirm: accept({ ok: true }) },
      requestState: first.requestState,
    });
    assert.match(assertRefused(stolen, 400, -32602, "p2").message, /someone else/);
    const own = await alice.call("delete_branch", { branch: "feature" }, { id: "p3" }, {
      inputResponses: { confirm: accept({ ok: true }) },
      requestState: first.requestState,
    });
    assert.deepEqual(assertDone(own, "p3").content, [{ type: "text", text: "deleted feature for alice" }]);
    const anonymous = await alice.client.call("delete_branch", { branch: "feature" }, { id: "p4" });
    assert.equal(anonymous.status, 401);
  });

  it("a state from another server (another secret) is refused", async () => {
    const other = everything();
    const { url } = await listen(other);
    try {
      const state = await fresh("o0");
      const reply = await new ModernClient(url, ALL_CAPS).call("test_input_required_result_request_state", {}, { id: "o1" }, {
        inputResponses: answer,
        requestState: state,
      });
      assert.match(assertRefused(reply, 400, -32602, "o1").message, /signature/);
    } finally {
      await other.close();
    }
  });

  it("servers sharing stateSecret accept each other's states", async () => {
    const make = async () => {
      const s = createServer({ name: "twin", version: "1.0.0", stateSecret: "a shared secret of enough length" });
      s.tool("ask", { description: "asks" }, async (_args, ctx) => (await ctx.elicit(NAME_FORM, { key: "n" })).content?.name as string);
      const { url } = await listen(s);
      return { s, c: new ModernClient(url, ALL_CAPS) };
    };
    const a = await make();
    const b = await make();
    try {
      const first = assertAsked(await a.c.call("ask", {}, { id: 1 }), 1);
      const done = await b.c.call("ask", {}, { id: 2 }, { inputResponses: { n: accept({ name: "Zoë" }) }, requestState: first.requestState });
      assert.deepEqual(assertDone(done, 2).content, [{ type: "text", text: "Zoë" }]);
    } finally {
      await Promise.all([a.s.close(), b.s.close()]);
    }
  });

  it("each retry runs the tool again from the top", async () => {
    const alice = as("alice");
    const before = runs;
    const first = assertAsked(await alice.call("delete_branch", { branch: "rerun" }, { id: "rerun1" }), "rerun1");
    await alice.call("delete_branch", { branch: "rerun" }, { id: "rerun2" }, {
      inputResponses: { confirm: { action: "decline" } },
      requestState: first.requestState,
    });
    assert.equal(runs - before, 2);
  });

  it("a tampered state with Accept: text/event-stream only is still refused with 400 -32602 before any stream", {
  }, async () => {
    const state = await fresh("sse0");
    const res = await client.send("tools/call", {
      name: "test_input_required_result_request_state",
      arguments: {},
      inputResponses: answer,
      requestState: `${state}-TAMPERED`,
    }, { id: "sse1", headers: { accept: "text/event-stream" } });
    const reply = await readReply(res, 1000);
    assertRefused(reply, 400, -32602, "sse1");
  });
});

describe("RequestStates and paramsDigest (lib/mrtr.ts)", () => {
  const SECRET = "0123456789abcdef0123";
  const refused = (why: RegExp) => (error: unknown) =>
    error instanceof JsonRpcError && error.code === ErrorCode.InvalidParams && why.test(error.message);

  it("RequestStates() refuses a secret shorter than 16 bytes", () => {
    assert.throws(() => new RequestStates("short"), RangeError);
    assert.throws(() => new RequestStates(new Uint8Array(15)), RangeError);
    assert.doesNotThrow(() => new RequestStates(new Uint8Array(16)));
    assert.doesNotThrow(() => new RequestStates());
  });

  it("seal() makes v1.<payload>.<mac>; open() returns the answers and questions once", async () => {
    const states = new RequestStates(SECRET);
    const token = await states.seal("tools/call", "digest", "alice", { q0: { action: "accept" } }, [["q0", "elicitation/create"], ["q1", "roots/list"]]);
    assert.match(token, STATE);
    const state = await states.open(token, "tools/call", "digest", "alice");
    assert.deepEqual(state.a, { q0: { action: "accept" } });
    assert.deepEqual(state.k, [["q0", "elicitation/create"], ["q1", "roots/list"]]);
    await assert.rejects(states.open(token, "tools/call", "digest", "alice"), refused(/already used/));
  });

  it("a token is HMAC-SHA256 of its payload under the secret, base64url: the same v1 format on every runtime", async () => {
    const states = new RequestStates(SECRET);
    const token = await states.seal("tools/call", "d", undefined, { q0: { text: "ü".repeat(40_000) } }, [["q0", "elicitation/create"]]);
    const [, payload, mac] = token.split(".") as [string, string, string];
    const { createHmac } = await import("node:crypto");
    assert.equal(mac, createHmac("sha256", SECRET).update(payload).digest("base64url"));
    const state = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    assert.equal(state.a.q0.text, "ü".repeat(40_000), "a large answer survives the round trip");
  });

  it("seal() never makes the same token twice", async () => {
    const states = new RequestStates(SECRET);
    const a = await states.seal("tools/call", "d", undefined, {}, []);
    const b = await states.seal("tools/call", "d", undefined, {}, []);
    assert.notEqual(a, b);
  });

  it("open() refuses an expired state", async () => {
    const states = new RequestStates(SECRET, 1);
    const token = await states.seal("tools/call", "d", undefined, {}, []);
    await delay(5);
    await assert.rejects(states.open(token, "tools/call", "d", undefined), refused(/expired/));
  });

  it("open() refuses another method, digest or principal, and a state without one presented with one", async () => {
    const states = new RequestStates(SECRET);
    const seal = (principal?: string) => states.seal("tools/call", "d", principal, {}, []);
    await assert.rejects(states.open(await seal(), "prompts/get", "d", undefined), refused(/different request/));
    await assert.rejects(states.open(await seal(), "tools/call", "e", undefined), refused(/different request/));
    await assert.rejects(states.open(await seal("alice"), "tools/call", "d", "bob"), refused(/someone else/));
    await assert.rejects(states.open(await seal("alice"), "tools/call", "d", undefined), refused(/someone else/));
    await assert.rejects(states.open(await seal(), "tools/call", "d", "alice"), refused(/someone else/));
  });

  it("open() refuses a state sealed under another secret, and tokens that are not states", async () => {
    const token = await new RequestStates(SECRET).seal("tools/call", "d", undefined, {}, []);
    await assert.rejects(new RequestStates("another secret of 16+").open(token, "tools/call", "d", undefined), refused(/signature/));
    const states = new RequestStates(SECRET);
    const [, payload, mac] = token.split(".");
    // The mac's last character carries 4 bits and 2 spare ones: flipping a spare bit still spells another token.
    const last = mac!.at(-1)!;
    const spare = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(last) ^ 1]!;
    const respelled = `v1.${payload}.${mac!.slice(0, -1)}${spare}`;
    for (const bad of [undefined, 1, {}, "", "v1", "v1..", "v2.a.b", "v1.a.b", `v1.${payload}.${mac}=`, `v1.${payload}.${mac}!`, `v1.${payload}x.${mac}`, respelled]) {
      await assert.rejects(states.open(bad, "tools/call", "d", undefined), refused(/requestState/), String(bad));
    }
  });

  it("paramsDigest() ignores _meta, inputResponses, requestState and key order, and nothing else", async () => {
    const base = await paramsDigest({ name: "t", arguments: { a: 1, b: [1, { c: 2 }] } });
    assert.equal(await paramsDigest({ arguments: { b: [1, { c: 2 }], a: 1 }, name: "t" }), base);
    assert.equal(await paramsDigest({ name: "t", arguments: { a: 1, b: [1, { c: 2 }] }, _meta: { x: 1 }, inputResponses: { q: {} }, requestState: "s" }), base);
    assert.notEqual(await paramsDigest({ name: "u", arguments: { a: 1, b: [1, { c: 2 }] } }), base);
    assert.notEqual(await paramsDigest({ name: "t", arguments: { a: 2, b: [1, { c: 2 }] } }), base);
    assert.notEqual(await paramsDigest({ name: "t", arguments: { a: 1, b: [{ c: 2 }, 1] } }), base);
    assert.notEqual(await paramsDigest({ name: "t", arguments: { a: 1, b: [1, { c: 2 }] }, extra: true }), base);
    assert.notEqual(await paramsDigest({ name: "t" }), await paramsDigest({ name: "t", arguments: {} }));
  });
});
