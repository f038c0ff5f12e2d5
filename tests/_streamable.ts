/**
 * Test helpers for Streamable HTTP: a raw fetch-based client that keeps the
 * session id and protocol version headers, a whole-stream SSE reader, and a
 * raw-socket request for headers fetch will not send as given (`Host`, or no
 * `Accept` at all). Independent of lib/, like tests/_client.ts.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { EventReader } from "./_client.ts";
import type { Message, ParsedEvent } from "./_client.ts";

/** The Accept header the spec asks clients to send on POST. */
export const BOTH = "application/json, text/event-stream";

/** Request headers; an undefined value leaves that header out. */
export type HeaderOverrides = Record<string, string | undefined>;

function compact(headers: HeaderOverrides): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
  return out;
}

/** A Streamable HTTP client at the wire level: every call returns the raw `Response`. */
export class StreamableClient {
  readonly url: string;
  /** Sent as `Mcp-Session-Id` once set. */
  sessionId: string | undefined;
  /** Sent as `MCP-Protocol-Version` once set. */
  protocolVersion: string | undefined;
  #nextId = 1;

  constructor(base: string, path = "/mcp") {
    this.url = base + path;
  }

  /** A fresh request id. */
  nextId(): number {
    return this.#nextId++;
  }

  /** POSTs a body (a string is sent as is) with the session's headers. */
  post(body: unknown, headers: HeaderOverrides = {}): Promise<Response> {
    return fetch(this.url, {
      method: "POST",
      headers: compact({
        accept: BOTH,
        "content-type": "application/json",
        "mcp-session-id": this.sessionId,
        "mcp-protocol-version": this.protocolVersion,
        ...headers,
      }),
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /** POSTs one request with a fresh id. */
  request(method: string, params?: Message, headers?: HeaderOverrides): Promise<Response> {
    return this.post({ jsonrpc: "2.0", id: this.nextId(), method, ...(params ? { params } : {}) }, headers);
  }

  /** POSTs a `tools/call`. */
  call(name: string, args: Message = {}, meta?: Message, headers?: HeaderOverrides): Promise<Response> {
    return this.request("tools/call", { name, arguments: args, ...(meta ? { _meta: meta } : {}) }, headers);
  }

  /** `initialize` then `notifications/initialized`; keeps the session id and the negotiated version. */
  async initialize(protocolVersion = "2025-11-25"): Promise<Message> {
    const res = await this.post({
      jsonrpc: "2.0",
      id: this.nextId(),
      method: "initialize",
      params: { protocolVersion, capabilities: {}, clientInfo: { name: "streamable-test", version: "0" } },
    }, { "mcp-session-id": undefined, "mcp-protocol-version": undefined });
    if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${await res.text()}`);
    const body = await res.json() as Message;
    this.sessionId = res.headers.get("mcp-session-id") ?? undefined;
    this.protocolVersion = body.result.protocolVersion;
    const ack = await this.post({ jsonrpc: "2.0", method: "notifications/initialized" });
    await ack.text();
    if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}`);
    return body;
  }

  /** GET of the endpoint, accepting SSE. */
  get(headers: HeaderOverrides = {}): Promise<Response> {
    return fetch(this.url, {
      headers: compact({
        accept: "text/event-stream",
        "mcp-session-id": this.sessionId,
        "mcp-protocol-version": this.protocolVersion,
        ...headers,
      }),
    });
  }

  /** DELETE of the endpoint. */
  delete(headers: HeaderOverrides = {}): Promise<Response> {
    return fetch(this.url, {
      method: "DELETE",
      headers: compact({ "mcp-session-id": this.sessionId, "mcp-protocol-version": this.protocolVersion, ...headers }),
    });
  }
}

/** Reads an SSE body to its end: the dispatched events and every byte received. */
export async function readSse(res: Response, timeoutMs = 5000): Promise<{ events: ParsedEvent[]; raw: string }> {
  const reader = new EventReader(res.body!);
  const events: ParsedEvent[] = [];
  try {
    for (let event = await reader.next(timeoutMs); event; event = await reader.next(timeoutMs)) events.push(event);
  } finally {
    await reader.cancel();
  }
  return { events, raw: reader.raw };
}

/**
 * The JSON-RPC messages among `events`. Events with empty data (a priming
 * event, `id: x\ndata:\n\n`) are skipped: WHATWG parsers dispatch them, and
 * MCP clients ignore them.
 */
export function messages(events: ParsedEvent[]): Message[] {
  return events.filter((e) => e.data !== "").map((e) => JSON.parse(e.data) as Message);
}

/** The next event that carries a message, skipping empty-data events; undefined when the stream ends. */
export async function nextEvent(reader: EventReader, timeoutMs = 5000): Promise<ParsedEvent | undefined> {
  for (;;) {
    const event = await reader.next(timeoutMs);
    if (!event || event.data !== "") return event;
  }
}

/** The next message on an event stream; throws when the stream ends. */
export async function nextMessage(reader: EventReader, timeoutMs = 5000): Promise<Message> {
  const event = await nextEvent(reader, timeoutMs);
  if (!event) throw new Error("The stream ended");
  return JSON.parse(event.data) as Message;
}

/** The `id:` values of a raw event stream, in order. */
export function eventIds(raw: string): string[] {
  return [...raw.matchAll(/^id: (.*)$/gm)].map((m) => m[1]!);
}

/** Splits a raw LF-only event stream into its blocks (events without the blank line). */
export function blocks(raw: string): string[] {
  const parts = raw.split("\n\n");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** Waits until `condition()` holds, polling every 5 ms, or throws after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one HTTP/1.1 request over a raw socket, exactly as given: no header
 * is added but `Content-Length` (with a body) and `Connection: close`.
 * Resolves once the head and a `Content-Length` body are in, or at EOF.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
  timeoutMs = 5000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let done = false;
    const timer = setTimeout(() => finish(new Error(`Timed out: ${method} ${path}`)), timeoutMs);
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) return reject(error);
      const end = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = text.slice(0, end === -1 ? text.length : end).split("\r\n");
      const parsed: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) parsed[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers: parsed, body: end === -1 ? "" : text.slice(end + 4) });
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      const end = text.indexOf("\r\n\r\n");
      if (end === -1) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end));
      // A streamed body (no length) is not waited for: the head is what these tests assert.
      if (!length || Buffer.byteLength(text.slice(end + 4)) >= Number(length[1])) finish();
    });
    socket.on("end", () => finish());
    socket.on("error", (error) => finish(error));
    let head = `${method} ${path} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    if (body !== "") head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    socket.write(`${head}Connection: close\r\n\r\n${body}`);
  });
}

/** Asserts an HTTP refusal whose body is a JSON-RPC error with `"id": null`, and consumes it. */
export async function expectHttpError(res: Response, status: number): Promise<Message> {
  const body = await res.text();
  assert.equal(res.status, status, body);
  assert.equal(res.headers.get("content-type"), "application/json");
  const message = JSON.parse(body) as Message;
  assert.equal(message.jsonrpc, "2.0");
  assert.equal(message.id, null);
  assert.equal(typeof message.error.code, "number");
  assert.equal(typeof message.error.message, "string");
  return message;
}
