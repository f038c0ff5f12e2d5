/**
 * JSON Schema validation of tool arguments, compiled once and run on every call.
 *
 * MCP tools describe their arguments with `inputSchema` (and results with
 * `outputSchema`); spec 2025-11-25 makes JSON Schema 2020-12 the default dialect.
 * This file covers the subset such schemas use: `type`, `enum`, `const`, the
 * numeric, string, array and object assertions, `properties` /
 * `patternProperties` / `additionalProperties`, `prefixItems` / `items`,
 * `allOf` / `anyOf` / `oneOf` / `not`, `if` / `then` / `else` and local `$ref`
 * (`#`, `#/$defs/…`, any `#/…` pointer, recursion included; a `$ref` to another
 * document or an `$anchor` is a compile error). Draft-07 spellings
 * (`definitions`, array-form `items` with `additionalItems`) and draft-04 boolean
 * `exclusiveMinimum` / `exclusiveMaximum` are accepted. Annotations (`title`,
 * `format`, …) and unknown keywords are ignored, as are `contains`,
 * `propertyNames`, `dependent*` and `unevaluated*`.
 *
 * A schema compiles to a tree of small closures, because validation runs on every
 * `tools/call`. Validating a valid value allocates nothing (bar `uniqueItems` on
 * arrays over 32 items): paths and messages are built only when a problem is found.
 * Hostile input is bounded: at most 20 problems are collected, and recursion
 * through `$ref` stops at 256 levels or 100,000 steps with a `$ref` problem.
 *
 * @module
 */

/** A JSON Schema: an object of keywords, or `true` (anything) / `false` (nothing). */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/** One failed rule. `path` is a JSON Pointer into the validated value ("" = root, "/a/0/b"); `keyword` is the rule ("type", "required", ...). */
export interface SchemaProblem { path: string; keyword: string; message: string }

/**
 * Checks a value; returns the problems found, or one shared frozen empty array when it is valid.
 *
 * @example
 * ```ts
 * const problems = validate(args);
 * if (problems.length > 0) throw new TypeError(formatProblems(problems));
 * ```
 */
export type Validator = (value: unknown) => SchemaProblem[];

type Obj = { readonly [key: string]: unknown };
/** Checks one rule. Problems are recorded only when `report` is true: anyOf/oneOf/not/if probe silently. */
type Check = (value: unknown, report: boolean) => boolean;
/** Compiles one keyword; `where` is its location in the schema, for compile errors. */
type Maker = (value: unknown, schema: Obj, where: string, ctx: Ctx) => Check | undefined;
interface Ctx { readonly root: JsonSchema; readonly refs: Map<string, Check> }

const MAX_PROBLEMS = 20;
const MAX_NESTING = 256;
const MAX_STEPS = 100_000;
const NONE = Object.freeze([]) as unknown as SchemaProblem[];
const LIMIT = new RangeError("Cannot validate: limit reached");

// Validation is synchronous and runs no user code, so one set of state serves every validator.
const at: (string | number)[] = []; // path stack; at[0 .. depth) is the current location
let depth = 0;
let found: SchemaProblem[] | undefined;
let nested = 0;
let steps = 0;
let limitKeyword = "";
let limitMessage = "";

/**
 * Compiles a JSON Schema into a validator. Compile once (at tool registration),
 * validate many times. Validators are not re-entrant, which is fine: they call no user code.
 *
 * @param schema the schema, e.g. a tool's `inputSchema`
 * @returns a function listing the problems with a value (at most 20)
 * @throws {TypeError} for a schema it cannot compile: not an object or boolean,
 *   an unresolvable `$ref`, an invalid `pattern`, or a keyword with a wrongly typed
 *   value such as `required: "a"`
 * @example
 * ```ts
 * const validate = compileSchema({ type: "object", properties: { n: { type: "integer" } }, required: ["n"] });
 * validate({ n: 1 }); // []
 * validate({ n: 1.5 }); // [{ path: "/n", keyword: "type", message: "must be integer" }]
 * ```
 */
export function compileSchema(schema: JsonSchema): Validator {
  const check = compile(schema, "#", { root: schema, refs: new Map() });
  return (value) => {
    found = undefined;
    depth = nested = steps = 0;
    try {
      check(value, true);
    } catch (error) {
      if (error !== LIMIT) throw error;
      problem(limitKeyword, limitMessage);
    }
    const problems = found ?? NONE;
    found = undefined;
    return problems;
  };
}

