/**
 * Test helpers for the 2026-07-28 era over HTTP: a raw fetch-based client
 * that writes the `_meta` envelope and the `MCP-Protocol-Version`,
 * `Mcp-Method` and `Mcp-Name` headers itself, and reads a reply whole,
 * JSON or SSE. Independent of lib/, like tests/_client.ts: it checks the
 * wire, not our own encoder.
 */
import { EventReader } from "./_client.ts";
import type { Message } from "./_client.ts";
import { BOTH, readSse } from "./_streamable.ts";
import type { HeaderOverrides } from "./_streamable.ts";

/** The one stateless version. */
export const MODERN = "2026-07-28";

/** The `_meta` key prefix MCP reserves. */
export const MCP = "io.modelcontextprotocol/";

/** Every client capability MRTR can ask for. */
export const ALL_CAPS: Message = { sampling: {}, elicitation: {}, roots: { listChanged: true } };

/** A `_meta` envelope: version, capabilities, client info, then `extra`. */
export function envelope(capabilities: Message = {}, extra: Message = {}): Message {
  return {
    [`${MCP}protocolVersion`]: MODERN,
    [`${MCP}clientCapabilities`]: capabilities,
    [`${MCP}clientInfo`]: { name: "modern-test", version: "0" },
    ...extra,
  };
}

/** Encodes a header value as a 2026-07-28 client must: the base64 sentinel for anything not plain visible ASCII. */
export function headerValue(value: string): string {
  if (/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.startsWith("=?base64?")) return value;
  return `=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode(value)))}?=`;
}

/** The headers a correct client sends for `method` with `params`. */
export function modernHeaders(method: string, params: Message = {}): Record<string, string> {
  const headers: Record<string, string> = {
    accept: BOTH,
    "content-type": "application/json",
    "mcp-protocol-version": MODERN,
    "mcp-method": method,
  };
  const name = method === "resources/read" ? params.uri : method === "tools/call" || method === "prompts/get" ? params.name : undefined;
  if (typeof name === "string") headers["mcp-name"] = headerValue(name);
  return headers;
}

function compact(headers: HeaderOverrides): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
  return out;
}

/** What one POST got back: the status, the headers, and the messages read to the end of the body. */
export interface Reply {
  status: number;
  headers: Headers;
  contentType: string;
  /** The raw body (JSON text, or every SSE byte). */
  raw: string;
  /** Every JSON-RPC message in the body, in order (one for JSON). */
  messages: Message[];
  /** The last message with an `id` and no `method`: the response; undefined when there is none. */
  response: Message | undefined;
  /** The messages before the response. */
  notifications: Message[];
}

/** Reads a POST's reply to its end, JSON or SSE. */
export async function readReply(res: Response, timeoutMs = 5000): Promise<Reply> {
  const contentType = res.headers.get("content-type") ?? "";
  let raw: string;
  let messages: Message[];
  if (contentType.startsWith("text/event-stream")) {
    const read = await readSse(res, timeoutMs);
    raw = read.raw;
    messages = read.events.filter((e) => e.data !== "").map((e) => JSON.parse(e.data) as Message);
  } else {
    raw = await res.text();
    messages = raw === "" ? [] : [JSON.parse(raw) as Message];
  }
  const at = messages.findLastIndex((m) => "id" in m && !("method" in m));
  return {
    status: res.status,
    headers: res.headers,
    contentType,
    raw,
    messages,
    response: at === -1 ? undefined : messages[at],
    notifications: at === -1 ? messages : messages.slice(0, at),
  };
}

/** Options of one {@linkcode ModernClient} request. */
export interface RequestOptions {
  /** Client capabilities for this request; default the client's. */
  capabilities?: Message;
  /** Extra `_meta` keys (`progressToken`, `io.modelcontextprotocol/logLevel`, …). */
  meta?: Message;
  /** Header overrides; an undefined value leaves that header out. */
  headers?: HeaderOverrides;
  /** The request id; default the next one. */
  id?: string | number;
  /** Aborts the fetch. */
  signal?: AbortSignal;
}

/** A 2026-07-28 client at the wire level: no handshake, no session, everything per request. */
export class ModernClient {
  readonly url: string;
  capabilities: Message;
  #nextId = 1;

  constructor(base: string, capabilities: Message = {}, path = "/mcp") {
    this.url = base + path;
    this.capabilities = capabilities;
  }

  /** A fresh request id. */
  nextId(): number {
    return this.#nextId++;
  }

  /** POSTs a body (a string as is) with exactly these headers. */
  post(body: unknown, headers: HeaderOverrides, signal?: AbortSignal): Promise<Response> {
    return fetch(this.url, {
      method: "POST",
      headers: compact(headers),
      body: typeof body === "string" ? body : JSON.stringify(body),
      signal,
    });
  }

  /** The request body for `method`, with the envelope merged into `params._meta`. */
  body(method: string, params: Message = {}, options: RequestOptions = {}): Message {
    const meta = envelope(options.capabilities ?? this.capabilities, { ...params._meta, ...options.meta });
    return { jsonrpc: "2.0", id: options.id ?? this.nextId(), method, params: { ...params, _meta: meta } };
  }

  /** POSTs one enveloped request with correct headers (unless overridden). */
  send(method: string, params: Message = {}, options: RequestOptions = {}): Promise<Response> {
    const body = this.body(method, params, options);
    return this.post(body, { ...modernHeaders(method, params), ...options.headers }, options.signal);
  }

  /** Sends one request and reads the reply whole. */
  async rpc(method: string, params: Message = {}, options: RequestOptions = {}): Promise<Reply & { id: string | number }> {
    const id = options.id ?? this.nextId();
    const reply = await readReply(await this.send(method, params, { ...options, id }));
    return { ...reply, id };
  }

  /** `tools/call`, read whole. */
  call(name: string, args: Message = {}, options: RequestOptions = {}, extra: Message = {}): Promise<Reply & { id: string | number }> {
    return this.rpc("tools/call", { name, arguments: args, ...extra }, options);
  }

  /** Opens `subscriptions/listen` and returns the live reader (cancel it when done). */
  async listen(notifications: Message, options: RequestOptions = {}): Promise<{ id: string | number; res: Response; reader: EventReader }> {
    const id = options.id ?? this.nextId();
    const res = await this.send("subscriptions/listen", { notifications }, { ...options, id });
    if (res.status !== 200 || !res.body) throw new Error(`subscriptions/listen answered ${res.status}: ${await res.text()}`);
    return { id, res, reader: new EventReader(res.body) };
  }
}

/** Whether a message is a JSON-RPC request (a method and an id). */
export function isRequest(message: Message): boolean {
  return "method" in message && "id" in message;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
