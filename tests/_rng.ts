/**
 * Test helpers for the adversarial suites: a seeded PRNG (mulberry32) and
 * generators of malformed MCP/JSON-RPC input. Deterministic for a seed, and
 * independent of lib/, like tests/_client.ts.
 *
 * Generated JSON is assembled as text ({@linkcode encode}), so it can hold
 * what `JSON.stringify` cannot write or would choke on: `-0`, `1e400`, integer
 * literals past 2^53, and nesting 10 000 levels deep.
 */

/** mulberry32: a tiny, fast 32-bit PRNG; the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random source with the few draws the generators need. */
export class Rng {
  readonly seed: number;
  #next: () => number;

  constructor(seed: number) {
    this.seed = seed;
    this.#next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.#next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A new generator seeded from this one, so sub-streams do not shift each other. */
  fork(): Rng {
    return new Rng(Math.floor(this.#next() * 2 ** 32));
  }
}

/** JSON text inserted verbatim by {@linkcode encode}. */
export class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** A JSON-like value that may contain {@linkcode Raw} pieces. */
export type Fuzzed = null | boolean | number | string | Raw | Fuzzed[] | { [key: string]: Fuzzed };

/** Sets an own, enumerable property, even `__proto__`, without touching the prototype. */
export function put(target: Record<string, Fuzzed>, key: string, value: Fuzzed): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Serialises a {@linkcode Fuzzed} value; never recurses into Raw text, so deep nesting costs nothing. */
export function encode(value: Fuzzed): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(encode).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${encode(value[k]!)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels, as JSON text. */
export function deepText(depth: number, kind: "array" | "object" | "mixed" = "array"): string {
  if (kind === "array") return "[".repeat(depth) + "]".repeat(depth);
  if (kind === "object") return '{"a":'.repeat(depth) + "null" + "}".repeat(depth);
  let open = "";
  let close = "";
  for (let i = 0; i < depth; i++) {
    if (i % 2 === 0) {
      open += "[";
      close = "]" + close;
    } else {
      open += '{"k":';
      close = "}" + close;
    }
  }
  return open + "0" + close;
}

/** Strings that trip up naive code: empty, whitespace, control characters, unicode, lone surrogates, prototype keys. */
const TRICKY_STRINGS = [
  "",
  " ",
  "\t\r\n",
  "\u0000",
  "\u0000nul inside",
  "line\nbreak\rand\r\ncrlf",
  "data: {\"jsonrpc\":\"2.0\"}\n\nevent: endpoint",
  "\u2028\u2029",
  "ünïcödé ✓",
  "😀🚀👩‍👩‍👧‍👦",
  "\ud800",
  "\udfff\ud800",
  "‮RTL override",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e308",
  "12345678901234567890",
  "%00%ff%",
  "{{id}}",
  "${x}",
  "<script>alert(1)</script>",
  "'; DROP TABLE tools; --",
  "../../../../etc/passwd",
  "file:///",
  "test://",
  "test://static",
  "users://42/profile",
  "2025-11-25",
  "2024-11-05",
  "tools/call",
  "add",
  "notifications/cancelled",
];

/** JSON number literals that are legal but odd, written verbatim. */
const ODD_NUMBERS = [
  "-0",
  "0.0",
  "-0.0",
  "1e308",
  "-1e308",
  "1e400",
  "-1e400",
  "5e-324",
  "1e-400",
  "9007199254740993",
  "-9007199254740993",
  "123456789012345678901234567890",
  "1E+2",
  "0.1",
  "1.5",
  "-1",
  "2147483648",
  "4294967296",
];

/** A random string: tricky, random printable, random unicode, or long. */
export function randomString(rng: Rng): string {
  switch (rng.int(5)) {
    case 0:
      return rng.pick(TRICKY_STRINGS);
    case 1: {
      let s = "";
      const n = rng.int(24);
      for (let i = 0; i < n; i++) s += String.fromCharCode(rng.range(0x20, 0x7e));
      return s;
    }
    case 2: {
      let s = "";
      const n = rng.int(12);
      for (let i = 0; i < n; i++) s += String.fromCodePoint(rng.pick([rng.range(0, 0x7f), rng.range(0x80, 0xd7ff), rng.range(0xe000, 0x10ffff)]));
      return s;
    }
    case 3:
      return "x".repeat(rng.chance(0.05) ? 65_536 : rng.pick([256, 4096]));
    default:
      return `s${rng.int(1000)}`;
  }
}

/**
 * A value of a random JSON type, weighted towards the edges: null, booleans,
 * odd numbers, tricky strings, empty and nested containers, and (unless
 * `deep` is false) nesting up to 10 000 levels deep.
 */
export function weirdValue(rng: Rng, depth = 0, deep = true): Fuzzed {
  switch (rng.int(depth > 2 ? 9 : 13)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return new Raw(rng.pick(ODD_NUMBERS));
    case 3:
      return rng.pick([0, 1, -1, 42, 3.14, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 31, 1e21]);
    case 4:
    case 5:
      return randomString(rng);
    case 6:
      return [];
    case 7:
      return {};
    case 8: {
      const levels = rng.pick([64, 1000, 10_000]);
      const kind = rng.pick(["array", "object", "mixed"] as const);
      return deep ? new Raw(deepText(levels, kind)) : new Raw(deepText(8, kind));
    }
    case 9:
    case 10: {
      const items: Fuzzed[] = [];
      const n = rng.int(4);
      for (let i = 0; i < n; i++) items.push(weirdValue(rng, depth + 1, deep));
      return items;
    }
    default: {
      const obj: Record<string, Fuzzed> = {};
      const n = rng.int(4);
      for (let i = 0; i < n; i++) put(obj, randomString(rng).slice(0, 32), weirdValue(rng, depth + 1, deep));
      return obj;
    }
  }
}

/** A request id that is valid JSON-RPC (string or finite number), as the fuzzer picks them. */
export function randomId(rng: Rng, n: number): Fuzzed {
  return rng.chance(0.5) ? n : `id-${n}`;
}

/** Invalid UTF-8 byte sequences: lone continuation bytes, truncated and overlong forms, surrogates, 0xFF. */
const BAD_UTF8: number[][] = [
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xc3],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0x00],
];

/**
 * Inserts invalid UTF-8 bytes into `text`: inside a string literal when it has
 * one (the JSON stays structurally valid), elsewhere otherwise.
 */
export function withInvalidUtf8(rng: Rng, text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const quotes: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x22) quotes.push(i);
  const at = quotes.length > 0 && rng.chance(0.7) ? quotes[rng.int(quotes.length)]! + 1 : rng.int(bytes.length + 1);
  const bad = rng.pick(BAD_UTF8);
  const out = new Uint8Array(bytes.length + bad.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(bad, at);
  out.set(bytes.subarray(at), at + bad.length);
  return out;
}

/** `text` cut at a random point (never whole, possibly empty). */
export function truncate(rng: Rng, text: string): string {
  return text.slice(0, rng.int(text.length));
}

/** `text` with one random edit: a deleted, duplicated, swapped or foreign character. */
export function corrupt(rng: Rng, text: string): string {
  if (text.length === 0) return rng.pick(["{", "}", "[", "\"", ","]);
  const at = rng.int(text.length);
  switch (rng.int(4)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + text[at] + text.slice(at);
    case 2:
      return text.slice(0, at) + rng.pick(["{", "}", "[", "]", "\"", ",", ":", "\\", "'", "\u0000", "\n", "NaN", "undefined"]) + text.slice(at);
    default:
      return text.slice(0, at) + rng.pick(["'", "`", "/*", "//"]) + text.slice(at + 1);
  }
}

/** Bodies that are not JSON at all, or not what anyone would send. */
export const NOT_JSON = [
  "",
  " ",
  "\n",
  "{",
  "}",
  "[",
  "]",
  "{]",
  "[}",
  "{\"jsonrpc\":\"2.0\",}",
  "{'jsonrpc':'2.0'}",
  "{jsonrpc:\"2.0\"}",
  "NaN",
  "Infinity",
  "-Infinity",
  "undefined",
  "nul",
  "tru",
  "\"unterminated",
  "0x10",
  "01",
  "1.",
  ".5",
  "+1",
  "\ufeff{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}",
  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}",
  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} trailing",
  "/* comment */ {}",
  "<?xml version=\"1.0\"?><methodCall/>",
  "GET / HTTP/1.1\r\n\r\n",
  "jsonrpc=2.0&id=1&method=ping",
  "\u0000\u0000\u0000\u0000",
];

/** JSON values that parse but are not a JSON-RPC object. */
export const NOT_OBJECTS = ["null", "true", "false", "0", "-0", "1e400", "\"ping\"", "\"\"", "[]", "[[]]", "[null]", "[1,2,3]", "[[[[]]]]", "{}"];
