/**
 * Completion of prompt arguments and resource-template variables
 * (`completion/complete`, 2024-11-05; `context.arguments` 2025-06-18).
 *
 * @module
 */
import type { Call } from "./core.ts";
import { ErrorCode, JsonRpcError, preview } from "./errors.ts";
import type { JsonObject } from "./types.ts";

/** What a completer may return: the candidates, or them with a total. */
export interface Completion {
  values: string[];
  total?: number;
  hasMore?: boolean;
}

/**
 * Suggests values for one argument.
 *
 * @param value what the user typed so far
 * @param context the other arguments already filled in
 */
export type Completer = (
  value: string,
  context: { arguments: Record<string, string> },
) => string[] | Completion | Promise<string[] | Completion>;

/** The most values one answer may carry (spec: at most 100). */
export const MAX_COMPLETIONS = 100;

/** Whether anything registered can complete (for the `completions` capability). */
export function canComplete(core: Call["core"]): boolean {
  for (const prompt of core.prompts.values()) if (prompt.completers.size > 0) return true;
  for (const template of core.templates.values()) if (template.completers.size > 0) return true;
  return false;
}

function findCompleter(call: Call, ref: JsonObject, argument: string): Completer | undefined {
  if (ref.type === "ref/prompt") {
    const prompt = typeof ref.name === "string" ? call.core.prompts.get(ref.name) : undefined;
    if (!prompt) throw new JsonRpcError(ErrorCode.InvalidParams, `Unknown prompt: ${preview(ref.name)}`);
    return prompt.completers.get(argument);
  }
  if (ref.type === "ref/resource") {
    const uri = ref.uri;
    for (const template of call.core.templates.values()) {
      if (template.uriTemplate.template === uri) return template.completers.get(argument);
    }
    for (const resource of call.core.resources.values()) if (resource.uri === uri) return undefined;
    throw new JsonRpcError(ErrorCode.InvalidParams, `Unknown resource template: ${preview(uri)}`);
  }
  throw new JsonRpcError(ErrorCode.InvalidParams, 'Invalid params: "ref.type" must be "ref/prompt" or "ref/resource"');
}

/** `completion/complete`. */
export async function complete(call: Call): Promise<JsonObject> {
  const { ref, argument, context } = call.params as { ref?: JsonObject; argument?: JsonObject; context?: JsonObject };
  if (typeof ref !== "object" || ref === null) throw new JsonRpcError(ErrorCode.InvalidParams, 'Invalid params: "ref" must be an object');
  if (typeof argument?.name !== "string" || typeof argument.value !== "string") {
    throw new JsonRpcError(ErrorCode.InvalidParams, 'Invalid params: "argument" needs string "name" and "value"');
  }
  const completer = findCompleter(call, ref, argument.name);
  if (!completer) return { completion: { values: [], total: 0, hasMore: false } };
  const args = typeof context?.arguments === "object" && context.arguments !== null
    ? context.arguments as Record<string, string>
    : {};
  const answer = await completer(argument.value, { arguments: args });
  const values = Array.isArray(answer) ? answer : answer.values;
  const total = Array.isArray(answer) ? values.length : answer.total ?? values.length;
  const hasMore = values.length > MAX_COMPLETIONS || (!Array.isArray(answer) && answer.hasMore === true) ||
    total > Math.min(values.length, MAX_COMPLETIONS);
  return { completion: { values: values.slice(0, MAX_COMPLETIONS).map(String), total, hasMore } };
}
