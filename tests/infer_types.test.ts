/**
 * Type-level tests of lib/infer.ts. Their worth is that `npm run typecheck`
 * compiles them: each `Assert<Equals<…>>` fails to compile when an inferred
 * type is not exactly the one expected, and each `@ts-expect-error` fails
 * when the line below it is accepted. The runtime `it()` blocks only check
 * that the schemas are what they say, so the file runs under every runner.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Context } from "../lib/context.ts";
import { createServer, text } from "../mod.ts";
import type { ToolHandler as PublicToolHandler } from "../mod.ts";
import type { FromSchema, NoArguments, PromptArgs, ToolArgs, ToolHandler, ToolResult } from "../lib/infer.ts";
import type { PromptArgument } from "../lib/prompts.ts";
import type { CallToolResult, JsonObject } from "../lib/types.ts";

/** True when `A` and `B` are the same type (not merely assignable to each other). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only when `T` is `true`. */
type Assert<T extends true> = T;

/**
 * The signature of `server.tool()`, without the server: `const` type
 * parameters read the schemas as literals with no `as const`.
 */
function tool<const In extends JsonObject = NoArguments, const Out extends JsonObject = JsonObject, Args = ToolArgs<In>>(
  _definition: { inputSchema?: In; outputSchema?: Out },
  fn: ToolHandler<In, Out, Args>,
): ToolHandler<In, Out, Args> {
  return fn;
}

/** Tools here ignore their context. */
const ctx = {} as Context;

/** The signature of `server.prompt()`, without the server. */
function prompt<const A extends readonly PromptArgument[] = readonly PromptArgument[], Args = PromptArgs<A>>(
  _definition: { arguments?: A },
  fn: (args: Args) => unknown,
): (args: Args) => unknown {
  return fn;
}

describe("FromSchema<> of primitive types", () => {
  it("FromSchema<> reads string, number, integer, boolean and null", () => {
    const _string: Assert<Equals<FromSchema<{ type: "string" }>, string>> = true;
    const _number: Assert<Equals<FromSchema<{ type: "number" }>, number>> = true;
    const _integer: Assert<Equals<FromSchema<{ type: "integer" }>, number>> = true;
    const _boolean: Assert<Equals<FromSchema<{ type: "boolean" }>, boolean>> = true;
    const _null: Assert<Equals<FromSchema<{ type: "null" }>, null>> = true;
    const schema = { type: "integer", minimum: 0 } as const;
    const _annotated: Assert<Equals<FromSchema<typeof schema>, number>> = true;
    assert.equal(schema.type, "integer");
  });

  it("FromSchema<> reads an array of type names as a union", () => {
    const schema = { type: ["string", "null"] } as const;
    const _nullable: Assert<Equals<FromSchema<typeof schema>, string | null>> = true;
    const _three: Assert<Equals<FromSchema<{ type: readonly ["number", "boolean", "null"] }>, number | boolean | null>> = true;
    assert.deepEqual(schema.type, ["string", "null"]);
  });
});

describe("FromSchema<> of enum and const", () => {
  it("FromSchema<> reads enum as a union of its values and const as its value", () => {
    const units = { enum: ["metric", "imperial", 0, null] } as const;
    const _enum: Assert<Equals<FromSchema<typeof units>, "metric" | "imperial" | 0 | null>> = true;
    const _const: Assert<Equals<FromSchema<{ const: "phone" }>, "phone">> = true;
    const _typed: Assert<Equals<FromSchema<{ type: "string"; enum: readonly ["a", "b", 1] }>, "a" | "b">> = true;
    const tuple = { const: [1, { a: "x" }] } as const;
    const _mutable: Assert<Equals<FromSchema<typeof tuple>, [1, { a: "x" }]>> = true;
    assert.deepEqual(units.enum, ["metric", "imperial", 0, null]);
  });
});

