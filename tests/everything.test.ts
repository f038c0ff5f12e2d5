/**
 * The official SDK client exercises every fixture of examples/everything.ts,
 * over each transport the server speaks.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { everything, PNG, WAV } from "../examples/everything.ts";
import type { McpServer } from "../mod.ts";
import { listen } from "./_door.ts";

let server: McpServer;
let base: string;

before(async () => {
  server = everything();
  ({ url: base } = await listen(server));
});
after(() => server.close());

const transports: Record<string, () => Transport> = {
  "HTTP+SSE": () => new SSEClientTransport(new URL(`${base}/sse`)),
  "Streamable HTTP": () => new StreamableHTTPClientTransport(new URL(`${base}/mcp`)),
};

interface Seen {
  sampling: unknown[];
  elicitation: unknown[];
  logs: unknown[];
  toolsChanged: number;
  updated: string[];
}

async function connect(make: () => Transport, capabilities = true): Promise<{ client: Client; seen: Seen }> {
  const client = new Client({ name: "everything-test", version: "1.0.0" }, {
    capabilities: capabilities ? { sampling: {}, elicitation: {}, roots: { listChanged: true } } : {},
  });
  const seen: Seen = { sampling: [], elicitation: [], logs: [], toolsChanged: 0, updated: [] };
  if (capabilities) {
    client.setRequestHandler(CreateMessageRequestSchema, (request) => {
      seen.sampling.push(request.params);
      return {
        role: "assistant",
        content: { type: "text", text: "This is a test response from the client" },
        model: "test-model",
        stopReason: "endTurn",
      };
    });
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      seen.elicitation.push(request.params);
      return { action: "accept", content: { username: "testuser", email: "test@example.com" } };
    });
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: "file:///work", name: "work" }] }));
  }
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void seen.logs.push(n.params));
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.toolsChanged++);
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seen.updated.push(n.params.uri));
  await client.connect(make());
  return { client, seen };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const [transport, make] of Object.entries(transports)) {
  describe(`everything.ts over ${transport} with the official SDK client`, () => {
    let client: Client;
    let seen: Seen;
    before(async () => ({ client, seen } = await connect(make)));
    after(() => client.close());

    it("advertises every capability", () => {
      assert.deepEqual(client.getServerCapabilities(), {
        logging: {},
        completions: {},
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        tools: { listChanged: true },
      });
      assert.match(client.getInstructions() ?? "", /test server/);
    });

    it("lists every tool with a description and an object inputSchema", async () => {
      const { tools } = await client.listTools();
      for (const name of [
        "test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
        "test_multiple_content_types", "test_tool_with_logging", "test_tool_with_progress", "test_error_handling",
        "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults", "test_elicitation_sep1330_enums",
        "json_schema_2020_12_tool", "test_reconnection",
      ]) {
        const tool = tools.find((t) => t.name === name);
        assert.ok(tool, `${name} is listed`);
        assert.ok(tool.description);
        assert.equal(tool.inputSchema.type, "object");
      }
      const schema = tools.find((t) => t.name === "json_schema_2020_12_tool")!.inputSchema as Record<string, unknown>;
      assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
      assert.equal(schema.additionalProperties, false);
      assert.ok((schema.$defs as Record<string, unknown>).address);
    });

    it("calls the content tools", async () => {
      assert.deepEqual((await client.callTool({ name: "test_simple_text" })).content, [
        { type: "text", text: "This is a simple text response for testing." },
      ]);
      assert.deepEqual((await client.callTool({ name: "test_image_content", arguments: {} })).content, [
        { type: "image", data: PNG, mimeType: "image/png" },
      ]);
      assert.deepEqual((await client.callTool({ name: "test_audio_content", arguments: {} })).content, [
        { type: "audio", data: WAV, mimeType: "audio/wav" },
      ]);
      assert.deepEqual((await client.callTool({ name: "test_embedded_resource", arguments: {} })).content, [
        {
          type: "resource",
          resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." },
        },
      ]);
      const mixed = await client.callTool({ name: "test_multiple_content_types", arguments: {} });
      assert.deepEqual((mixed.content as { type: string }[]).map((c) => c.type), ["text", "image", "resource"]);
    });

    it("structured output matches the outputSchema", async () => {
      const result = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
      assert.deepEqual(result.structuredContent, { sum: 5 });
    });

    it("test_error_handling returns an isError result", async () => {
      const result = await client.callTool({ name: "test_error_handling", arguments: {} });
      assert.equal(result.isError, true);
      assert.deepEqual(result.content, [{ type: "text", text: "This tool intentionally returns an error for testing" }]);
    });

    it("test_tool_with_logging sends three log messages at the set level", async () => {
      await client.setLoggingLevel("debug");
      seen.logs.length = 0;
      await client.callTool({ name: "test_tool_with_logging", arguments: {} });
      await until(() => seen.logs.length >= 3, "three logs");
      assert.deepEqual(seen.logs, [
        { level: "info", data: "Tool execution started" },
        { level: "info", data: "Tool processing data" },
        { level: "info", data: "Tool execution completed" },
      ]);
      await client.setLoggingLevel("error");
      seen.logs.length = 0;
      await client.callTool({ name: "test_tool_with_logging", arguments: {} });
      assert.deepEqual(seen.logs, []);
    });

    it("test_tool_with_progress reports 0, 50, 100 before the result", async () => {
      const progress: unknown[] = [];
      await client.callTool({ name: "test_tool_with_progress", arguments: {} }, undefined, {
        onprogress: (p) => progress.push(p),
      });
      assert.deepEqual(progress, [
        { progress: 0, total: 100 },
        { progress: 50, total: 100 },
        { progress: 100, total: 100 },
      ]);
    });

    it("test_sampling asks the client's model and returns its answer", async () => {
      const result = await client.callTool({ name: "test_sampling", arguments: { prompt: "Test prompt for sampling" } });
      assert.deepEqual(seen.sampling.at(-1), {
        messages: [{ role: "user", content: { type: "text", text: "Test prompt for sampling" } }],
        maxTokens: 100,
      });
      assert.deepEqual(result.content, [{ type: "text", text: "LLM response: This is a test response from the client" }]);
    });

    it("test_elicitation asks the user and reflects the answer", async () => {
      const result = await client.callTool({ name: "test_elicitation", arguments: { message: "Please provide your information" } });
      assert.equal((seen.elicitation.at(-1) as { message: string }).message, "Please provide your information");
      assert.deepEqual(result.content, [{
        type: "text",
        text: 'User response: action=accept, content={"username":"testuser","email":"test@example.com"}',
      }]);
    });

    it("the SEP-1034 and SEP-1330 tools send their forms", async () => {
      await client.callTool({ name: "test_elicitation_sep1034_defaults", arguments: {} });
      const defaults = (seen.elicitation.at(-1) as { requestedSchema: { properties: Record<string, { default: unknown }> } })
        .requestedSchema.properties;
      assert.deepEqual(Object.values(defaults).map((p) => p.default), ["John Doe", 30, 95.5, "active", true]);
      await client.callTool({ name: "test_elicitation_sep1330_enums", arguments: {} });
      const enums = (seen.elicitation.at(-1) as { requestedSchema: { properties: Record<string, unknown> } })
        .requestedSchema.properties;
      assert.deepEqual(Object.keys(enums), ["untitledSingle", "titledSingle", "legacyEnum", "untitledMulti", "titledMulti"]);
    });

    it("test_roots reads the client's roots", async () => {
      const result = await client.callTool({ name: "test_roots", arguments: {} });
      assert.deepEqual(result.content, [{ type: "text", text: '[{"uri":"file:///work","name":"work"}]' }]);
    });

    it("test_reconnection completes", async () => {
      const result = await client.callTool({ name: "test_reconnection", arguments: {} });
      assert.match((result.content as { text: string }[])[0]!.text, /Reconnection test completed/);
    });

    it("lists and reads resources and templates", async () => {
      const { resources } = await client.listResources();
      assert.deepEqual(resources.map((r) => r.uri), ["test://static-text", "test://static-binary", "test://watched-resource"]);
      assert.deepEqual(resources[0], {
        uri: "test://static-text",
        name: "Static text",
        description: "A fixed text resource",
        mimeType: "text/plain",
      });
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), ["test://template/{id}/data"]);
      assert.deepEqual((await client.readResource({ uri: "test://static-text" })).contents, [
        { uri: "test://static-text", mimeType: "text/plain", text: "This is the content of the static text resource." },
      ]);
      assert.deepEqual((await client.readResource({ uri: "test://static-binary" })).contents, [
        { uri: "test://static-binary", mimeType: "image/png", blob: PNG },
      ]);
      assert.deepEqual((await client.readResource({ uri: "test://template/123/data" })).contents, [
        {
          uri: "test://template/123/data",
          mimeType: "application/json",
          text: '{"id":"123","templateTest":true,"data":"Data for ID: 123"}',
        },
      ]);
    });

    it("subscribed resources notify updates; unsubscribed ones do not", async () => {
      await client.subscribeResource({ uri: "test://watched-resource" });
      await client.callTool({ name: "touch_watched_resource", arguments: {} });
      await until(() => seen.updated.length === 1, "resources/updated");
      assert.deepEqual(seen.updated, ["test://watched-resource"]);
      await client.unsubscribeResource({ uri: "test://watched-resource" });
      await client.callTool({ name: "touch_watched_resource", arguments: {} });
      await client.ping();
      assert.equal(seen.updated.length, 1);
    });

    it("lists and gets prompts", async () => {
      const { prompts } = await client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name), [
        "test_simple_prompt", "test_prompt_with_arguments", "test_prompt_with_embedded_resource",
        "test_input_required_result_prompt", "test_prompt_with_image",
      ]);
      assert.deepEqual(prompts[1]!.arguments, [
        { name: "arg1", description: "First test argument", required: true },
        { name: "arg2", description: "Second test argument", required: true },
      ]);
      assert.deepEqual((await client.getPrompt({ name: "test_simple_prompt" })).messages, [
        { role: "user", content: { type: "text", text: "This is a simple prompt for testing." } },
      ]);
      const withArgs = await client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "testValue1", arg2: "testValue2" } });
      assert.deepEqual(withArgs.messages, [
        { role: "user", content: { type: "text", text: "Prompt with arguments: arg1='testValue1', arg2='testValue2'" } },
      ]);
      const embedded = await client.getPrompt({ name: "test_prompt_with_embedded_resource", arguments: { resourceUri: "test://example-resource" } });
      assert.equal(embedded.messages[0]!.content.type, "resource");
      const withImage = await client.getPrompt({ name: "test_prompt_with_image" });
      assert.deepEqual(withImage.messages[0]!.content, { type: "image", data: PNG, mimeType: "image/png" });
    });

    it("completes prompt arguments and template variables", async () => {
      const prompt = await client.complete({
        ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
        argument: { name: "arg1", value: "par" },
      });
      assert.deepEqual(prompt.completion, { values: ["paris", "park", "party"], total: 3, hasMore: false });
      const template = await client.complete({
        ref: { type: "ref/resource", uri: "test://template/{id}/data" },
        argument: { name: "id", value: "4" },
      });
      assert.deepEqual(template.completion.values, ["456"]);
    });

    it("bad input gets precise errors and the session keeps working", async () => {
      const codeOf = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (error) {
          return (error as { code: number }).code;
        }
        return "no error";
      };
      assert.equal(await codeOf(client.readResource({ uri: "test://missing" })), -32002);
      assert.equal(await codeOf(client.getPrompt({ name: "no_such_prompt" })), -32602);
      assert.equal(await codeOf(client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "x" } })), -32602);
      assert.equal(await codeOf(client.listTools({ cursor: "not-a-cursor" })), -32602);
      assert.equal(await codeOf(client.complete({ ref: { type: "ref/prompt", name: "nope" }, argument: { name: "a", value: "" } })), -32602);
      assert.deepEqual(await client.ping(), {});
    });

    it("tools/list_changed reaches the session when the registry changes", async () => {
      const before = seen.toolsChanged;
      const handle = server.tool("temporary", { description: "Here for a moment" }, () => "hi");
      await until(() => seen.toolsChanged === before + 1, "list_changed");
      handle.remove();
      await until(() => seen.toolsChanged === before + 2, "list_changed");
    });

    it("a client without sampling gets a clear error from test_sampling", async () => {
      const { client: bare } = await connect(make, false);
      try {
        const result = await bare.callTool({ name: "test_sampling", arguments: { prompt: "hi" } });
        assert.equal(result.isError, true);
        assert.deepEqual(result.content, [{
          type: "text",
          text: 'Cannot send sampling/createMessage: the client did not declare the "sampling" capability',
        }]);
      } finally {
        await bare.close();
      }
    });
  });
}
