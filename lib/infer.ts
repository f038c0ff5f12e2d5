/**
 * Types inferred from declarations: a tool function's `args` from its
 * `inputSchema` and its result from its `outputSchema`, a prompt function's
 * `args` from its declared arguments. Types only; nothing here runs.
 *
 * What cannot be read exactly (`$ref`, a schema typed as a plain object)
 * becomes `unknown`: a type too wide is safe, a wrong one is not.
 *
 * @module
 */
import type { Context } from "./context.ts";
import type { CallToolResult, JsonObject } from "./types.ts";

/** How many levels {@linkcode FromSchema} reads before giving up with `unknown`; keeps tsc fast. */
type MaxDepth = 8;

/** Spreads an intersection of object types into one, for readable hovers. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A `const` value as JSON parsing produces it: literal, but not readonly. */
type Mutable<T> = T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;

/** Whether `S` is written out (`{ type: "object", … }`) rather than typed as `Record<string, unknown>`. */
type IsLiteral<S> = 0 extends 1 & S ? false : S extends object ? string extends keyof S ? false : true : false;

/** What one `type` name admits. */
type TypeName<N, S, D extends unknown[]> = N extends "string" ? string
  : N extends "number" | "integer" ? number
  : N extends "boolean" ? boolean
  : N extends "null" ? null
  : N extends "object" ? ObjectOf<S, D>
  : N extends "array" ? ArrayOf<S, D>
  : unknown;

/** The `type` keyword: one name or an array of them; absent or widened to `string` → unknown. */
type TypeOf<S, D extends unknown[]> = S extends { type: infer T }
  ? T extends string ? string extends T ? unknown : TypeName<T, S, D>
  : T extends readonly (infer N)[] ? string extends N ? unknown : TypeName<N, S, D>
  : unknown
  : unknown;

type Props<S> = S extends { properties: infer P } ? IsLiteral<P> extends true ? P : {} : {};
/** Keys in `required`; none when it widened to `string[]`, since which ones is then unknown. */
type RequiredKeys<S> = S extends { required: readonly (infer K)[] } ? string extends K ? never : K & string : never;
/** Whether keys other than `properties` may appear: `false`, `true`, a schema, or `undefined` when unsaid. */
type Extra<S> = S extends { patternProperties: unknown } ? true
  : S extends { properties: infer P } ? IsLiteral<P> extends false ? true : Additional<S>
  : Additional<S>;
type Additional<S> = S extends { additionalProperties: infer A } ? A : undefined;

/** `type: "object"`: required keys, optional others; an index signature only when more keys may come. */
type ObjectOf<S, D extends unknown[], P = Props<S>, R extends string = RequiredKeys<S>, X = Extra<S>> =
  [(keyof P & string) | R] extends [never]
    ? X extends false ? Record<string, never>
    : X extends true | undefined ? Record<string, unknown>
    : Record<string, Read<X, D>>
    : Simplify<
      & { [K in keyof P & R]: Read<P[K], D> }
      & { [K in Exclude<keyof P & string, R>]?: Read<P[K], D> }
      & { [K in Exclude<R, keyof P>]: unknown }
      & (X extends false | undefined ? unknown : Record<string, unknown>)
    >;

/** `type: "array"`: `items` → T[]; `prefixItems` (or draft-07 tuple `items`) → unknown[]. */
type ArrayOf<S, D extends unknown[]> = S extends { prefixItems: unknown } ? unknown[]
  : S extends { items: infer I } ? I extends readonly unknown[] ? unknown[] : Read<I, D>[]
  : unknown[];

/** `allOf`: every schema at once. */
type AllOf<T, D extends unknown[]> = T extends readonly [infer H, ...infer R] ? Read<H, D> & AllOf<R, D>
  : unknown;

/** The keywords read, each `unknown` when absent, intersected. */
type Keywords<S, D extends unknown[]> =
  & (S extends { const: infer C } ? Mutable<C> : S extends { enum: readonly (infer E)[] } ? Mutable<E> : unknown)
  & TypeOf<S, D>
  & (S extends { anyOf: readonly (infer X)[] } ? Read<X, D> : unknown)
  & (S extends { oneOf: readonly (infer X)[] } ? Read<X, D> : unknown)
  & (S extends { allOf: infer X } ? AllOf<X, D> : unknown);

/**
 * The TypeScript type of the values a JSON Schema literal admits.
 *
 * Reads `type` (a name or an array of names), `properties`, `required`,
 * `additionalProperties`, `patternProperties`, `items`, `enum`, `const`,
 * `anyOf`, `oneOf` and `allOf`. A schema with `$ref` is `unknown`, an array
 * with `prefixItems` `unknown[]`, and so is whatever lies deeper than 8
 * levels. Other keywords (`not`, `if`, `minimum`, …) only narrow what a
 * schema admits, so leaving them unread keeps the type true, if wider.
 *
 * @typeParam S the schema, written as a literal (`as const`, or inferred through a `const` type parameter)
 * @example
 * ```ts
 * import type { FromSchema } from "./infer.ts";
 *
 * const point = {
 *   type: "object",
 *   properties: { x: { type: "number" }, label: { type: ["string", "null"] } },
 *   required: ["x"],
 * } as const;
 * type Point = FromSchema<typeof point>; // { x: number; label?: string | null }
 * const p: Point = { x: 1, label: null };
 * ```
 */
export type FromSchema<S> = Read<S, []>;