describe("FromSchema<> of objects", () => {
  const point = {
    type: "object",
    properties: { x: { type: "number" }, y: { type: "number" }, label: { type: "string" } },
    required: ["x", "y"],
  } as const;

  it("FromSchema<> makes required keys required and the others optional", () => {
    const _point: Assert<Equals<FromSchema<typeof point>, { x: number; y: number; label?: string }>> = true;
    assert.deepEqual(point.required, ["x", "y"]);
  });

  it("FromSchema<> reads nested objects and arrays of them", () => {
    const order = {
      type: "object",
      properties: {
        id: { type: "string" },
        lines: {
          type: "array",
          items: {
            type: "object",
            properties: { sku: { type: "string" }, qty: { type: "integer" }, gift: { type: "boolean" } },
            required: ["sku", "qty"],
          },
        },
        shipTo: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
      },
      required: ["id", "lines"],
    } as const;
    type Expected = {
      id: string;
      lines: { sku: string; qty: number; gift?: boolean }[];
      shipTo?: { city: string };
    };
    const _order: Assert<Equals<FromSchema<typeof order>, Expected>> = true;
    assert.equal(order.properties.lines.items.type, "object");
  });

  it("FromSchema<> adds an index signature only when additionalProperties allows more keys", () => {
    const _closed: Assert<Equals<FromSchema<{ type: "object"; properties: { a: { type: "string" } }; additionalProperties: false }>, { a?: string }>> =
      true;
    const _open: Assert<Equals<FromSchema<{ type: "object"; properties: { a: { type: "string" } }; additionalProperties: true }>, { [k: string]: unknown; a?: string }>> =
      true;
    const _map: Assert<Equals<FromSchema<{ type: "object"; additionalProperties: { type: "number" } }>, Record<string, number>>> = true;
    const _empty: Assert<Equals<FromSchema<{ type: "object"; additionalProperties: false }>, Record<string, never>>> = true;
    const _any: Assert<Equals<FromSchema<{ type: "object" }>, Record<string, unknown>>> = true;
    const _none: Assert<Equals<FromSchema<{ type: "object"; properties: {} }>, Record<string, unknown>>> = true;
    const _patterns: Assert<Equals<FromSchema<{ type: "object"; patternProperties: { "^x": {} }; additionalProperties: false }>, Record<string, unknown>>> =
      true;
    assert.ok(true);
  });

  it("FromSchema<> reads a required key missing from properties as unknown, and a widened required as none", () => {
    const _missing: Assert<Equals<FromSchema<{ type: "object"; properties: { a: { type: "string" } }; required: readonly ["a", "b"] }>, { a: string; b: unknown }>> =
      true;
    const _widened: Assert<Equals<FromSchema<{ type: "object"; properties: { a: { type: "string" } }; required: string[] }>, { a?: string }>> =
      true;
    assert.ok(true);
  });

  it("FromSchema<> types its result so that wrong values and unknown keys do not compile", () => {
    const p: FromSchema<typeof point> = { x: 1, y: 2 };
    // @ts-expect-error: x is a number
    const _wrong: FromSchema<typeof point> = { x: "1", y: 2 };
    // @ts-expect-error: there is no z
    assert.equal(p.z, undefined);
    // @ts-expect-error: y is required
    const _missing: FromSchema<typeof point> = { x: 1 };
    assert.deepEqual(p, { x: 1, y: 2 });
  });
});

describe("FromSchema<> of arrays", () => {
  it("FromSchema<> reads items as T[], and anything positional as unknown[]", () => {
    const tags = { type: "array", items: { type: "string" } } as const;
    const _items: Assert<Equals<FromSchema<typeof tags>, string[]>> = true;
    const _bare: Assert<Equals<FromSchema<{ type: "array" }>, unknown[]>> = true;
    const _prefix: Assert<Equals<FromSchema<{ type: "array"; prefixItems: readonly [{ type: "number" }] }>, unknown[]>> = true;
    // With prefixItems, `items` covers only the rest: reading it as number[] would be wrong.
    const _rest: Assert<Equals<FromSchema<{ type: "array"; prefixItems: readonly [{ type: "string" }]; items: { type: "number" } }>, unknown[]>> =
      true;
    const _draft7: Assert<Equals<FromSchema<{ type: "array"; items: readonly [{ type: "number" }] }>, unknown[]>> = true;
    const _matrix: Assert<Equals<FromSchema<{ type: "array"; items: { type: "array"; items: { type: "integer" } } }>, number[][]>> = true;
    assert.equal(tags.items.type, "string");
  });
});