/**
 * Renders problems as one line of text, for an error message.
 *
 * @param problems what a {@linkcode Validator} returned
 * @returns `"<path>: <message> (<keyword>)"` items joined by `"; "`, the root shown as `(root)`
 * @example
 * ```ts
 * formatProblems([{ path: "/b", keyword: "type", message: "must be number" }]);
 * // "/b: must be number (type)"
 * ```
 */
export function formatProblems(problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${p.path || "(root)"}: ${p.message} (${p.keyword})`).join("; ");
}

// --- validation state helpers -------------------------------------------------

function pointer(): string {
  let path = "";
  for (let i = 0; i < depth; i++) path += "/" + esc(String(at[i]));
  return path;
}

/** Records a problem at the current path (up to the cap). Callers guard with `report &&`. */
function problem(keyword: string, message: string): false {
  if ((found ??= []).length < MAX_PROBLEMS) found.push({ path: pointer(), keyword, message });
  return false;
}

/** After a failure: stop at once when probing, or when the problem cap is reached. */
const stop = (report: boolean): boolean => !report || (found !== undefined && found.length >= MAX_PROBLEMS);

function child(check: Check, value: unknown, key: string | number, report: boolean): boolean {
  at[depth++] = key;
  const ok = check(value, report);
  depth--;
  return ok;
}

function limit(keyword: string, message: string): never {
  limitKeyword = keyword;
  limitMessage = message;
  throw LIMIT;
}

// --- compiling ------------------------------------------------------------------

const pass: Check = () => true;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const bad = (where: string, what: string) => new TypeError(`Cannot compile schema: ${where} ${what}`);
const esc = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");
const quote = (value: unknown) => clip(JSON.stringify(value) ?? String(value));
const clip = (text: string) => (text.length > 100 ? text.slice(0, 97) + "..." : text);

function compile(schema: unknown, where: string, ctx: Ctx): Check {
  if (schema === true) return pass;
  if (schema === false) return (_v, r) => r && problem("false", "must not be present");
  if (!isObject(schema)) throw bad(where, "must be an object or a boolean");
  const checks: Check[] = [];
  for (const keyword of Object.keys(schema)) {
    const make = Object.hasOwn(KEYWORDS, keyword) ? KEYWORDS[keyword] : undefined;
    const check = make?.(schema[keyword], schema, `${where}/${esc(keyword)}`, ctx);
    if (check) checks.push(check);
  }
  return all(checks);
}

function all(checks: Check[]): Check {
  if (checks.length <= 1) return checks[0] ?? pass;
  return (v, r) => {
    let ok = true;
    for (let i = 0; i < checks.length; i++) {
      if (!checks[i]!(v, r)) { ok = false; if (stop(r)) break; }
    }
    return ok;
  };
}

/** Returns a keyword's value if `ok`, else throws: wrong keyword values are caught at registration. */
function need<T>(ok: boolean, value: unknown, where: string, what: string): T {
  if (ok) return value as T;
  throw bad(where, what);
}
const count = (v: unknown, where: string) => need<number>(Number.isInteger(v) && (v as number) >= 0, v, where, "must be a non-negative integer");
const num = (v: unknown, where: string) => need<number>(Number.isFinite(v), v, where, "must be a number");
const object = (v: unknown, where: string) => need<Obj>(isObject(v), v, where, "must be an object");
const list = (v: unknown, where: string) => need<readonly unknown[]>(Array.isArray(v) && v.length > 0, v, where, "must be a non-empty array");

function schemas(value: unknown, where: string, ctx: Ctx): Check[] {
  return list(value, where).map((s, i) => compile(s, `${where}/${i}`, ctx));
}

function regex(source: unknown, where: string): RegExp {
  if (typeof source !== "string") throw bad(where, "must be a string");
  for (const flags of ["u", ""]) {
    try {
      return new RegExp(source, flags);
    } catch { /* without "u", "\\-" and other legacy escapes are allowed */ }
  }
  throw bad(where, `must be a valid regular expression, got ${quote(source)}`);
}

function matchesAny(res: readonly RegExp[], key: string): boolean {
  for (let i = 0; i < res.length; i++) if (res[i]!.test(key)) return true;
  return false;
}

/** Resolves a local `$ref` (RFC 6901 pointer in a URI fragment) against the root schema. */
function resolve(root: unknown, ref: string, where: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) throw bad(where, `cannot resolve ${quote(ref)}: only local "#/..." refs are supported`);
  let node = root;
  for (const part of ref.slice(2).split("/")) {
    let key: string;
    try {
      key = decodeURIComponent(part).replaceAll("~1", "/").replaceAll("~0", "~");
    } catch {
      throw bad(where, `cannot resolve ${quote(ref)}: bad percent-encoding`);
    }
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) {
      throw bad(where, `cannot resolve ${quote(ref)}`);
    }
    node = (node as Obj)[key];
  }
  return node;
}

// --- value helpers ----------------------------------------------------------------

function ownKeys(o: Obj): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) n++;
  return n;
}

/** Unicode code points, so "😀" (two UTF-16 units) counts as one character, as JSON Schema requires. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n--; i++; }
    }
  }
  return n;
}

/** JSON equality: 1 equals 1.0, key order does not matter, arrays compare element-wise. */
function equal(a: unknown, b: unknown, d = 0): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (d > MAX_NESTING) limit("uniqueItems", `must not nest more than ${MAX_NESTING} levels deep`);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i], d + 1)) return false;
    return true;
  }
  let n = 0;
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue;
    n++;
    if (!Object.hasOwn(b, k) || !equal((a as Obj)[k], (b as Obj)[k], d + 1)) return false;
  }
  return n === ownKeys(b as Obj);
}

/** A string equal for JSON-equal values, to find duplicates in long arrays in O(n log n). */
function canonical(v: unknown, d: number): string {
  if (d > MAX_NESTING) limit("uniqueItems", `must not nest more than ${MAX_NESTING} levels deep`);
  if (Array.isArray(v)) return `[${v.map((e) => canonical(e, d + 1)).join(",")}]`;
  if (!isObject(v)) return JSON.stringify(v) ?? "null";
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k], d + 1)}`).join(",")}}`;
}

/** Indices of the first two equal items, or undefined. Short arrays compare pairwise without allocating. */
function duplicate(items: readonly unknown[]): [number, number] | undefined {
  if (items.length <= 32) {
    for (let j = 1; j < items.length; j++) {
      for (let i = 0; i < j; i++) if (equal(items[i], items[j])) return [i, j];
    }
    return undefined;
  }
  const seen = new Map<string, number>();
  for (let j = 0; j < items.length; j++) {
    const key = canonical(items[j], 0);
    const i = seen.get(key);
    if (i !== undefined) return [i, j];
    seen.set(key, j);
  }
  return undefined;
}

/** A check on numbers only; other types pass (that is `type`'s job). */
function bound(keyword: string, message: string, test: (n: number) => boolean): Check {
  return (v, r) => typeof v !== "number" || test(v) || (r && problem(keyword, message));
}

/** minItems & co.: `measure` gives the size of a value the keyword applies to, or -1 to let it pass. */
function size(keyword: string, noun: string, measure: (v: unknown) => number): Maker {
  const min = keyword.startsWith("min");
  return (value, _s, where) => {
    const n = count(value, where);
    const message = `must NOT have ${min ? "fewer" : "more"} than ${n} ${noun}`;
    return (v, r) => {
      const m = measure(v);
      return m < 0 || (min ? m >= n : m <= n) || (r && problem(keyword, message));
    };
  };
}

/** Checks items from index `start` on: `items` after `prefixItems`, or draft-07 `additionalItems`. */
function rest(value: unknown, start: number, keyword: string, where: string, ctx: Ctx): Check | undefined {
  if (value === true) return undefined;
  if (value === false) {
    const message = `must NOT have more than ${start} items`;
    return (v, r) => !Array.isArray(v) || v.length <= start || (r && problem(keyword, message));
  }
  const check = compile(value, where, ctx);
  return (v, r) => {
    if (!Array.isArray(v)) return true;
    let ok = true;
    for (let i = start; i < v.length; i++) {
      if (!child(check, v[i], i, r)) { ok = false; if (stop(r)) break; }
    }
    return ok;
  };
}

/** Checks items positionally: `prefixItems`, or draft-07 array-form `items`. */
function tuple(value: unknown, where: string, ctx: Ctx): Check {
  const checks = schemas(value, where, ctx);
  return (v, r) => {
    if (!Array.isArray(v)) return true;
    let ok = true;
    for (let i = 0; i < checks.length && i < v.length; i++) {
      if (!child(checks[i]!, v[i], i, r)) { ok = false; if (stop(r)) break; }
    }
    return ok;
  };
}

const TYPES: Readonly<Record<string, (v: unknown) => boolean>> = {
  null: (v) => v === null,
  boolean: (v) => typeof v === "boolean",
  object: isObject,
  array: Array.isArray,
  number: Number.isFinite,
  integer: Number.isInteger,
  string: (v) => typeof v === "string",
};

const KEYWORDS: Readonly<Record<string, Maker>> = {
  type(value, _s, where) {
    const names = typeof value === "string" ? [value] : value;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === "string" && Object.hasOwn(TYPES, n))) {
      throw bad(where, "must be a JSON type name or a non-empty array of them");
    }
    const tests = names.map((n: string) => TYPES[n]!);
    const message = `must be ${names.join(" or ")}`;
    const [only] = tests;
    if (tests.length === 1) return (v, r) => only!(v) || (r && problem("type", message));
    return (v, r) => {
      for (let i = 0; i < tests.length; i++) if (tests[i]!(v)) return true;
      return r && problem("type", message);
    };
  },
  enum(value, _s, where) {
    const options = list(value, where);
    const message = `must be one of ${quote(options)}`;
    if (options.every((o) => typeof o !== "object" || o === null)) {
      return (v, r) => options.includes(v) || (r && problem("enum", message));
    }
    return (v, r) => {
      for (let i = 0; i < options.length; i++) if (equal(v, options[i])) return true;
      return r && problem("enum", message);
    };
  },
  const(value) {
    const message = `must equal ${quote(value)}`;
    return (v, r) => equal(v, value) || (r && problem("const", message));
  },
  minimum(value, s, where) {
    const n = num(value, where);
    if (s.exclusiveMinimum === true) return bound("exclusiveMinimum", `must be > ${n}`, (x) => x > n);
    return bound("minimum", `must be >= ${n}`, (x) => x >= n);
  },
  maximum(value, s, where) {
    const n = num(value, where);
    if (s.exclusiveMaximum === true) return bound("exclusiveMaximum", `must be < ${n}`, (x) => x < n);
    return bound("maximum", `must be <= ${n}`, (x) => x <= n);
  },
  exclusiveMinimum(value, _s, where) {
    if (typeof value === "boolean") return undefined; // draft-04 form, applied by `minimum`
    const n = num(value, where);
    return bound("exclusiveMinimum", `must be > ${n}`, (x) => x > n);
  },
  exclusiveMaximum(value, _s, where) {
    if (typeof value === "boolean") return undefined;
    const n = num(value, where);
    return bound("exclusiveMaximum", `must be < ${n}`, (x) => x < n);
  },
  multipleOf(value, _s, where) {
    const m = num(value, where);
    if (m <= 0) throw bad(where, "must be greater than 0");
    // Integer divisors are exact with %; decimal ones (0.1) tolerate the rounding of x / m.
    const test = Number.isInteger(m)
      ? (x: number) => x % m === 0
      : (x: number) => { const q = x / m; return Math.abs(q - Math.round(q)) <= 2 * Number.EPSILON * Math.abs(q); };
    return bound("multipleOf", `must be multiple of ${m}`, test);
  },
  minLength(value, _s, where) {
    const n = count(value, where);
    const message = `must NOT have fewer than ${n} characters`;
    // A string has at least length / 2 code points, so long strings need no counting.
    return (v, r) => typeof v !== "string" || v.length >= 2 * n || codePoints(v) >= n || (r && problem("minLength", message));
  },
  maxLength(value, _s, where) {
    const n = count(value, where);
    const message = `must NOT have more than ${n} characters`;
    return (v, r) => typeof v !== "string" || v.length <= n || codePoints(v) <= n || (r && problem("maxLength", message));
  },
  pattern(value, _s, where) {
    const re = regex(value, where);
    const message = `must match pattern "${value as string}"`;
    return (v, r) => typeof v !== "string" || re.test(v) || (r && problem("pattern", message));
  },
  minItems: size("minItems", "items", (v) => (Array.isArray(v) ? v.length : -1)),
  maxItems: size("maxItems", "items", (v) => (Array.isArray(v) ? v.length : -1)),
  uniqueItems(value, _s, where) {
    if (typeof value !== "boolean") throw bad(where, "must be a boolean");
    if (!value) return undefined;
    return (v, r) => {
      const pair = Array.isArray(v) ? duplicate(v) : undefined;
      return !pair || (r && problem("uniqueItems", `must NOT have duplicate items (items ${pair[0]} and ${pair[1]} are identical)`));
    };
  },
  prefixItems: (value, _s, where, ctx) => tuple(value, where, ctx),
  items(value, s, where, ctx) {
    if (Array.isArray(value)) return tuple(value, where, ctx); // draft-07 array form
    return rest(value, Array.isArray(s.prefixItems) ? s.prefixItems.length : 0, "items", where, ctx);
  },
  additionalItems(value, s, where, ctx) {
    return Array.isArray(s.items) ? rest(value, s.items.length, "additionalItems", where, ctx) : undefined;
  },
  minProperties: size("minProperties", "properties", (v) => (isObject(v) ? ownKeys(v) : -1)),
  maxProperties: size("maxProperties", "properties", (v) => (isObject(v) ? ownKeys(v) : -1)),
  required(value, _s, where) {
    if (!Array.isArray(value) || !value.every((k) => typeof k === "string")) throw bad(where, "must be an array of strings");
    const names: readonly string[] = value;
    const messages = names.map((k) => `must have required property ${quote(k)}`);
    return (v, r) => {
      if (!isObject(v)) return true;
      let ok = true;
      for (let i = 0; i < names.length; i++) {
        if (!Object.hasOwn(v, names[i]!)) { ok = r && problem("required", messages[i]!); if (stop(r)) break; }
      }
      return ok;
    };
  },
  properties(value, _s, where, ctx) {
    const map = object(value, where);
    const keys = Object.keys(map);
    const checks = keys.map((k) => compile(map[k], `${where}/${esc(k)}`, ctx));
    return (v, r) => {
      if (!isObject(v)) return true;
      let ok = true;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (Object.hasOwn(v, k) && !child(checks[i]!, v[k], k, r)) { ok = false; if (stop(r)) break; }
      }
      return ok;
    };
  },
  patternProperties(value, _s, where, ctx) {
    const map = object(value, where);
    const sources = Object.keys(map);
    const res = sources.map((p) => regex(p, where));
    const checks = sources.map((p) => compile(map[p], `${where}/${esc(p)}`, ctx));
    return (v, r) => {
      if (!isObject(v)) return true;
      let ok = true;
      for (const k in v) {
        for (let i = 0; i < res.length; i++) {
          if (res[i]!.test(k) && Object.hasOwn(v, k) && !child(checks[i]!, v[k], k, r)) { ok = false; if (stop(r)) return false; }
        }
      }
      return ok;
    };
  },
  additionalProperties(value, s, where, ctx) {
    if (value === true) return undefined;
    const known = new Set(isObject(s.properties) ? Object.keys(s.properties) : []);
    const res = isObject(s.patternProperties) ? Object.keys(s.patternProperties).map((p) => regex(p, where)) : [];
    const extra = value === false ? undefined : compile(value, where, ctx);
    return (v, r) => {
      if (!isObject(v)) return true;
      let ok = true;
      for (const k in v) {
        if (known.has(k) || matchesAny(res, k) || !Object.hasOwn(v, k)) continue;
        const good = extra
          ? child(extra, v[k], k, r)
          : r && problem("additionalProperties", `must not have additional property ${quote(k)}`);
        if (!good) { ok = false; if (stop(r)) return false; }
      }
      return ok;
    };
  },
  allOf: (value, _s, where, ctx) => all(schemas(value, where, ctx)),
  anyOf(value, _s, where, ctx) {
    const checks = schemas(value, where, ctx);
    return (v, r) => {
      for (let i = 0; i < checks.length; i++) if (checks[i]!(v, false)) return true;
      return r && problem("anyOf", "must match a schema in anyOf");
    };
  },
  oneOf(value, _s, where, ctx) {
    const checks = schemas(value, where, ctx);
    return (v, r) => {
      let matched = 0;
      for (let i = 0; i < checks.length && (r || matched < 2); i++) if (checks[i]!(v, false)) matched++;
      return matched === 1 || (r && problem("oneOf", `must match exactly one schema in oneOf (matched ${matched})`));
    };
  },
  not(value, _s, where, ctx) {
    const check = compile(value, where, ctx);
    return (v, r) => !check(v, false) || (r && problem("not", "must NOT match the schema in not"));
  },
  if(value, s, where, ctx) {
    const base = where.slice(0, -"if".length);
    const test = compile(value, where, ctx);
    const then = s.then === undefined ? pass : compile(s.then, base + "then", ctx);
    const otherwise = s.else === undefined ? pass : compile(s.else, base + "else", ctx);
    return (v, r) => (test(v, false) ? then(v, r) : otherwise(v, r));
  },
  $ref(value, _s, where, ctx) {
    if (typeof value !== "string") throw bad(where, "must be a string");
    const known = ctx.refs.get(value);
    if (known) return known;
    // Register a trampoline before compiling the target, so recursive schemas terminate.
    let target: Check = pass;
    const check: Check = (v, r) => {
      if (++steps > MAX_STEPS) limit("$ref", `must not take more than ${MAX_STEPS} $ref steps to validate`);
      if (++nested > MAX_NESTING) limit("$ref", `must not nest more than ${MAX_NESTING} levels through $ref`);
      const ok = target(v, r);
      nested--;
      return ok;
    };
    ctx.refs.set(value, check);
    target = compile(resolve(ctx.root, value, where), value, ctx);
    return check;
  },
};
