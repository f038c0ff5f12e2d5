/**
 * Tools: checking a definition once at registration, and turning whatever a
 * tool function returns or throws into a `CallToolResult`.
 *
 * @module
 */
import type { Context } from "./context.ts";
import { JsonRpcError } from "./errors.ts";
import { compileSchema, formatProblems } from "./schema.ts";
import type { JsonSchema, Validator } from "./schema.ts";
import type { CallToolResult, ContentBlock, Icon, JsonObject, ToolAnnotations } from "./types.ts";

/**
 * How a tool describes itself in `tools/list`.
 *
 * @typeParam In the type of `inputSchema`; written out, it types the tool function's `args`
 * @typeParam Out the type of `outputSchema`; written out, it types the tool function's result
 */
export interface ToolDefinition<In extends JsonObject = JsonObject, Out extends JsonObject = JsonObject> {
  /** A human-readable name (2025-06-18). */
  title?: string;
  /** What the tool does, for the model. */
  description?: string;
  /** JSON Schema of the arguments; its root must be `type: "object"`. Default: no arguments. */
  inputSchema?: In;
  /** JSON Schema of `structuredContent` (2025-06-18); its root must be `type: "object"`. */
  outputSchema?: Out;
  /** Behaviour hints (2025-03-26). */
  annotations?: ToolAnnotations;
  /** Icons (2025-11-25). */
  icons?: Icon[];
  /** Extra metadata sent as `_meta`. */
  _meta?: JsonObject;
}

/**
 * A tool function. It may return:
 * - a string → one text block;
 * - a content block, or an array of them → that content;
 * - a `CallToolResult` (an object with a `content` array) → as it is;
 * - `undefined` → no content;
 * - any other JSON value → its JSON text, and `structuredContent` when the
 *   tool declares an `outputSchema`.
 *
 * A thrown error becomes an `isError: true` result carrying its message; a
 * thrown {@linkcode JsonRpcError} becomes that JSON-RPC error instead.
 */
export type ToolFunction<Args = Record<string, unknown>> = (
  args: Args,
  ctx: Context,
) => unknown;

/** A registered tool, compiled. */
export interface Tool {
  readonly name: string;
  readonly definition: ToolDefinition;
  readonly fn: ToolFunction<never>;
  /** The entry for `tools/list`. */
  readonly listing: JsonObject;
  readonly validateInput: Validator;
  readonly validateOutput: Validator | undefined;
}

/** Tool names: 1–128 of `A-Za-z0-9_-.` (2025-11-25 guidance). */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const NO_ARGUMENTS: JsonObject = { type: "object", additionalProperties: false };

function checkObjectSchema(name: string, key: string, schema: unknown): JsonObject {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema) || (schema as JsonObject).type !== "object") {
    throw new TypeError(`Cannot register tool "${name}": ${key} must be a JSON Schema object with type "object"`);
  }
  return schema as JsonObject;
}

function compile(name: string, key: string, schema: JsonObject): Validator {
  try {
    return compileSchema(schema as JsonSchema);
  } catch (error) {
    throw new TypeError(`Cannot register tool "${name}": ${key} is invalid: ${(error as Error).message}`);
  }
}

/**
 * Checks and compiles a tool.
 *
 * @param name 1–128 characters of `A-Za-z0-9_-.`
 * @param definition its description and schemas
 * @param fn the function that runs it
 * @returns the compiled tool
 * @throws {TypeError} for a bad name or schema
 */
