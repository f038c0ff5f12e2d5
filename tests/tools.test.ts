import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Context } from "../lib/context.ts";
import { ErrorCode, JsonRpcError } from "../lib/errors.ts";
import { callTool, defineTool, isContentBlock } from "../lib/tools.ts";
import type { ToolDefinition, ToolFunction } from "../lib/tools.ts";
import type { CallToolResult, ContentBlock } from "../lib/types.ts";

/** callTool() only hands the context to the tool, so a tool can tell it got this one. */
const ctx = { requestId: 7, signal: new AbortController().signal } as unknown as Context;

/** Defines tool `t` with `definition` and runs it with `args`. */
function run(fn: ToolFunction<never>, definition: ToolDefinition = {}, args: unknown = {}): Promise<CallToolResult> {
  return callTool(defineTool("t", definition, fn), args, ctx);
}

/** Asserts `result` is an error result whose only text matches `pattern`. */
function assertErrorResult(result: CallToolResult, pattern: RegExp): void {
  assert.equal(result.isError, true);
  assert.equal(result.content.length, 1);
  const block = result.content[0]!;
  assert.equal(block.type, "text");
  assert.match(block.type === "text" ? block.text : "", pattern);
  assert.equal(result.structuredContent, undefined);
}

const point = {
  type: "object",
  properties: { x: { type: "number" }, y: { type: "number" } },
  required: ["x", "y"],
  additionalProperties: false,
};

describe("defineTool()", () => {
  it("defineTool() accepts names of 1 to 128 letters, digits, _, - and .", () => {
    for (const name of ["a", "Z", "0", "get_weather", "admin.tools-list", "A-Za-z0-9_-.", "x".repeat(128)]) {
      assert.equal(defineTool(name, {}, () => {}).name, name);
    }
  });

  it("defineTool() throws a TypeError for an empty, long, spaced or non-ASCII name", () => {
    for (const name of ["", "x".repeat(129), "get weather", " a", "a/b", "a:b", "café", "名前", "tool😀", "a\n"]) {
      assert.throws(() => defineTool(name, {}, () => {}), {
        name: "TypeError",
        message: `Cannot register tool "${name}": a name is 1-128 characters of A-Z, a-z, 0-9, _, - and .`,
      }, JSON.stringify(name));
    }
  });

  it("defineTool() throws a TypeError when the handler is not a function", () => {
    assert.throws(() => defineTool("t", {}, "nope" as unknown as ToolFunction<never>), {
      name: "TypeError",
      message: 'Cannot register tool "t": its handler must be a function',
    });
  });

  it("defineTool() throws a TypeError when inputSchema is not of type object", () => {
    for (const inputSchema of [{}, { type: "string" }, { type: ["object"] }, { properties: {} }, [], null, "object"]) {
      assert.throws(() => defineTool("t", { inputSchema } as unknown as ToolDefinition, () => {}), {
        name: "TypeError",
        message: 'Cannot register tool "t": inputSchema must be a JSON Schema object with type "object"',
      }, JSON.stringify(inputSchema));
    }
  });

  it("defineTool() throws a TypeError when outputSchema is not of type object", () => {
    for (const outputSchema of [{}, { type: "array" }, [], true]) {
      assert.throws(() => defineTool("t", { outputSchema } as unknown as ToolDefinition, () => {}), {
        name: "TypeError",
        message: 'Cannot register tool "t": outputSchema must be a JSON Schema object with type "object"',
      }, JSON.stringify(outputSchema));
    }
  });

  it("defineTool() throws a TypeError for a schema that does not compile", () => {
    assert.throws(
      () => defineTool("t", { inputSchema: { type: "object", properties: { a: { type: "strng" } } } }, () => {}),
      { name: "TypeError", message: /^Cannot register tool "t": inputSchema is invalid: / },
    );
    assert.throws(
      () => defineTool("t", { outputSchema: { type: "object", $ref: "https://example.com/s.json" } }, () => {}),
      { name: "TypeError", message: /^Cannot register tool "t": outputSchema is invalid: / },
    );
  });

  it("defineTool() lists a tool without arguments with a schema that allows none", () => {
    const tool = defineTool("ping", {}, () => "pong");
    assert.deepEqual(tool.listing, { name: "ping", inputSchema: { type: "object", additionalProperties: false } });
  });

  it("defineTool() lists every field, in the spec's order, and no others", () => {
    const definition = {
      _meta: { "example.com/v": 1 },
      icons: [{ src: "https://example.com/i.png", mimeType: "image/png" }],
      annotations: { readOnlyHint: true },
      outputSchema: point,
      inputSchema: point,
      description: "Reflects a point",
      title: "Reflect",
    };
    const tool = defineTool("reflect", definition, () => ({ x: 0, y: 0 }));
    assert.deepEqual(tool.listing, {
      name: "reflect",
      title: "Reflect",
      description: "Reflects a point",
      inputSchema: point,
      outputSchema: point,
      annotations: { readOnlyHint: true },
      icons: [{ src: "https://example.com/i.png", mimeType: "image/png" }],
      _meta: { "example.com/v": 1 },
    });
    assert.deepEqual(Object.keys(tool.listing), [
      "name",
      "title",
      "description",
      "inputSchema",
      "outputSchema",
      "annotations",
      "icons",
      "_meta",
    ]);
    assert.equal(tool.definition, definition);
  });

  it("defineTool() leaves out the optional fields it was not given", () => {
    const tool = defineTool("echo", { description: "Echo", inputSchema: point }, () => "");
    assert.deepEqual(Object.keys(tool.listing), ["name", "description", "inputSchema"]);
    assert.equal(tool.validateOutput, undefined);
  });
});

