/**
 * Prompts: templates of messages with declared arguments, built by plain
 * functions; `prompts/list` and `prompts/get` (2024-11-05 onward).
 *
 * @module
 */
import type { Completer } from "./completion.ts";
import { contextOf, pageResult } from "./core.ts";
import type { Call } from "./core.ts";
import type { Context } from "./context.ts";
import { ErrorCode, JsonRpcError, preview } from "./errors.ts";
import { isContentBlock } from "./tools.ts";
import type { ContentBlock, Icon, JsonObject } from "./types.ts";

/** One declared argument of a prompt. */
export interface PromptArgument {
  name: string;
  title?: string;
  description?: string;
  /** When true, `prompts/get` without it is refused with -32602. */
  required?: boolean;
  /** Suggests values for `completion/complete`. */
  complete?: Completer;
}

/**
 * How a prompt describes itself in `prompts/list`.
 *
 * @typeParam A the declared arguments; written out, they type the prompt function's `args`
 */
export interface PromptDefinition<A extends readonly PromptArgument[] = readonly PromptArgument[]> {
  title?: string;
  description?: string;
  arguments?: A;
  icons?: Icon[];
  _meta?: JsonObject;
}

/** One message of a prompt. */
export interface PromptMessage {
  role: "user" | "assistant";
  content: ContentBlock;
}

/**
 * A prompt function. It may return a string (one user message), a content
 * block or an array of them (one user message each), an array of messages,
 * or `{ messages, description? }`.
 */
export type PromptFunction<Args = Record<string, string>> = (args: Args, ctx: Context) => unknown;

/** A registered prompt. */
export interface Prompt {
  readonly name: string;
  readonly definition: PromptDefinition;
  readonly fn: PromptFunction<never>;
  readonly listing: JsonObject;
  readonly completers: Map<string, Completer>;
}

/**
 * Checks a prompt.
 *
 * @throws {TypeError} for an empty name, duplicate argument names or a bad function
 */
export function definePrompt(name: string, definition: PromptDefinition, fn: PromptFunction<never>): Prompt {
  if (typeof name !== "string" || name === "") throw new TypeError("Cannot register a prompt without a name");
  if (typeof fn !== "function") throw new TypeError(`Cannot register prompt "${name}": its handler must be a function`);
  const completers = new Map<string, Completer>();
  const args: JsonObject[] = [];
  for (const { complete, ...arg } of definition.arguments ?? []) {
    if (typeof arg.name !== "string" || arg.name === "") throw new TypeError(`Cannot register prompt "${name}": every argument needs a name`);
    if (args.some((a) => a.name === arg.name)) throw new TypeError(`Cannot register prompt "${name}": argument "${arg.name}" is declared twice`);
    if (complete) completers.set(arg.name, complete);
    args.push(arg as JsonObject);
  }
  const { arguments: _omit, ...rest } = definition;
  const listing: JsonObject = { name, ...rest };
  if (args.length > 0) listing.arguments = args;
  return { name, definition, fn, listing, completers };
}

function isMessage(value: unknown): value is PromptMessage {
  return typeof value === "object" && value !== null &&
    ((value as JsonObject).role === "user" || (value as JsonObject).role === "assistant") &&
    isContentBlock((value as JsonObject).content);
}

function toMessages(name: string, value: unknown): JsonObject {
  const user = (content: ContentBlock): PromptMessage => ({ role: "user", content });
  if (typeof value === "string") return { messages: [user({ type: "text", text: value })] };
  if (isContentBlock(value)) return { messages: [user(value)] };
  if (isMessage(value)) return { messages: [value] };
  if (Array.isArray(value) && value.every((v) => isMessage(v) || isContentBlock(v))) {
    return { messages: value.map((v) => isMessage(v) ? v : user(v as ContentBlock)) };
  }
  if (typeof value === "object" && value !== null && Array.isArray((value as JsonObject).messages)) {
    const result = value as JsonObject;
    if ((result.messages as unknown[]).every(isMessage)) return result;
  }
  throw new JsonRpcError(ErrorCode.InternalError, `Prompt "${name}" returned something that is not a message list`);
}

/** `prompts/list`. */
export function listPrompts({ core, params }: Call): JsonObject {
  const page = core.prompts.page(params.cursor, core.pageSize);
  return pageResult("prompts", page.items.map((p) => p.listing), page.nextCursor);
}

/** `prompts/get`: unknown prompt or missing required argument → -32602. */
export async function getPrompt(call: Call): Promise<JsonObject> {
  const { name, arguments: given } = call.params;
  const prompt = typeof name === "string" ? call.core.prompts.get(name) : undefined;
  if (!prompt) throw new JsonRpcError(ErrorCode.InvalidParams, `Unknown prompt: ${preview(name)}`);
  if (given !== undefined && (typeof given !== "object" || given === null || Array.isArray(given))) {
    throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params: "arguments" of prompt "${prompt.name}" must be an object`);
  }
  const args = (given ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(args)) {
    if (typeof value !== "string") {
      throw new JsonRpcError(ErrorCode.InvalidParams, `Invalid params: argument "${key}" of prompt "${prompt.name}" must be a string`);
    }
  }
  for (const arg of prompt.definition.arguments ?? []) {
    if (arg.required && args[arg.name] === undefined) {
      throw new JsonRpcError(ErrorCode.InvalidParams, `Missing required argument "${arg.name}" for prompt "${prompt.name}"`);
    }
  }
  const ctx = contextOf(call);
  try {
    const result = toMessages(prompt.name, await (prompt.fn as PromptFunction<unknown>)(args, ctx));
    if (result.description === undefined && prompt.definition.description !== undefined) {
      return { description: prompt.definition.description, ...result };
    }
    return result;
  } finally {
    ctx.done = true;
  }
}