export function defineTool(name: string, definition: ToolDefinition, fn: ToolFunction<never>): Tool {
  if (typeof name !== "string" || !TOOL_NAME.test(name)) {
    throw new TypeError(`Cannot register tool "${name}": a name is 1-128 characters of A-Z, a-z, 0-9, _, - and .`);
  }
  if (typeof fn !== "function") throw new TypeError(`Cannot register tool "${name}": its handler must be a function`);
  const inputSchema = definition.inputSchema === undefined
    ? NO_ARGUMENTS
    : checkObjectSchema(name, "inputSchema", definition.inputSchema);
  const outputSchema = definition.outputSchema === undefined
    ? undefined
    : checkObjectSchema(name, "outputSchema", definition.outputSchema);
  const listing: JsonObject = { name };
  if (definition.title !== undefined) listing.title = definition.title;
  if (definition.description !== undefined) listing.description = definition.description;
  listing.inputSchema = inputSchema;
  if (outputSchema) listing.outputSchema = outputSchema;
  if (definition.annotations !== undefined) listing.annotations = definition.annotations;
  if (definition.icons !== undefined) listing.icons = definition.icons;
  if (definition._meta !== undefined) listing._meta = definition._meta;
  return {
    name,
    definition,
    fn,
    listing,
    validateInput: compile(name, "inputSchema", inputSchema),
    validateOutput: outputSchema && compile(name, "outputSchema", outputSchema),
  };
}

/** Whether a value is shaped like one content block. */
export function isContentBlock(value: unknown): value is ContentBlock {
  if (typeof value !== "object" || value === null) return false;
  const v = value as JsonObject;
  switch (v.type) {
    case "text":
      return typeof v.text === "string";
    case "image":
    case "audio":
      return typeof v.data === "string" && typeof v.mimeType === "string";
    case "resource_link":
      return typeof v.uri === "string" && typeof v.name === "string";
    case "resource":
      return typeof v.resource === "object" && v.resource !== null;
    default:
      return false;
  }
}

function isContentArray(value: unknown): value is ContentBlock[] {
  return Array.isArray(value) && value.length > 0 && value.every(isContentBlock);
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

/**
 * Validates the arguments, runs the tool and normalises what it returns.
 *
 * @param tool the compiled tool
 * @param args the `arguments` of `tools/call` (undefined is treated as `{}`)
 * @param ctx the request context
 * @returns the result; invalid arguments and tool failures are `isError` results (2025-11-25)
 * @throws {JsonRpcError} when the tool itself throws one
 */
export async function callTool(tool: Tool, args: unknown, ctx: Context): Promise<CallToolResult> {
  const input = args ?? {};
  const problems = tool.validateInput(input);
  if (problems.length > 0) {
    return errorResult(`Invalid arguments for tool "${tool.name}": ${formatProblems(problems)}`);
  }
  let value: unknown;
  try {
    value = await (tool.fn as ToolFunction<unknown>)(input, ctx);
  } catch (error) {
    if (error instanceof JsonRpcError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return errorResult(message || "The tool failed");
  }
  return toResult(tool, value);
}

function toResult(tool: Tool, value: unknown): CallToolResult {
  let result: CallToolResult;
  if (typeof value === "string") result = { content: [{ type: "text", text: value }] };
  else if (value === undefined) result = { content: [] };
  else if (isContentBlock(value)) result = { content: [value] };
  else if (isContentArray(value)) result = { content: value };
  else if (typeof value === "object" && value !== null && Array.isArray((value as CallToolResult).content)) {
    result = value as CallToolResult;
  } else {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      // Circular structures and BigInts: the tool's bug, reported as its failure.
    }
    if (text === undefined) return errorResult(`Tool "${tool.name}" returned a value that is not JSON`);
    result = { content: [{ type: "text", text }] };
    if (tool.validateOutput && typeof value === "object" && value !== null && !Array.isArray(value)) {
      result.structuredContent = value as JsonObject;
    }
  }
  if (tool.validateOutput && !result.isError) {
    if (result.structuredContent === undefined) {
      return errorResult(`Tool "${tool.name}" declares an outputSchema but returned no structured content`);
    }
    const problems = tool.validateOutput(result.structuredContent);
    if (problems.length > 0) {
      return errorResult(`Tool "${tool.name}" returned output that does not match its outputSchema: ${formatProblems(problems)}`);
    }
  }
  return result;
}
