/**
 * RFC 6570 URI templates, as MCP resource templates use them: `resources/templates/list`
 * advertises a `uriTemplate`, and `resources/read` must map a concrete URI back to it.
 *
 * Expansion: RFC 6570 levels 1–4, all eight operators (`+ # . / ; ? &` and none), the
 * explode `*` and prefix `:n` modifiers. Not supported: associative-array (object) values.
 *
 * Matching is not defined by the RFC, so these are our rules:
 * - Literal text must match exactly (case-sensitive). Literals are first normalised as
 *   RFC 6570 §3.1 says: characters not allowed in a URI are percent-encoded.
 * - `{var}`, `{.var}` and `{/var}` match a non-empty run without a raw `/ ? # &` (nor the
 *   operator's separator `,` `.` `/` when the expression has several values); `{+var}`
 *   and `{#var}` may contain anything, so `file:///{+path}` matches `file:///a/b/c`.
 * - A value ends where what follows it in the template first appears: the next literal, or
 *   the next operator's `. / ; ? & #`; a literal that ends the template (but for parameter
 *   lists) counts only at the end, so `{+path}.json` takes `a.json/b` from `a.json/b.json`.
 *   Matching never backtracks into a value, so time is linear in the URI (no ReDoS). Hence
 *   `{a}{b}` (nothing between) never matches, nor do `{+dir}/{file}` and `{/dirs*}/{file}`
 *   (the value stops at the first `/`): end such templates with `{+path}` instead.
 * - `{/seg*}`, `{.ext*}`, `{list*}` take one or more items and return `string[]`. `{x,y}`
 *   needs every variable; an exploded one takes the surplus items.
 * - `{;x,y}`, `{?x,y}`, `{&x}` (and runs such as `{?x}{&y}`) read `name=value` pairs in any
 *   order: missing variables are left out, unknown names ignored, the first occurrence
 *   wins unless the variable is exploded (`{?tag*}` returns all of them).
 * - `:n` prefixes are ignored. Values are decoded with `decodeURIComponent` (`+` stays `+`);
 *   a malformed escape means no match. A variable used twice keeps its first value.
 * @module
 */

/**
 * A parsed RFC 6570 URI template; see {@linkcode parseUriTemplate}.
 *
 * @example
 * ```ts
 * import { parseUriTemplate } from "./uri_template.ts";
 * const t = parseUriTemplate("file:///{+path}");
 * t.variables; // ["path"]
 * t.match("file:///a/b%20c"); // { path: "a/b c" }
 * t.match("http://x"); // undefined
 * ```
 */
export interface UriTemplate {
  readonly template: string;
  /** Variable names in order of appearance. */
  readonly variables: readonly string[];
  /**
   * Variables extracted from `uri`, or undefined when it does not match. Values are
   * percent-decoded. Exploded list variables ({/path*}) come back as string[]; others as string.
   */
  match(uri: string): Record<string, string | string[]> | undefined;
  /**
   * RFC 6570 expansion: undefined values and empty lists are omitted (RFC 6570 §2.3).
   * @throws {TypeError} For an object value. {URIError} for a lone surrogate.
   */
  expand(values: Record<string, string | number | boolean | readonly string[] | undefined>): string;
}

interface Operator {
  readonly prefix: string;
  readonly sep: string;
  readonly named: boolean;
  readonly ifEmpty: string;
  readonly reserved: boolean;
  /** Raw characters a matched value may not contain (a regex class body). */
  readonly delims: string;
}
interface VarSpec { readonly name: string; readonly explode: boolean; readonly prefix: number }
interface Expression { readonly op: Operator; readonly vars: VarSpec[] }
type Part = string | Expression;

