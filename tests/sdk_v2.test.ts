import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import type { IncomingHttpHeaders, OutgoingHttpHeaders, Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it, after, before } from "node:test";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import type { ClientOptions, ElicitRequest, ElicitResult } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport as V1SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { everything } from "../examples/everything.ts";
import type { McpServer } from "../mod.ts";
import { sleep, within } from "./_lines.ts";
import type { Message } from "./_lines.ts";
import { runtimeCommand } from "./_spawn.ts";

const VERSION = "io.modelcontextprotocol/protocolVersion";
const SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
const SERVER_INFO = "io.modelcontextprotocol/serverInfo";
const EVERYTHING = { name: "emcee-everything", version: "1.0.0" };

/** One HTTP exchange as the server saw it. */
interface Exchange {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number | undefined;
  responseHeaders: OutgoingHttpHeaders;
  response: string;
}

/** The JSON-RPC message a POST carried (undefined for GET/DELETE or a bad body). */
function sent(exchange: Exchange): Message | undefined {
  try {
    return exchange.body ? JSON.parse(exchange.body) as Message : undefined;
  } catch {
    return undefined;
  }
}

/** The JSON-RPC messages in a response body, JSON or SSE. */
function received(exchange: Exchange): Message[] {
  const type = String(exchange.responseHeaders["content-type"] ?? "");
  if (type.startsWith("application/json")) return [JSON.parse(exchange.response) as Message];
  if (!type.startsWith("text/event-stream")) return [];
  return exchange.response.split(/\r\n|\r|\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trimStart())
    .filter((data) => data !== "") // a priming event carries an id and no message
    .map((data) => JSON.parse(data) as Message);
}