describe("FromSchema<> of combinators", () => {
  it("FromSchema<> reads anyOf and oneOf as unions", () => {
    const id = { anyOf: [{ type: "string" }, { type: "integer" }] } as const;
    const _anyOf: Assert<Equals<FromSchema<typeof id>, string | number>> = true;
    const shape = {
      oneOf: [
        { type: "object", properties: { kind: { const: "circle" }, r: { type: "number" } }, required: ["kind", "r"] },
        { type: "object", properties: { kind: { const: "square" }, side: { type: "number" } }, required: ["kind", "side"] },
      ],
    } as const;
    const _oneOf: Assert<Equals<FromSchema<typeof shape>, { kind: "circle"; r: number } | { kind: "square"; side: number }>> = true;
    assert.equal(id.anyOf.length, 2);
  });

  it("FromSchema<> reads allOf as an intersection", () => {
    const both = {
      allOf: [
        { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
        { type: "object", properties: { b: { type: "number" } } },
      ],
    } as const;
    const value: FromSchema<typeof both> = { a: "x", b: 1 };
    const _a: Assert<Equals<typeof value.a, string>> = true;
    const _b: Assert<Equals<typeof value.b, number | undefined>> = true;
    assert.equal(both.allOf.length, 2);
  });
});

describe("FromSchema<> of what it cannot read", () => {
  it("FromSchema<> reads $ref, not, and a schema without type as unknown", () => {
    const _ref: Assert<Equals<FromSchema<{ $ref: "#/$defs/address" }>, unknown>> = true;
    const _refWithType: Assert<Equals<FromSchema<{ $ref: "#/$defs/a"; type: "string" }>, unknown>> = true;
    const _not: Assert<Equals<FromSchema<{ not: { type: "string" } }>, unknown>> = true;
    const _untyped: Assert<Equals<FromSchema<{ properties: { a: { type: "string" } } }>, unknown>> = true;
    const _empty: Assert<Equals<FromSchema<{}>, unknown>> = true;
    const _true: Assert<Equals<FromSchema<true>, unknown>> = true;
    const _false: Assert<Equals<FromSchema<false>, never>> = true;
    const withRef = {
      type: "object",
      $defs: { address: { type: "object", properties: { city: { type: "string" } } } },
      properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" } },
      required: ["name", "address"],
    } as const;
    const _nested: Assert<Equals<FromSchema<typeof withRef>, { name: string; address: unknown }>> = true;
    assert.equal(withRef.properties.address.$ref, "#/$defs/address");
  });

  it("FromSchema<> reads a schema that is not a literal as unknown", () => {
    const widened = { type: "string" };
    const _widened: Assert<Equals<FromSchema<typeof widened>, unknown>> = true;
    const _record: Assert<Equals<FromSchema<JsonObject>, unknown>> = true;
    const _any: Assert<Equals<FromSchema<any>, unknown>> = true;
    const _typeNames: Assert<Equals<FromSchema<{ type: string[] }>, unknown>> = true;
    const _inside: Assert<Equals<FromSchema<{ type: "object"; properties: JsonObject }>, Record<string, unknown>>> = true;
    const _closedInside: Assert<Equals<FromSchema<{ type: "object"; properties: JsonObject; additionalProperties: false }>, Record<string, unknown>>> =
      true;
    assert.equal(widened.type, "string");
  });

  it("FromSchema<> gives up with unknown past 8 levels", () => {
    type Nest<T> = { type: "array"; items: T };
    type Eight = Nest<Nest<Nest<Nest<Nest<Nest<Nest<{ type: "string" }>>>>>>>;
    const _eight: Assert<Equals<FromSchema<Eight>, string[][][][][][][]>> = true;
    const _nine: Assert<Equals<FromSchema<Nest<Eight>>, unknown[][][][][][][][]>> = true;
    assert.ok(true);
  });
});

describe("ToolArgs<>", () => {
  it("ToolArgs<> reads a literal object schema", () => {
    const inputSchema = {
      type: "object",
      properties: { city: { type: "string" }, days: { type: "integer" }, units: { enum: ["metric", "imperial"] } },
      required: ["city"],
    } as const;
    const _args: Assert<Equals<ToolArgs<typeof inputSchema>, { city: string; days?: number; units?: "metric" | "imperial" }>> = true;
    const _none: Assert<Equals<ToolArgs<NoArguments>, Record<string, never>>> = true;
    assert.equal(inputSchema.type, "object");
  });

  it("ToolArgs<> falls back to Record<string, unknown> for a schema it cannot read", () => {
    const widened = { type: "object", properties: { key: { type: "string" } }, required: ["key"] };
    const _widened: Assert<Equals<ToolArgs<typeof widened>, Record<string, unknown>>> = true;
    const _record: Assert<Equals<ToolArgs<JsonObject>, Record<string, unknown>>> = true;
    const _string: Assert<Equals<ToolArgs<{ type: "string" }>, Record<string, unknown>>> = true;
    const _ref: Assert<Equals<ToolArgs<{ $ref: "#/$defs/args" }>, Record<string, unknown>>> = true;
    const _never: Assert<Equals<ToolArgs<never>, Record<string, unknown>>> = true;
    assert.equal(widened.type, "object");
  });
});

describe("ToolResult<>", () => {
  it("ToolResult<> is the described object or a result carrying it with an outputSchema, unknown without one", () => {
    const outputSchema = { type: "object", properties: { sum: { type: "number" } }, required: ["sum"] } as const;
    type Sum = { sum: number };
    type Results =
      | Sum
      | (Omit<CallToolResult, "structuredContent" | "isError"> & { structuredContent: Sum; isError?: false })
      | (CallToolResult & { isError: true });
    const _literal: Assert<Equals<ToolResult<typeof outputSchema>, Results | Promise<Results>>> = true;
    const _record: Assert<Equals<ToolResult<JsonObject>, unknown>> = true;
    const _never: Assert<Equals<ToolResult<never>, unknown>> = true;
    const structured: ToolResult<typeof outputSchema> = { content: [], structuredContent: { sum: 1 } };
    const failed: ToolResult<typeof outputSchema> = { content: [{ type: "text", text: "overflow" }], isError: true };
    // @ts-expect-error: without isError, a result must carry structuredContent
    const _bare: ToolResult<typeof outputSchema> = { content: [] };
    assert.deepEqual([structured, failed].map((r) => "content" in r), [true, true]);
  });
});

describe("ToolHandler<>", () => {
  /** The type of `args` that a handler annotated `Args` is given. */
  type ArgsOf<In, Args> = Parameters<ToolHandler<In, JsonObject, Args>>[0];

  it("ToolHandler<> keeps an annotation that fits the schema, or any annotation when the schema is not a literal", () => {
    const schema = { type: "object", properties: { n: { type: "integer" }, d: { type: "integer" } }, required: ["n"] } as const;
    const _bare: Assert<Equals<Parameters<ToolHandler<typeof schema>>[0], { n: number; d?: number }>> = true;
    const _fits: Assert<Equals<ArgsOf<typeof schema, { n: number; d?: number }>, { n: number; d?: number }>> = true;
    const _wider: Assert<Equals<ArgsOf<typeof schema, { n: number }>, { n: number }>> = true;
    const _misfit: Assert<Equals<ArgsOf<typeof schema, { n: string }>, { n: number; d?: number }>> = true;
    const _record: Assert<Equals<ArgsOf<JsonObject, { a: number }>, { a: number }>> = true;
    const _result: Assert<Equals<ReturnType<ToolHandler<typeof schema>>, unknown>> = true;
    const _context: Assert<Equals<Parameters<ToolHandler<typeof schema>>[1], Context>> = true;
    assert.deepEqual(schema.required, ["n"]);
  });
});

describe("tool() with const type parameters", () => {
  it("tool() infers args from an inputSchema written without as const", async () => {
    const add = tool({
      inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
    }, ({ a, b }) => {
      const _a: Assert<Equals<typeof a, number>> = true;
      // @ts-expect-error: a is a number
      const _wrong: string = a;
      return a + b;
    });
    assert.equal(await add({ a: 1, b: 2 }, ctx), 3);
  });

  it("tool() reports a key the schema does not declare", () => {
    const echo = tool({
      inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    }, (args) => {
      // @ts-expect-error: there is no txt
      const missing = args.txt;
      return `${args.text}${missing ?? ""}`;
    });
    assert.equal(echo({ text: "hi" }, ctx), "hi");
  });

  it("tool() keeps an annotation, and refuses one that does not fit a literal schema", () => {
    const countdown = tool({
      inputSchema: { type: "object", properties: { n: { type: "integer" }, delayMs: { type: "integer" } }, required: ["n"] },
    }, ({ n, delayMs = 0 }: { n: number; delayMs?: number }) => `${n}/${delayMs}`);
    assert.equal(countdown({ n: 3 }, ctx), "3/0");
    // @ts-expect-error: n is an integer, not a string
    tool({ inputSchema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] } }, ({ n }: { n: string }) => n);
    // @ts-expect-error: delayMs is optional, so it may be undefined
    tool({ inputSchema: { type: "object", properties: { delayMs: { type: "integer" } } } }, ({ delayMs }: { delayMs: number }) => delayMs);
  });

  it("tool() lets any annotation through when the schema is not a literal", () => {
    const schema: JsonObject = { type: "object", properties: { a: { type: "number" } }, required: ["a"] };
    const annotated = tool({ inputSchema: schema }, ({ a }: { a: number }) => a * 2);
    assert.equal(annotated({ a: 2 }, ctx), 4);
    const bare = tool({ inputSchema: schema }, (args) => {
      const _args: Assert<Equals<typeof args, Record<string, unknown>>> = true;
      return Object.keys(args).length;
    });
    assert.equal(bare({ a: 2 }, ctx), 1);
  });

  it("tool() without an inputSchema takes no arguments", () => {
    const time = tool({}, (args) => {
      const _args: Assert<Equals<typeof args, Record<string, never>>> = true;
      return "now";
    });
    assert.equal(time({}, ctx), "now");
  });

  it("tool() with an outputSchema must return the object it describes or a CallToolResult", async () => {
    const stats = tool({ outputSchema: { type: "object", properties: { count: { type: "integer" } }, required: ["count"] } }, async () => ({
      count: 3,
    }));
    assert.deepEqual(await stats({}, ctx), { count: 3 });
    const failed = tool({ outputSchema: { type: "object", properties: { count: { type: "integer" } } } }, () => ({
      content: [{ type: "text", text: "no" }],
      isError: true,
    }));
    assert.deepEqual(failed({}, ctx), { content: [{ type: "text", text: "no" }], isError: true });
    // A function without parameters is typed before the schema is fixed; its literals must survive that.
    const status = tool({ outputSchema: { type: "object", properties: { status: { enum: ["ok", "down"] } }, required: ["status"] } }, () => ({
      status: "ok",
    }));
    assert.deepEqual(status({}, ctx), { status: "ok" });
    // @ts-expect-error: count is an integer
    tool({ outputSchema: { type: "object", properties: { count: { type: "integer" } }, required: ["count"] } }, () => ({ count: "3" }));
    // @ts-expect-error: a tool with an outputSchema must return structured content, not text
    tool({ outputSchema: { type: "object", properties: { count: { type: "integer" } } } }, () => "3");
    const free = tool({}, () => "anything");
    assert.equal(free({}, ctx), "anything");
  });
});