// RFC 6570 Appendix A, plus our matching delimiters.
const D = "/?#&";
const OPERATORS: Record<string, Operator> = {
  "": { prefix: "", sep: ",", named: false, ifEmpty: "", reserved: false, delims: D },
  "+": { prefix: "", sep: ",", named: false, ifEmpty: "", reserved: true, delims: "" },
  "#": { prefix: "#", sep: ",", named: false, ifEmpty: "", reserved: true, delims: "" },
  ".": { prefix: ".", sep: ".", named: false, ifEmpty: "", reserved: false, delims: D },
  "/": { prefix: "/", sep: "/", named: false, ifEmpty: "", reserved: false, delims: D },
  ";": { prefix: ";", sep: ";", named: true, ifEmpty: "", reserved: false, delims: D },
  "?": { prefix: "?", sep: "&", named: true, ifEmpty: "=", reserved: false, delims: "#" },
  "&": { prefix: "&", sep: "&", named: true, ifEmpty: "=", reserved: false, delims: "#" },
};
const VARSPEC = /^((?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*)(?:(\*)|:([1-9][0-9]{0,3}))?$/;

/**
 * Parses an RFC 6570 URI template once, compiling its matcher.
 *
 * @param template The template, e.g. `"users/{id}{?fields,sort}"`.
 * @returns The template's variables, a matcher and an expander.
 * @throws {TypeError} When the template is malformed: `Cannot parse URI template "x{": unclosed expression at 1`.
 * @example
 * ```ts
 * import { parseUriTemplate } from "./uri_template.ts";
 * const t = parseUriTemplate("users/{id}{?fields}");
 * t.match("users/42?fields=name"); // { id: "42", fields: "name" }
 * t.expand({ id: "a b" }); // "users/a%20b"
 * ```
 */
export function parseUriTemplate(template: string): UriTemplate {
  const fail = (problem: string): never => {
    throw new TypeError(`Cannot parse URI template ${JSON.stringify(template)}: ${problem}`);
  };
  const parts: Part[] = [];
  for (let i = 0; i < template.length;) {
    const open = template.indexOf("{", i);
    const stray = template.indexOf("}", i);
    if (stray !== -1 && (open === -1 || stray < open)) fail(`unexpected "}" at ${stray}`);
    const end = open === -1 ? template.length : open;
    if (end > i) parts.push(encode(template.slice(i, end), true));
    if (open === -1) break;
    const close = template.indexOf("}", open);
    if (close === -1) fail(`unclosed expression at ${open}`);
    if (close === open + 1) fail(`empty expression at ${open}`);
    let at = open + 1;
    const first = template[at]!;
    if ("=,!@|".includes(first)) fail(`reserved operator "${first}" at ${at}`);
    const op = OPERATORS[first] ?? OPERATORS[""]!;
    if (op !== OPERATORS[""]) at++;
    const vars = template.slice(at, close).split(",").map((spec) => {
      const m = VARSPEC.exec(spec) ?? fail(`invalid variable ${JSON.stringify(spec)} at ${at}`);
      at += spec.length + 1;
      return { name: m[1]!, explode: m[2] === "*", prefix: Number(m[3] ?? 0) };
    });
    parts.push({ op, vars });
    i = close + 1;
  }
  const { regex, slots } = compile(parts);
  const names = parts.flatMap((p) => (typeof p === "string" ? [] : p.vars.map((v) => v.name)));
  return {
    template,
    variables: Object.freeze([...new Set(names)]),
    match: (uri) => match(regex, slots, uri),
    expand: (values) => parts.map((p) => (typeof p === "string" ? p : expand(p, values))).join(""),
  };
}

/** Encodes all but unreserved characters, or (`reserved`) all but unreserved, reserved and `%XX`. */
function encode(value: string, reserved: boolean): string {
  if (!reserved) {
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return value.replace(
    /%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~:\/?#\[\]@!$&'()*+,;=%]+|%/g,
    (s) => (s.length === 3 && s[0] === "%" ? s : encodeURIComponent(s)),
  );
}

function expand({ op, vars }: Expression, values: Parameters<UriTemplate["expand"]>[0]): string {
  const out: string[] = [];
  const named = (name: string, v: string) => (v === "" ? name + op.ifEmpty : `${name}=${encode(v, op.reserved)}`);
  for (const { name, explode, prefix } of vars) {
    const value: unknown = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    if (Array.isArray(value)) {
      const items = value.map(String);
      if (explode) out.push(items.map((v) => (op.named ? named(name, v) : encode(v, op.reserved))).join(op.sep));
      else out.push((op.named ? `${name}=` : "") + items.map((v) => encode(v, op.reserved)).join(","));
    } else if (typeof value === "object" || typeof value === "function") {
      throw new TypeError(`Cannot expand URI template: value of "${name}" is not a string, number, boolean or array`);
    } else {
      const s = prefix ? Array.from(String(value)).slice(0, prefix).join("") : String(value);
      out.push(op.named ? named(name, s) : encode(s, op.reserved));
    }
  }
  return out.length > 0 ? op.prefix + out.join(op.sep) : "";
}

const escape = (s: string) => s.replace(/[\\^$.*+?()[\]{}|\/]/g, "\\$&");

/** Compiles to one anchored RegExp whose every value is an atomic group, `(?=(x))(?:\1)`. */
function compile(parts: readonly Part[]): { regex: RegExp; slots: Expression[] } {
  const els: Part[] = [];
  for (const part of parts) {
    const last = els.at(-1);
    // `{?x}{&y}` and `{;x}{;y}` are read as one parameter list.
    if (typeof part === "object" && typeof last === "object" && last.op.named && part.op.prefix === last.op.sep) {
      last.vars.push(...part.vars);
    } else els.push(typeof part === "string" ? part : { op: part.op, vars: [...part.vars] });
  }
  const slots: Expression[] = [];
  let source = "^";
  els.forEach((el, i) => {
    if (typeof el === "string") return void (source += escape(el));
    const { op, vars } = el;
    // A value may not run into what can follow it: the next literal or operator prefix; a
    // literal that ends the template (but for parameter lists) counts only at the URI's end.
    const stops: string[] = [];
    for (let j = i + 1; j < els.length; j++) {
      const next = els[j]!;
      if (typeof next === "object") {
        if (next.op.prefix) stops.push(escape(next.op.prefix));
        if (next.op.named) continue;
      } else {
        const rest = els.slice(j + 1).map((e) => (typeof e === "object" && e.op.named ? escape(e.op.prefix) : undefined));
        stops.push(escape(next) + (rest.includes(undefined) ? "" : `(?:${["$", ...rest].join("|")})`));
      }
      break;
    }
    const not = stops.length > 0 ? `(?!${stops.join("|")})` : "";
    // Lists are one flat run (split and checked in match()); nested loops are slow in JSC.
    const list = op.named || vars.some((v) => v.explode);
    const fixed = !list && vars.length > 1;
    const chars = list ? op.delims.replace(op.sep, "") : op.delims + (fixed ? op.sep : "");
    const unit = `(?:${not}${chars ? `[^${chars}]` : "[\\s\\S]"})`;
    const body = op.named
      ? `(?:${escape(op.prefix)}${unit}*)?`
      : `${escape(op.prefix)}${unit}+` + (fixed ? `(?:${escape(op.sep)}${unit}+){${vars.length - 1}}` : "");
    slots.push(el);
    source += `(?=(${body}))(?:\\${slots.length})`;
  });
  return { regex: new RegExp(`${source}$`), slots };
}

function match(regex: RegExp, slots: readonly Expression[], uri: string): Record<string, string | string[]> | undefined {
  const m = regex.exec(uri);
  if (!m) return undefined;
  const found = new Map<string, string | string[]>();
  const put = (name: string, value: string | string[]) => void (found.has(name) || found.set(name, value));
  try {
    for (const [k, { op, vars }] of slots.entries()) {
      const text = m[k + 1]!.slice(op.prefix.length);
      if (op.named) {
        const pairs = text.split(op.sep).map((item) => {
          const eq = item.indexOf("=");
          return eq < 0 ? [item, ""] : [item.slice(0, eq), item.slice(eq + 1)];
        });
        for (const v of vars) {
          const values = pairs.filter(([name]) => name === v.name).map(([, value]) => decodeURIComponent(value!));
          if (values.length > 0) put(v.name, v.explode ? values : values[0]!);
        }
        continue;
      }
      const items = vars.length === 1 && !vars[0]!.explode ? [text] : text.split(op.sep);
      const surplus = items.length - vars.length;
      const spread = vars.findIndex((v) => v.explode);
      if (surplus < 0 || (surplus > 0 && spread < 0) || items.includes("")) return undefined;
      let at = 0;
      vars.forEach((v, i) => {
        const taken = items.slice(at, (at += i === spread ? 1 + surplus : 1)).map((s) => decodeURIComponent(s));
        put(v.name, v.explode ? taken : taken[0]!);
      });
    }
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
  return Object.fromEntries(found);
}