function lowerCase(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

let server: McpServer;
let http: HttpServer;
let base: string;
const exchanges: Exchange[] = [];

before(async () => {
  server = everything();
  // server.handler in a node:http server of our own, recording what crosses the wire both ways.
  http = createHttpServer((req, res) => {
    const exchange: Exchange = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: "",
      status: undefined,
      responseHeaders: {},
      response: "",
    };
    exchanges.push(exchange);
    req.on("data", (chunk: Buffer) => (exchange.body += chunk.toString()));
    const write = res.write;
    const end = res.end;
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, status: number, ...rest: unknown[]) {
      const headers = rest.find((arg) => typeof arg === "object" && arg !== null) as OutgoingHttpHeaders | undefined;
      exchange.status = status;
      exchange.responseHeaders = { ...res.getHeaders(), ...lowerCase(headers ?? {}) };
      return (writeHead as (...args: unknown[]) => typeof res).call(this, status, ...rest);
    } as typeof res.writeHead;
    const keep = (chunk: unknown) => {
      if (typeof chunk === "string" || chunk instanceof Uint8Array) exchange.response += Buffer.from(chunk).toString();
    };
    res.write = function (this: typeof res, chunk: unknown, ...rest: unknown[]) {
      keep(chunk);
      exchange.status = res.statusCode;
      exchange.responseHeaders = { ...res.getHeaders(), ...exchange.responseHeaders };
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    res.end = function (this: typeof res, chunk?: unknown, ...rest: unknown[]) {
      if (typeof chunk !== "function") keep(chunk);
      exchange.status = res.statusCode;
      exchange.responseHeaders = { ...res.getHeaders(), ...exchange.responseHeaders };
      return (end as (...args: unknown[]) => typeof res).call(this, chunk, ...rest);
    } as typeof res.end;
    server.handler(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  await server.close();
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
});

/** An SDK v2 client over Streamable HTTP at /mcp, closed when the test ends; `from` marks where its traffic starts. */
async function connectHttp(t: TestContext, options: ClientOptions = {}): Promise<{ client: Client; from: number }> {
  const from = exchanges.length;
  const client = new Client({ name: "sdk-v2-test", version: "2.0.0" }, options);
  t.after(() => client.close());
  if (options.capabilities?.elicitation) client.setRequestHandler("elicitation/create", answer);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  return { client, from };
}

/** What the test user answers to every form; records the questions. */
const asked: ElicitRequest["params"][] = [];
function answer(request: ElicitRequest): ElicitResult {
  asked.push(request.params);
  const properties = Object.keys((request.params as { requestedSchema?: { properties?: object } }).requestedSchema?.properties ?? {});
  if (properties.includes("username")) return { action: "accept", content: { username: "ada", email: "ada@example.com" } };
  if (properties.includes("name")) return { action: "accept", content: { name: "Ada" } };
  return { action: "accept", content: { ok: true } };
}

const AUTO: ClientOptions = { versionNegotiation: { mode: "auto" } };
const ASKS: ClientOptions["capabilities"] = { elicitation: {} };

describe("the official SDK v2 client in auto mode over Streamable HTTP", () => {
  it("connect() goes 2026-07-28: a server/discover probe, the _meta envelope on every request, and no initialize", async (t) => {
    const { client, from } = await connectHttp(t, AUTO);
    assert.equal(client.getProtocolEra(), "modern");
    assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
    assert.deepEqual(client.getServerVersion(), EVERYTHING);
    assert.ok(client.getDiscoverResult()?.supportedVersions.includes("2026-07-28"));
    assert.equal(client.getInstructions(), server.instructions);
    const { tools } = await client.listTools();
    assert.ok(tools.length > 20);

    const traffic = exchanges.slice(from);
    assert.ok(traffic.length >= 2);
    assert.deepEqual(traffic.map((e) => `${e.method} ${e.path}`), traffic.map(() => "POST /mcp"), "POST only, no GET stream");
    const bodies = traffic.map((e) => sent(e)!);
    assert.equal(bodies[0]!.method, "server/discover", "the probe comes first");
    assert.ok(bodies.every((body) => body.method !== "initialize"), "no initialize");
    for (const [i, exchange] of traffic.entries()) {
      const body = bodies[i]!;
      assert.equal(body.params._meta[VERSION], "2026-07-28", `${body.method} carries the version in _meta`);
      assert.equal(typeof body.params._meta["io.modelcontextprotocol/clientCapabilities"], "object");
      assert.equal(exchange.headers["mcp-protocol-version"], "2026-07-28");
      assert.equal(exchange.headers["mcp-method"], body.method);
      assert.equal(exchange.headers["mcp-session-id"], undefined, "no session is asked for");
      assert.equal(exchange.responseHeaders["mcp-session-id"], undefined, "and none is minted");
      assert.equal(exchange.status, 200);
    }
  });

  it("lists tools, and calls add and test_simple_text", async (t) => {
    const { client, from } = await connectHttp(t, AUTO);
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    for (const name of ["add", "test_simple_text", "test_input_required_result_elicitation", "test_trigger_tool_change"]) {
      assert.ok(names.includes(name), `${name} is listed`);
    }
    const add = tools.find((tool) => tool.name === "add")!;
    assert.deepEqual(add.annotations, { readOnlyHint: true, idempotentHint: true });

    const sum = await client.callTool({ name: "add", arguments: { a: 2, b: 40 } });
    assert.deepEqual(sum.structuredContent, { sum: 42 });
    assert.deepEqual(sum.content, [{ type: "text", text: '{"sum":42}' }]);
    assert.equal(sum.isError, undefined);
    const simple = await client.callTool({ name: "test_simple_text", arguments: {} });
    assert.deepEqual(simple.content, [{ type: "text", text: "This is a simple text response for testing." }]);

    const calls = exchanges.slice(from).filter((e) => sent(e)?.method === "tools/call");
    assert.deepEqual(calls.map((e) => e.headers["mcp-name"]), ["add", "test_simple_text"]);
    for (const call of calls) {
      const [response] = received(call);
      assert.equal(response!.result.resultType, "complete");
      assert.deepEqual(response!.result._meta[SERVER_INFO], EVERYTHING);
    }
  });

  it("answers an elicitation through MRTR: input_required, then a retry with inputResponses and requestState", async (t) => {
    const { client, from } = await connectHttp(t, { ...AUTO, capabilities: ASKS });
    asked.length = 0;
    const hello = await client.callTool({ name: "test_input_required_result_elicitation", arguments: {} });
    assert.deepEqual(hello.content, [{ type: "text", text: "Hello, Ada!" }]);
    assert.deepEqual(asked.map((params) => params.message), ["What is your name?"]);

    const rounds = exchanges.slice(from).filter((e) => sent(e)?.params?.name === "test_input_required_result_elicitation");
    assert.equal(rounds.length, 2, "one question, one retry");
    const [first, retry] = rounds.map((e) => ({ request: sent(e)!, responses: received(e) }));
    const question = first!.responses[0]!.result;
    assert.equal(question.resultType, "input_required");
    assert.equal(question.inputRequests.user_name.method, "elicitation/create");
    assert.equal(typeof question.requestState, "string");
    assert.notEqual(retry!.request.id, first!.request.id, "the retry has a new id");
    assert.deepEqual(retry!.request.params.inputResponses, { user_name: { action: "accept", content: { name: "Ada" } } });
    assert.equal(retry!.request.params.requestState, question.requestState, "requestState echoed byte for byte");
    assert.equal(retry!.responses[0]!.result.resultType, "complete");

    const other = await client.callTool({ name: "test_elicitation", arguments: { message: "Who are you?" } });
    assert.deepEqual(other.content, [{
      type: "text",
      text: 'User response: action=accept, content={"username":"ada","email":"ada@example.com"}',
    }]);
    assert.equal(asked.at(-1)!.message, "Who are you?");

    for (const exchange of exchanges.slice(from)) {
      for (const message of received(exchange)) {
        assert.ok(!("method" in message && "id" in message), `no server→client request in the 2026-07-28 era: ${JSON.stringify(message)}`);
      }
    }
  });

  it("receives tools/list_changed through subscriptions/listen after test_trigger_tool_change", async (t) => {
    const { client, from } = await connectHttp(t, AUTO);
    const notified: Message[] = [];
    let changed!: () => void;
    const arrived = new Promise<void>((resolve) => (changed = resolve));
    client.setNotificationHandler("notifications/tools/list_changed", (notification) => {
      notified.push(notification);
      changed();
    });
    const subscription = await client.listen({ toolsListChanged: true });
    assert.deepEqual(subscription.honoredFilter, { toolsListChanged: true });

    const result = await client.callTool({ name: "test_trigger_tool_change", arguments: {} });
    assert.deepEqual(result.content, [{ type: "text", text: "tools/list_changed sent" }]);
    await within(arrived, 5000, "tools/list_changed arrives on the listen stream");

    const listen = exchanges.slice(from).find((e) => sent(e)?.method === "subscriptions/listen")!;
    const listenId = sent(listen)!.id;
    assert.equal(notified[0]!.params?._meta?.[SUBSCRIPTION_ID], listenId);
    assert.match(String(listen.responseHeaders["content-type"]), /^text\/event-stream/);
    assert.deepEqual(received(listen)[0], {
      jsonrpc: "2.0",
      method: "notifications/subscriptions/acknowledged",
      params: { notifications: { toolsListChanged: true }, _meta: { [SUBSCRIPTION_ID]: listenId } },
    });

    await subscription.close();
    assert.equal(await within(subscription.closed, 5000, "the subscription closes"), "local");
    // The SDK also posts notifications/cancelled for the listen id; an enveloped notification gets 202.
    const isCancel = (e: Exchange) => sent(e)?.method === "notifications/cancelled" && sent(e)?.params?.requestId === listenId;
    const deadline = Date.now() + 2000;
    while (!exchanges.slice(from).some((e) => isCancel(e) && e.status !== undefined) && Date.now() < deadline) await sleep(10);
    const cancel = exchanges.slice(from).find(isCancel);
    assert.ok(cancel, "notifications/cancelled was posted");
    assert.equal(cancel.status, 202);
    assert.equal(cancel.response, "");
  });
});

describe("the official SDK v2 client in its default mode over Streamable HTTP", () => {
  it("connect() sends initialize, never the 2026-07-28 envelope, and lists and calls tools", async (t) => {
    const { client, from } = await connectHttp(t);
    assert.equal(client.getProtocolEra(), "legacy");
    assert.equal(client.getNegotiatedProtocolVersion(), "2025-11-25");
    assert.equal(client.getServerVersion()?.name, EVERYTHING.name);
    assert.equal(client.getServerVersion()?.version, EVERYTHING.version);
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === "add"));
    const sum = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
    assert.deepEqual(sum.structuredContent, { sum: 5 });

    const posts = exchanges.slice(from).filter((e) => e.method === "POST").map((e) => ({ exchange: e, body: sent(e)! }));
    assert.equal(posts[0]!.body.method, "initialize");
    assert.ok(posts.every(({ body }) => body.method !== "server/discover"), "no probe");
    assert.ok(posts.every(({ body }) => body.params?._meta?.[VERSION] === undefined), "no envelope");
    const sessionId = posts[0]!.exchange.responseHeaders["mcp-session-id"];
    assert.equal(typeof sessionId, "string", "the legacy session gets an id");
    for (const { exchange } of posts.slice(1)) assert.equal(exchange.headers["mcp-session-id"], sessionId);
  });

  it("answers test_elicitation as a server→client request in a legacy session", async (t) => {
    const { client, from } = await connectHttp(t, { capabilities: ASKS });
    const result = await client.callTool({ name: "test_elicitation", arguments: { message: "Legacy you?" } });
    assert.deepEqual(result.content, [{
      type: "text",
      text: 'User response: action=accept, content={"username":"ada","email":"ada@example.com"}',
    }]);
    const requests = exchanges.slice(from).flatMap(received).filter((m) => m.method === "elicitation/create" && "id" in m);
    assert.equal(requests.length, 1, "the question went out as a JSON-RPC request");
    assert.equal(requests[0]!.params.message, "Legacy you?");
  });
});

/** The stdio example behind a tee of its stdin (tests/_stdio_tee.ts), as SDK v2 launches it. */
function stdioTransport(t: TestContext): { transport: StdioClientTransport; stderr: () => string } {
  const [command, args] = runtimeCommand(fileURLToPath(new URL("./_stdio_tee.ts", import.meta.url)));
  const transport = new StdioClientTransport({
    command,
    args,
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: { ...getDefaultEnvironment(), DENO_NO_UPDATE_CHECK: "1" },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  t.after(() => transport.close());
  return { transport, stderr: () => stderr };
}

/** The lines the server read from stdin, from its tee on stderr; waits for the server to have ended. */
async function serverRead(stderr: () => string): Promise<Message[]> {
  const deadline = Date.now() + 10_000;
  while (!stderr().includes("stdin ended, bye") && Date.now() < deadline) await sleep(20);
  assert.match(stderr(), /emcee stdio example: reading MCP from stdin/);
  assert.match(stderr(), /emcee stdio example: stdin ended, bye/);
  return stderr().split("\n").filter((line) => line.startsWith("stdin> ")).map((line) => JSON.parse(line.slice(7)) as Message);
}

describe("the official SDK v2 client over stdio", { timeout: 60_000 }, () => {
  it("auto mode goes 2026-07-28, lists and calls tools, and answers confirm through MRTR", async (t) => {
    const { transport, stderr } = stdioTransport(t);
    const client = new Client({ name: "sdk-v2-stdio", version: "2.0.0" }, { ...AUTO, capabilities: ASKS });
    client.setRequestHandler("elicitation/create", answer);
    asked.length = 0;
    await client.connect(transport);
    assert.equal(client.getProtocolEra(), "modern");
    assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
    assert.deepEqual(client.getServerVersion(), { name: "stdio-example", version: "1.0.0" });

    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name), ["add", "confirm"]);
    const sum = await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
    assert.deepEqual(sum.content, [{ type: "text", text: "3" }]);
    const confirmed = await client.callTool({ name: "confirm", arguments: { question: "Ship it?" } });
    assert.deepEqual(confirmed.content, [{ type: "text", text: 'accept: {"ok":true}' }]);
    assert.deepEqual(asked.map((params) => params.message), ["Ship it?"]);
    await client.close();

    const read = await serverRead(stderr);
    const requests = read.filter((m) => "method" in m && "id" in m);
    assert.ok(requests.length >= 4);
    assert.ok(read.every((m) => m.method !== "initialize"), "no initialize on the session process");
    for (const request of requests) assert.equal(request.params._meta[VERSION], "2026-07-28", `${request.method} is enveloped`);
    assert.ok(read.every((m) => "method" in m), "the client never answered a server request");
    const confirms = requests.filter((m) => m.params.name === "confirm");
    assert.equal(confirms.length, 2, "a question and a retry");
    assert.deepEqual(Object.values(confirms[1]!.params.inputResponses), [{ action: "accept", content: { ok: true } }]);
    assert.equal(typeof confirms[1]!.params.requestState, "string");
  });

  it("default mode uses initialize, lists and calls tools, and answers confirm as a server→client request", async (t) => {
    const { transport, stderr } = stdioTransport(t);
    const client = new Client({ name: "sdk-v2-stdio", version: "2.0.0" }, { capabilities: ASKS });
    client.setRequestHandler("elicitation/create", answer);
    asked.length = 0;
    await client.connect(transport);
    assert.equal(client.getProtocolEra(), "legacy");
    assert.equal(client.getNegotiatedProtocolVersion(), "2025-11-25");

    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name), ["add", "confirm"]);
    const sum = await client.callTool({ name: "add", arguments: { a: 20, b: 22 } });
    assert.deepEqual(sum.content, [{ type: "text", text: "42" }]);
    const confirmed = await client.callTool({ name: "confirm", arguments: { question: "Really?" } });
    assert.deepEqual(confirmed.content, [{ type: "text", text: 'accept: {"ok":true}' }]);
    assert.deepEqual(asked.map((params) => params.message), ["Really?"]);
    await client.close();

    const read = await serverRead(stderr);
    assert.equal(read[0]!.method, "initialize");
    assert.ok(read.every((m) => m.params?._meta?.[VERSION] === undefined), "no 2026-07-28 envelope");
    const answers = read.filter((m) => !("method" in m));
    assert.equal(answers.length, 1, "the client answered the elicitation on stdin");
    assert.deepEqual(answers[0]!.result, { action: "accept", content: { ok: true } });
  });
});

describe("the v1 SDK client (@modelcontextprotocol/sdk) against the same server", () => {
  for (const [path, transport] of [
    ["/sse", () => new V1SSEClientTransport(new URL(`${base}/sse`))],
    ["/mcp", () => new V1StreamableHTTPClientTransport(new URL(`${base}/mcp`))],
  ] as const) {
    it(`lists and calls add over ${path}`, async (t) => {
      const client = new V1Client({ name: "sdk-v1-test", version: "1.0.0" });
      t.after(() => client.close());
      await client.connect(transport());
      assert.deepEqual(client.getServerVersion()?.name, EVERYTHING.name);
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === "add"));
      const sum = await client.callTool({ name: "add", arguments: { a: 4, b: 5 } });
      assert.deepEqual(sum.structuredContent, { sum: 9 });
    });
  }
});