describe("PromptArgs<>", () => {
  it("PromptArgs<> makes required arguments strings and the others optional strings", () => {
    const declared = [{ name: "code", required: true }, { name: "style" }, { name: "lang", required: false }] as const;
    const _args: Assert<Equals<PromptArgs<typeof declared>, { code: string; style?: string; lang?: string }>> = true;
    const _wide: Assert<Equals<PromptArgs<{ name: string; required?: boolean }[]>, Record<string, string>>> = true;
    assert.equal(declared.length, 3);
  });

  it("prompt() infers args from arguments written without as const, completers included", () => {
    const review = prompt({
      arguments: [{ name: "code", required: true, complete: (value) => [value.toUpperCase()] }, { name: "style" }],
    }, ({ code, style }) => {
      const _code: Assert<Equals<typeof code, string>> = true;
      const _style: Assert<Equals<typeof style, string | undefined>> = true;
      return `${code} ${style ?? "plain"}`;
    });
    assert.equal(review({ code: "x" }), "x plain");
  });
});

describe("server.tool() and server.prompt() infer from literal definitions", () => {
  it("registers the typed tools and prompts (checked by tsc)", () => {
    const server = createServer({ name: "x", version: "1" });
    server.tool("add", {
      description: "Add",
      inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
      outputSchema: { type: "object", properties: { sum: { type: "number" }, status: { enum: ["ok", "overflow"] } }, required: ["sum"] },
      annotations: { readOnlyHint: true },
      icons: [{ src: "https://x/icon.png" }],
    }, async ({ a, b }, ctx) => {
      const _a: Assert<Equals<typeof a, number>> = true;
      ctx.log("info", "adding");
      if (a > 1e300) return { content: [text("too big")], isError: true };
      return { sum: a + b, status: "ok" };
    });
    server.tool("weather", {
      inputSchema: {
        type: "object",
        properties: { city: { type: "string" }, units: { enum: ["c", "f"] }, days: { type: "array", items: { type: "integer" } } },
        required: ["city"],
      },
    }, (args) => {
      const _u: Assert<Equals<typeof args, { city: string; units?: "c" | "f"; days?: number[] }>> = true;
      // @ts-expect-error: no such key
      args.town;
      return args.city;
    });
    // @ts-expect-error: status must be one of the enum
    server.tool("bad", { outputSchema: { type: "object", properties: { status: { enum: ["ok"] } }, required: ["status"] } }, () => ({ status: "nope" }));
    server.prompt("review", {
      arguments: [{ name: "code", required: true, complete: (value) => [value.trim()] }, { name: "style" }],
    }, ({ code, style }) => {
      const _c: Assert<Equals<typeof code, string>> = true;
      const _s: Assert<Equals<typeof style, string | undefined>> = true;
      return code;
    });
    server.prompt("plain", {}, (args) => {
      const _r: Assert<Equals<typeof args, Record<string, string>>> = true;
      return "x";
    });
    const standalone: PublicToolHandler<{ type: "object"; properties: { q: { type: "string" } }; required: ["q"] }> = ({ q }) => q;
    server.tool("search", { inputSchema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } }, standalone);
    assert.equal(server.tools.size, 4);
    assert.equal(server.prompts.size, 2);
  });
});