/** {@linkcode FromSchema} at depth `D["length"]`. */
type Read<S, D extends unknown[]> = D["length"] extends MaxDepth ? unknown
  : S extends boolean ? (S extends true ? unknown : never)
  : IsLiteral<S> extends false ? unknown
  : S extends { $ref: unknown } | { $dynamicRef: unknown } | { $recursiveRef: unknown } ? unknown
  : Keywords<S, [...D, unknown]>;

/** The object a tool's `inputSchema` describes, or `never` when it is not a literal `type: "object"` schema. */
type Inferred<S> = [S] extends [never] ? never
  : IsLiteral<S> extends false ? never
  : S extends { type: "object" } ? unknown extends FromSchema<S> ? never : FromSchema<S>
  : never;

/**
 * The `args` of a tool function, from its `inputSchema`: the object
 * {@linkcode FromSchema} reads, or `Record<string, unknown>` when the schema
 * is not a literal `type: "object"` schema (say, one typed `JsonObject`, or a
 * variable whose `type` widened to `string`).
 *
 * @typeParam S the tool's `inputSchema`
 * @example
 * ```ts
 * import type { ToolArgs } from "./infer.ts";
 *
 * const inputSchema = {
 *   type: "object",
 *   properties: { city: { type: "string" }, units: { enum: ["metric", "imperial"] } },
 *   required: ["city"],
 * } as const;
 * const args: ToolArgs<typeof inputSchema> = { city: "Oslo", units: "metric" };
 * ```
 */
export type ToolArgs<S> = [Inferred<S>] extends [never] ? Record<string, unknown> : Inferred<S>;

/** An annotation on `args` wins when the schema is not a literal, or when the schema's type fits it; otherwise the schema's type, so that tsc reports the mismatch. */
type CheckedArgs<In, Args> = [Inferred<In>] extends [never] ? Args
  : [Inferred<In>] extends [Args] ? Args
  : Inferred<In>;

/**
 * What a tool function may return, from its `outputSchema`: the object the
 * schema describes, a `CallToolResult` whose `structuredContent` is that
 * object, or an `isError` result; possibly as a promise. Nothing else passes
 * at run time: a tool that declares an `outputSchema` must return structured
 * content (2025-06-18, "Output Schema"), so a string, content blocks or
 * `undefined` are refused here too. Without a literal `type: "object"`
 * schema, anything (`unknown`).
 *
 * @typeParam S the tool's `outputSchema`
 * @example
 * ```ts
 * import type { ToolResult } from "./infer.ts";
 *
 * const outputSchema = { type: "object", properties: { sum: { type: "number" } }, required: ["sum"] } as const;
 * const add = (a: number, b: number): ToolResult<typeof outputSchema> => ({ sum: a + b });
 * ```
 */
export type ToolResult<S> = [Inferred<S>] extends [never] ? unknown : Structured<Inferred<S>> | Promise<Structured<Inferred<S>>>;

/** The results that pass `outputSchema` validation in `callTool()`. */
type Structured<O> =
  | O
  | (Omit<CallToolResult, "structuredContent" | "isError"> & { structuredContent: O; isError?: false })
  | (CallToolResult & { isError: true });

/**
 * The type of a tool function, from its schemas: `args` from `inputSchema`
 * ({@linkcode ToolArgs}), the result from `outputSchema` ({@linkcode ToolResult}).
 * `Args` is what the function's parameter is annotated with, if anything; it
 * is kept when it fits the schema's type, or when the schema is not a
 * literal. An annotation that does not fit a literal schema is an error.
 *
 * @typeParam In the tool's `inputSchema`
 * @typeParam Out the tool's `outputSchema`
 * @typeParam Args the annotation of `args`; `ToolArgs<In>` when there is none
 * @example
 * ```ts
 * import type { ToolHandler } from "./infer.ts";
 *
 * const inputSchema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] } as const;
 * const double: ToolHandler<typeof inputSchema> = ({ n }) => String(n * 2);
 * ```
 */
// The conditional is what makes `() => ({ status: "ok" })` keep its literal: tsc
// instantiates a generic contextual type with the inferences so far only when
// the type itself is generic (a conditional), not a function type containing one.
export type ToolHandler<In, Out = JsonObject, Args = ToolArgs<In>> = [Out] extends [unknown]
  ? (args: CheckedArgs<In, Args>, ctx: Context) => ToolResult<Out>
  : never;

/**
 * The `args` of a prompt function, from its declared `arguments`: a string
 * for each, optional unless `required: true`. Prompt arguments are always
 * strings (2025-11-25, `prompts/get`).
 *
 * @typeParam A the declared arguments, written as a literal
 * @example
 * ```ts
 * import type { PromptArgs } from "./infer.ts";
 *
 * const declared = [{ name: "code", required: true }, { name: "style" }] as const;
 * const args: PromptArgs<typeof declared> = { code: "let x = 1" }; // { code: string; style?: string }
 * ```
 */
export type PromptArgs<A extends readonly { readonly name: string; readonly required?: boolean }[]> = string extends A[number]["name"] ? Record<string, string>
  : Simplify<
    & { [P in A[number] as P extends { required: true } ? P["name"] : never]: string }
    & { [P in A[number] as P extends { required: true } ? never : P["name"]]?: string }
  >;

/** A tool with no `inputSchema` takes no arguments (`additionalProperties: false`). */
export type NoArguments = { type: "object"; additionalProperties: false };
