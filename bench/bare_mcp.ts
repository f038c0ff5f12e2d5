/**
 * The floor's MCP answers, shared by both bare responders: `bare.ts` on
 * `node:http` and `bare_fetch.ts` on the runtime's native server
 * (Deno.serve, Bun.serve). It answers `initialize`, `ping`, `tools/list` and
 * `tools/call` directly and checks arguments with `typeof` (no schema
 * library): the work no MCP server can avoid, and nothing more.
 *
 * @module
 */

type Id = string | number;

/** A parsed JSON-RPC message, as far as the floor reads it. */
export interface Message {
  id?: Id;
  method?: string;
  params?: { protocolVersion?: string; name?: string; arguments?: Record<string, unknown> };
}

const TOOLS = [
  { name: "add", inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] } },
  { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } },
];

const text = (value: string) => ({ content: [{ type: "text", text: value }] });
const invalid = (problem: string) => ({ content: [{ type: "text", text: problem }], isError: true });

/** The tool's result, or undefined for an unknown tool. */
function callTool(name: string | undefined, args: Record<string, unknown> = {}): object | undefined {
  if (name === "add") {
    const { a, b } = args;
    return typeof a === "number" && typeof b === "number" ? text(String(a + b)) : invalid("a and b must be numbers");
  }
  if (name === "echo") return typeof args.text === "string" ? text(args.text) : invalid("text must be a string");
  return undefined;
}

/**
 * The response to a message, or undefined for a notification.
 *
 * @param message the parsed body
 * @returns the JSON-RPC response object to serialise
 */
export function answer(message: Message): object | undefined {
  const { id, method, params } = message;
  if (id === undefined) return undefined;
  const result = (value: object) => ({ jsonrpc: "2.0", id, result: value });
  const error = (code: number, text: string) => ({ jsonrpc: "2.0", id, error: { code, message: text } });
  switch (method) {
    case "initialize":
      return result({
        protocolVersion: params?.protocolVersion ?? "2025-11-25",
        capabilities: { tools: {} },
        serverInfo: { name: "bare", version: "1.0.0" },
      });
    case "ping":
      return result({});
    case "tools/list":
      return result({ tools: TOOLS });
    case "tools/call": {
      const value = callTool(params?.name, params?.arguments);
      return value ? result(value) : error(-32602, `Unknown tool: ${params?.name}`);
    }
    default:
      return error(-32601, `Method not found: ${method}`);
  }
}

/** The error bodies both responders send. */
export const PARSE_ERROR = { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } };
export const SESSION_NOT_FOUND = { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Session not found" } };
export const NOT_FOUND = { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Not found" } };