describe("isContentBlock()", () => {
  it("isContentBlock() recognises each kind of content block by its required fields", () => {
    const blocks: unknown[] = [
      { type: "text", text: "" },
      { type: "image", data: "AA==", mimeType: "image/png" },
      { type: "audio", data: "AA==", mimeType: "audio/wav" },
      { type: "resource_link", uri: "file:///a", name: "a" },
      { type: "resource", resource: { uri: "file:///a", text: "a" } },
    ];
    for (const block of blocks) assert.equal(isContentBlock(block), true, JSON.stringify(block));
    const others: unknown[] = [
      null,
      "text",
      { type: "text" },
      { type: "image", data: "AA==" },
      { type: "resource_link", uri: "file:///a" },
      { type: "resource", resource: null },
      { type: "video", data: "AA==", mimeType: "video/mp4" },
    ];
    for (const other of others) assert.equal(isContentBlock(other), false, JSON.stringify(other));
  });
});

describe("callTool()", () => {
  it("callTool() passes the validated arguments and the context to the tool", async () => {
    let seen: unknown[] = [];
    const result = await run(((args: unknown, context: Context) => {
      seen = [args, context];
      return "ok";
    }) as ToolFunction<never>, { inputSchema: point }, { x: 1, y: 2 });
    assert.deepEqual(result, { content: [{ type: "text", text: "ok" }] });
    assert.deepEqual(seen[0], { x: 1, y: 2 });
    assert.equal(seen[1], ctx);
  });

  it("callTool() treats undefined arguments as {}", async () => {
    let seen: unknown;
    await run(((args: unknown) => {
      seen = args;
    }) as ToolFunction<never>, {}, undefined);
    assert.deepEqual(seen, {});
  });

  it("callTool() turns a string into one text block", async () => {
    assert.deepEqual(await run(() => "hello"), { content: [{ type: "text", text: "hello" }] });
    assert.deepEqual(await run(() => ""), { content: [{ type: "text", text: "" }] });
  });

  it("callTool() turns undefined into no content", async () => {
    assert.deepEqual(await run(() => undefined), { content: [] });
    assert.deepEqual(await run(async () => {}), { content: [] });
  });

  it("callTool() wraps a single content block", async () => {
    const image: ContentBlock = { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" };
    assert.deepEqual(await run(() => image), { content: [image] });
  });

  it("callTool() uses an array of content blocks as the content", async () => {
    const blocks: ContentBlock[] = [
      { type: "text", text: "see" },
      { type: "resource_link", uri: "file:///readme.md", name: "readme" },
    ];
    assert.deepEqual(await run(() => blocks), { content: blocks });
  });

  it("callTool() passes a CallToolResult through as it is", async () => {
    const result: CallToolResult = { content: [{ type: "text", text: "partial" }], isError: true, _meta: { k: 1 } };
    assert.equal(await run(() => result), result);
    assert.deepEqual(await run(() => ({ content: [] })), { content: [] });
  });

  it("callTool() turns numbers, booleans, null, arrays and objects into their JSON text", async () => {
    const cases: [unknown, string][] = [
      [42, "42"],
      [1.5, "1.5"],
      [false, "false"],
      [null, "null"],
      [[], "[]"],
      [[1, "a"], '[1,"a"]'],
      [{ a: 1, b: [true] }, '{"a":1,"b":[true]}'],
    ];
    for (const [value, text] of cases) {
      assert.deepEqual(await run(() => value), { content: [{ type: "text", text }] }, text);
    }
  });

  it("callTool() sends an object as structuredContent and JSON text when the tool has an outputSchema", async () => {
    const result = await run(() => ({ x: 1, y: -2 }), { outputSchema: point });
    assert.deepEqual(result, { content: [{ type: "text", text: '{"x":1,"y":-2}' }], structuredContent: { x: 1, y: -2 } });
  });

  it("callTool() accepts a CallToolResult whose structuredContent matches the outputSchema", async () => {
    const result: CallToolResult = { content: [{ type: "text", text: "(1, 2)" }], structuredContent: { x: 1, y: 2 } };
    assert.equal(await run(() => result, { outputSchema: point }), result);
  });

  it("callTool() returns an error result when the output does not match the outputSchema", async () => {
    const result = await run(() => ({ x: 1, y: "2" }), { outputSchema: point });
    assertErrorResult(result, /^Tool "t" returned output that does not match its outputSchema: \/y: .*\(type\)$/);
  });

  it("callTool() returns an error result when a tool with an outputSchema returns no structured content", async () => {
    for (const value of ["text", undefined, [{ type: "text", text: "a" }], { content: [] }, [1, 2], 3]) {
      assertErrorResult(
        await run(() => value, { outputSchema: point }),
        /^Tool "t" declares an outputSchema but returned no structured content$/,
      );
    }
  });

  it("callTool() passes an error result through even when the tool has an outputSchema", async () => {
    const result: CallToolResult = { content: [{ type: "text", text: "upstream down" }], isError: true };
    assert.equal(await run(() => result, { outputSchema: point }), result);
  });

  it("callTool() turns a thrown Error into an error result with its message only", async () => {
    const result = await run(() => {
      throw new Error("disk full");
    });
    assert.deepEqual(result, { content: [{ type: "text", text: "disk full" }], isError: true });
    const rejected = await run(async () => {
      await Promise.resolve();
      throw new TypeError("x is not a function");
    });
    assert.deepEqual(rejected, { content: [{ type: "text", text: "x is not a function" }], isError: true });
    assert.doesNotMatch(JSON.stringify(rejected), /\bat |\.ts:\d|TypeError/);
  });

  it("callTool() turns a thrown non-Error or an empty message into an error result", async () => {
    assert.deepEqual(
      await run(() => {
        throw "plain string";
      }),
      { content: [{ type: "text", text: "plain string" }], isError: true },
    );
    assert.deepEqual(
      await run(() => {
        throw new Error("");
      }),
      { content: [{ type: "text", text: "The tool failed" }], isError: true },
    );
  });

  it("callTool() lets a thrown JsonRpcError reject the call", async () => {
    const error = new JsonRpcError(ErrorCode.ResourceNotFound, "Resource not found", { uri: "file:///x" });
    await assert.rejects(run(() => {
      throw error;
    }), (thrown: unknown) => thrown === error);
    await assert.rejects(run(async () => Promise.reject(error)), (thrown: unknown) => thrown === error);
  });

  it("callTool() returns an error result naming the path of invalid arguments, without running the tool", async () => {
    let ran = false;
    const fn = () => {
      ran = true;
    };
    const wrongType = await run(fn, { inputSchema: point }, { x: 1, y: "2" });
    assertErrorResult(wrongType, /^Invalid arguments for tool "t": \/y: .*\(type\)$/);
    const missing = await run(fn, { inputSchema: point }, { x: 1 });
    assertErrorResult(missing, /^Invalid arguments for tool "t": .*\(required\)$/);
    assertErrorResult(missing, /\by\b/);
    const extra = await run(fn, {}, { surprise: true });
    assertErrorResult(extra, /^Invalid arguments for tool "t": .*surprise/);
    const notObject = await run(fn, { inputSchema: point }, [1, 2]);
    assertErrorResult(notObject, /^Invalid arguments for tool "t": \(root\): .*\(type\)$/);
    assert.equal(ran, false);
  });

  it("callTool() returns an error result for a value that is not JSON", async () => {
    assertErrorResult(await run(() => () => 1), /^Tool "t" returned a value that is not JSON$/);
    assertErrorResult(await run(() => Symbol("s")), /^Tool "t" returned a value that is not JSON$/);
  });

  it("callTool() returns an error result, rather than rejecting, for a value JSON.stringify throws on", async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const value of [circular, { big: 1n }]) {
      const result = await run(() => value).catch((error: unknown) => error);
      if (result instanceof Error) assert.fail(`callTool() rejected with ${result}`);
      assertErrorResult(result as CallToolResult, /^Tool "t" returned a value that is not JSON$/);
    }
  });
});
