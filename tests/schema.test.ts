import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compileSchema, formatProblems } from "../lib/schema.ts";
import type { JsonSchema } from "../lib/schema.ts";

/** `invalid` pairs a value with the expected problems as "path keyword" strings. */
interface Case {
  name: string;
  schema: JsonSchema;
  valid: unknown[];
  invalid: [unknown, string[]][];
}

const tree: JsonSchema = {
  $ref: "#/$defs/node",
  $defs: {
    node: {
      type: "object",
      properties: { value: { type: "number" }, children: { type: "array", items: { $ref: "#/$defs/node" } } },
      required: ["value"],
      additionalProperties: false,
    },
  },
};

const cases: Case[] = [
  {
    name: "type number accepts integers and floats but not strings",
    schema: { type: "number" },
    valid: [0, -1.5, 1e300],
    invalid: [["1", [" type"]], [null, [" type"]], [[], [" type"]], [Infinity, [" type"]], [NaN, [" type"]]],
  },
  {
    name: "type integer rejects fractions",
    schema: { type: "integer" },
    valid: [0, -7, 1.0, 2 ** 60],
    invalid: [[1.5, [" type"]], ["1", [" type"]]],
  },
  {
    name: "type object excludes arrays and null",
    schema: { type: "object" },
    valid: [{}, { a: 1 }],
    invalid: [[[], [" type"]], [null, [" type"]], ["{}", [" type"]]],
  },
  {
    name: "type array, string, boolean and null mean what JSON means",
    schema: { type: "array", items: [{ type: "string" }, { type: "boolean" }, { type: "null" }] },
    valid: [[], ["a", true, null], ["a", false, null, 42]],
    invalid: [[{}, [" type"]], [[1, "x", 0], ["/0 type", "/1 type", "/2 type"]]],
  },
  {
    name: "a type array accepts any listed type",
    schema: { type: ["string", "null"] },
    valid: ["x", null],
    invalid: [[1, [" type"]], [false, [" type"]]],
  },
  {
    name: "nested properties report exact JSON Pointer paths",
    schema: {
      type: "object",
      properties: {
        items: { type: "array", items: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
        "a/b~c": { type: "number" },
      },
    },
    valid: [{}, { items: [] }, { items: [{ name: "x" }, { name: "y", extra: 1 }] }],
    invalid: [
      [{ items: [{ name: "a" }, { name: "b" }, { name: 3 }] }, ["/items/2/name type"]],
      [{ items: [{}, { name: [] }] }, ["/items/0 required", "/items/1/name type"]],
      [{ "a/b~c": "x" }, ["/a~1b~0c type"]],
    ],
  },
  {
    name: "required reports each missing property at the object",
    schema: { required: ["a", "b"] },
    valid: [{ a: 1, b: null }, "not an object"],
    invalid: [[{}, [" required", " required"]], [{ a: 1 }, [" required"]]],
  },
  {
    name: "additionalProperties false rejects unknown keys but allows patternProperties",
    schema: { properties: { a: {} }, patternProperties: { "^x-": { type: "string" } }, additionalProperties: false },
    valid: [{}, { a: 1 }, { a: 1, "x-y": "z" }],
    invalid: [[{ a: 1, c: 2 }, [" additionalProperties"]], [{ "x-y": 1 }, ["/x-y type"]], [{ b: 1, c: 2 }, [" additionalProperties", " additionalProperties"]]],
  },
  {
    name: "additionalProperties as a schema checks each extra value",
    schema: { properties: { a: { type: "string" } }, additionalProperties: { type: "integer" } },
    valid: [{ a: "x" }, { a: "x", b: 1, c: 2 }],
    invalid: [[{ a: "x", b: 1.5 }, ["/b type"]], [{ a: 1 }, ["/a type"]]],
  },
  {
    name: "__proto__ in input is an own property like any other",
    schema: { type: "object", properties: { ["__proto__"]: { type: "number" } }, required: ["__proto__"], additionalProperties: false },
    valid: [JSON.parse('{"__proto__": 1}')],
    invalid: [[JSON.parse('{"__proto__": "x"}'), ["/__proto__ type"]], [{}, [" required"]], [JSON.parse('{"__proto__": 1, "constructor": 2}'), [" additionalProperties"]]],
  },
  {
    name: "properties named like Object.prototype members are not inherited",
    schema: { required: ["toString", "constructor"] },
    valid: [{ toString: 1, constructor: 2 }],
    invalid: [[{}, [" required", " required"]]],
  },
  {
    name: "minProperties and maxProperties count own keys",
    schema: { minProperties: 1, maxProperties: 2 },
    valid: [{ a: 1 }, { a: 1, b: 2 }, []],
    invalid: [[{}, [" minProperties"]], [{ a: 1, b: 2, c: 3 }, [" maxProperties"]]],
  },
  {
    name: "prefixItems with items false fixes a tuple's length",
    schema: { prefixItems: [{ type: "string" }, { type: "number" }], items: false },
    valid: [[], ["a"], ["a", 1]],
    invalid: [[["a", 1, 2], [" items"]], [[1, "a"], ["/0 type", "/1 type"]]],
  },
  {
    name: "items after prefixItems applies to the rest",
    schema: { prefixItems: [{ type: "string" }], items: { type: "number" } },
    valid: [["a", 1, 2]],
    invalid: [[["a", 1, "b"], ["/2 type"]]],
  },
  {
    name: "draft-07 array items with additionalItems still works",
    schema: { items: [{ type: "string" }], additionalItems: { type: "boolean" } },
    valid: [["a", true, false]],
    invalid: [[["a", 1], ["/1 type"]]],
  },
  {
    name: "minItems and maxItems bound array length",
    schema: { minItems: 1, maxItems: 2 },
    valid: [[1], [1, 2], "not an array"],
    invalid: [[[], [" minItems"]], [[1, 2, 3], [" maxItems"]]],
  },
  {
    name: "uniqueItems compares objects deeply regardless of key order",
    schema: { uniqueItems: true },
    valid: [[], [1, "1", true, null], [{ a: 1 }, { a: 2 }], [[1, 2], [2, 1]], Array.from({ length: 100 }, (_, i) => ({ i }))],
    invalid: [
      [[1, 2, 1], [" uniqueItems"]],
      [[{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }], [" uniqueItems"]],
      [[...Array.from({ length: 100 }, (_, i) => ({ i })), { i: 50 }], [" uniqueItems"]],
    ],
  },
  {
    name: "enum accepts listed values, objects compared deeply",
    schema: { enum: ["x", "y", 1, null, { a: [1] }] },
    valid: ["x", 1, null, { a: [1] }],
    invalid: [["z", [" enum"]], [{ a: [2] }, [" enum"]], ["1", [" enum"]]],
  },
  {
    name: "const compares objects deeply",
    schema: { const: { a: 1, b: [true, null] } },
    valid: [{ b: [true, null], a: 1 }],
    invalid: [[{ a: 1 }, [" const"]], [{ a: 1, b: [true, null], c: 0 }, [" const"]], [[], [" const"]]],
  },
  {
    name: "minimum, maximum and their exclusive forms bound numbers",
    schema: { minimum: 1, exclusiveMaximum: 10 },
    valid: [1, 9.99, "ignored for strings"],
    invalid: [[0.5, [" minimum"]], [10, [" exclusiveMaximum"]]],
  },
  {
    name: "exclusiveMinimum and maximum bound numbers",
    schema: { exclusiveMinimum: 0, maximum: 5 },
    valid: [0.1, 5],
    invalid: [[0, [" exclusiveMinimum"]], [5.5, [" maximum"]]],
  },
  {
    name: "draft-04 boolean exclusiveMinimum and exclusiveMaximum make the bounds strict",
    schema: { minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
    valid: [0.5],
    invalid: [[0, [" exclusiveMinimum"]], [1, [" exclusiveMaximum"]]],
  },
  {
    name: "multipleOf works for integers and decimals",
    schema: { multipleOf: 0.1 },
    valid: [0.3, 1.1, 7, -0.7],
    invalid: [[0.35, [" multipleOf"]]],
  },
  {
    name: "multipleOf with an integer divisor is exact",
    schema: { multipleOf: 3 },
    valid: [0, 9, -3, 3e20],
    invalid: [[10, [" multipleOf"]], [4.5, [" multipleOf"]], [2 ** 51 + 0.5, [" multipleOf"]]],
  },
  {
    name: "minLength and maxLength count Unicode code points",
    schema: { minLength: 2, maxLength: 3 },
    valid: ["ab", "abc", "😀😀", "😀😀😀", "é😀"],
    invalid: [["a", [" minLength"]], ["😀", [" minLength"]], ["abcd", [" maxLength"]], ["😀😀😀😀", [" maxLength"]]],
  },
  {
    name: "pattern is a Unicode-aware search, not an anchored match",
    schema: { pattern: "^\\p{Lu}" },
    valid: ["Ärger", "A", 42],
    invalid: [["ärger", [" pattern"]], ["", [" pattern"]]],
  },
  {
    name: "allOf requires every schema",
    schema: { allOf: [{ type: "number" }, { minimum: 2 }] },
    valid: [2, 3],
    invalid: [[1, [" minimum"]], ["x", [" type"]]],
  },
  {
    name: "anyOf requires at least one schema",
    schema: { anyOf: [{ type: "string" }, { type: "null" }] },
    valid: ["x", null],
    invalid: [[1, [" anyOf"]]],
  },
  {
    name: "oneOf rejects matching none or two",
    schema: { oneOf: [{ type: "integer" }, { minimum: 2 }] },
    valid: [1, 2.5],
    invalid: [[3, [" oneOf"]], [1.5, [" oneOf"]]],
  },
  {
    name: "not inverts a schema",
    schema: { not: { type: "string" } },
    valid: [1, null],
    invalid: [["x", [" not"]]],
  },
  {
    name: "if/then/else picks a branch by the condition",
    schema: {
      type: "object",
      if: { properties: { kind: { const: "circle" } }, required: ["kind"] },
      then: { required: ["radius"] },
      else: { required: ["side"] },
    },
    valid: [{ kind: "circle", radius: 1 }, { kind: "square", side: 2 }, { side: 1 }],
    invalid: [[{ kind: "circle", side: 1 }, [" required"]], [{ kind: "square" }, [" required"]]],
  },
  {
    name: "boolean schemas accept everything or nothing",
    schema: { properties: { yes: true, no: false } },
    valid: [{ yes: 1 }, {}],
    invalid: [[{ no: 1 }, ["/no false"]]],
  },
  {
    name: "$ref resolves into $defs and recursion follows the value",
    schema: tree,
    valid: [{ value: 1 }, { value: 1, children: [{ value: 2, children: [{ value: 3 }] }] }],
    invalid: [
      [{ value: 1, children: [{ value: 2, children: [{ value: "x" }] }] }, ["/children/0/children/0/value type"]],
      [{ value: 1, children: [{ value: 2, children: [{ value: 3, extra: true }] }] }, ["/children/0/children/0 additionalProperties"]],
    ],
  },
  {
    name: "$ref to # recurses through the root",
    schema: { type: ["number", "array"], items: { $ref: "#" } },
    valid: [1, [1, [2, [3]]]],
    invalid: [[[1, [2, ["x"]]], ["/1/1/0 type"]]],
  },
  {
    name: "$ref to #/definitions with escaped and percent-encoded names",
    schema: { definitions: { "a/b": { type: "string" }, "c%d": { type: "number" } }, properties: { x: { $ref: "#/definitions/a~1b" }, y: { $ref: "#/definitions/c%25d" } } },
    valid: [{ x: "s", y: 1 }],
    invalid: [[{ x: 1, y: "s" }, ["/x type", "/y type"]]],
  },
  {
    name: "$ref keeps its sibling keywords (2020-12)",
    schema: { $defs: { n: { type: "number" } }, $ref: "#/$defs/n", minimum: 1 },
    valid: [1],
    invalid: [[0, [" minimum"]], ["x", [" type"]]],
  },
  {
    name: "annotations and unknown keywords are ignored",
    schema: { title: "t", description: "d", default: 1, examples: [1], format: "email", $schema: "https://json-schema.org/draft/2020-12/schema", $id: "urn:x", $comment: "c", "x-vendor": 1, type: "string" },
    valid: ["not an email"],
    invalid: [[1, [" type"]]],
  },
];

const summarize = (problems: { path: string; keyword: string }[]) => problems.map((p) => `${p.path} ${p.keyword}`);

describe("compileSchema()", () => {
  for (const { name, schema, valid, invalid } of cases) {
    it(`compileSchema() validates: ${name}`, () => {
      const validate = compileSchema(schema);
      for (const value of valid) assert.deepEqual(validate(value), [], `expected valid: ${JSON.stringify(value)}`);
      for (const [value, expected] of invalid) {
        assert.deepEqual(summarize(validate(value)), expected, `for ${JSON.stringify(value)}`);
      }
    });
  }

  it("compileSchema() returns the same frozen empty array for every valid value", () => {
    const validate = compileSchema(tree);
    const first = validate({ value: 1 });
    assert.ok(Object.isFrozen(first));
    assert.equal(first.length, 0);
    assert.equal(validate({ value: 2, children: [{ value: 3 }] }), first);
    assert.equal(compileSchema({ type: "string" })("x"), first);
    assert.equal(compileSchema(true)(undefined), first);
  });

  it("compileSchema() writes short, precise messages", () => {
    const messages = (schema: JsonSchema, value: unknown) => compileSchema(schema)(value).map((p) => p.message);
    assert.deepEqual(messages({ type: "number" }, "x"), ["must be number"]);
    assert.deepEqual(messages({ type: ["string", "null"] }, 1), ["must be string or null"]);
    assert.deepEqual(messages({ required: ["a"] }, {}), ['must have required property "a"']);
    assert.deepEqual(messages({ additionalProperties: false }, { c: 1 }), ['must not have additional property "c"']);
    assert.deepEqual(messages({ minimum: 1 }, 0), ["must be >= 1"]);
    assert.deepEqual(messages({ exclusiveMaximum: 10 }, 10), ["must be < 10"]);
    assert.deepEqual(messages({ enum: ["x", "y"] }, "z"), ['must be one of ["x","y"]']);
    assert.deepEqual(messages({ const: 3 }, 4), ["must equal 3"]);
    assert.deepEqual(messages({ minLength: 2 }, "😀"), ["must NOT have fewer than 2 characters"]);
    assert.deepEqual(messages({ pattern: "^a" }, "b"), ['must match pattern "^a"']);
    assert.deepEqual(messages({ oneOf: [{}, {}] }, 1), ["must match exactly one schema in oneOf (matched 2)"]);
    assert.deepEqual(messages({ oneOf: [false, false] }, 1), ["must match exactly one schema in oneOf (matched 0)"]);
    assert.deepEqual(messages({ anyOf: [false] }, 1), ["must match a schema in anyOf"]);
    assert.deepEqual(messages({ uniqueItems: true }, [1, 2, 1]), ["must NOT have duplicate items (items 0 and 2 are identical)"]);
    assert.deepEqual(messages({ multipleOf: 3 }, 4), ["must be multiple of 3"]);
  });

  it("compileSchema() truncates long enum and const values in messages to about 100 characters", () => {
    const long = "x".repeat(500);
    const [enumProblem] = compileSchema({ enum: [long] })("y");
    const [constProblem] = compileSchema({ const: { long } })("y");
    assert.ok(enumProblem!.message.length <= 120 && enumProblem!.message.endsWith("..."));
    assert.ok(constProblem!.message.length <= 120 && constProblem!.message.endsWith("..."));
  });

  it("compileSchema() caps the problems from a hostile 10,000-element array", () => {
    const validate = compileSchema({ type: "array", items: { type: "string" } });
    const problems = validate(Array.from({ length: 10_000 }, (_, i) => i));
    assert.equal(problems.length, 20);
    assert.deepEqual(problems[19], { path: "/19", keyword: "type", message: "must be string" });
  });

  it("compileSchema() stops runaway recursion through $ref with a $ref problem", () => {
    let deep: unknown = { value: 0 };
    for (let i = 0; i < 10_000; i++) deep = { value: i, children: [deep] };
    const problems = compileSchema(tree)(deep);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.keyword, "$ref");
    assert.match(problems[0]!.message, /must not nest more than 256 levels/);
    assert.ok(problems[0]!.path.startsWith("/children/0/children/0/"));
    assert.deepEqual(compileSchema({ $ref: "#" })(1).map((p) => p.keyword), ["$ref"]);
  });

  it("compileSchema() bounds exponential work through $ref with a step budget", () => {
    const schema: JsonSchema = {
      $defs: { n: { oneOf: [{ type: "object", properties: { x: { $ref: "#/$defs/n" } } }, { properties: { x: { $ref: "#/$defs/n" } } }] } },
      $ref: "#/$defs/n",
    };
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { x: deep };
    const problems = compileSchema(schema)(deep);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /must not take more than 100000 \$ref steps/);
  });

  it("compileSchema() keeps a limit from being inverted by not", () => {
    const validate = compileSchema({ not: { $ref: "#" } });
    assert.equal(validate(1).length, 1);
  });

  it("compileSchema() rejects an unresolvable $ref with TypeError", () => {
    assert.throws(() => compileSchema({ $ref: "#/$defs/missing" }), TypeError);
    assert.throws(() => compileSchema({ $ref: "other.json#/a" }), TypeError);
    assert.throws(() => compileSchema({ $ref: "#anchor" }), TypeError);
    assert.throws(() => compileSchema({ $ref: "#/%E0%A4%A" }), TypeError);
    assert.throws(() => compileSchema({ $ref: 1 }), TypeError);
  });

  it("compileSchema() rejects an invalid pattern with TypeError", () => {
    assert.throws(() => compileSchema({ pattern: "(" }), /Cannot compile schema: #\/pattern must be a valid regular expression/);
    assert.throws(() => compileSchema({ patternProperties: { "[": {} } }), TypeError);
  });

  it("compileSchema() falls back to a non-Unicode RegExp when the u flag rejects a pattern", () => {
    const validate = compileSchema({ pattern: "^\\-$" }); // "\-" is an identity escape only without "u"
    assert.deepEqual(validate("-"), []);
  });

  it("compileSchema() rejects a non-schema and wrongly typed keyword values with TypeError", () => {
    for (const schema of [null, 1, "string", [], { properties: { a: 1 } }, { required: "a" }, { type: "float" },
      { type: [] }, { minLength: -1 }, { maxItems: 1.5 }, { minimum: "1" }, { multipleOf: 0 }, { enum: [] },
      { anyOf: {} }, { items: 3 }, { uniqueItems: 1 }, { not: null }]) {
      assert.throws(() => compileSchema(schema as JsonSchema), TypeError, JSON.stringify(schema));
    }
    assert.throws(() => compileSchema({ properties: { "a/b": { required: "x" } } }), /#\/properties\/a~1b\/required must be an array of strings/);
  });

  it("compileSchema() accepts boolean schemas at the root", () => {
    assert.deepEqual(compileSchema(true)({ anything: 1 }), []);
    assert.deepEqual(compileSchema(false)(1), [{ path: "", keyword: "false", message: "must not be present" }]);
  });
});

describe("formatProblems()", () => {
  it("formatProblems() joins path, message and keyword, naming the root (root)", () => {
    const problems = compileSchema({ type: "object", properties: { b: { type: "number" } }, required: ["a"] })({ b: "x" });
    assert.equal(formatProblems(problems), '/b: must be number (type); (root): must have required property "a" (required)');
  });

  it("formatProblems() returns an empty string for no problems", () => {
    assert.equal(formatProblems([]), "");
  });
});
