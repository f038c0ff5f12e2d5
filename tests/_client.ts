/**
 * Test helpers: a raw fetch-based SSE reader that parses events by the
 * WHATWG rules, and a small MCP client over the HTTP+SSE transport built on
 * it. Deliberately independent of lib/ so it checks the wire, not our own code.
 */

/** One parsed SSE event. */
export interface ParsedEvent {
  event: string;
  data: string;
  id: string | undefined;
  retry: number | undefined;
}

/** Reads events from a `text/event-stream` body. */
export class EventReader {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #queue: ParsedEvent[] = [];
  #lastId: string | undefined;
  /** Every raw chunk received, joined: for byte-exact assertions. */
  raw = "";

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event, or undefined when the stream ends. */
  async next(timeoutMs = 5000): Promise<ParsedEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("Timed out waiting for an SSE event");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        this.#reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("Timed out waiting for an SSE event")), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) return undefined;
      this.raw += chunk.value;
      this.#buffer += chunk.value;
      this.#parse();
    }
    return this.#queue.shift();
  }

  /** Cancels the stream (the client disconnects). */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  #parse(): void {
    let end: number;
    while ((end = this.#buffer.search(/\r\n\r\n|\n\n|\r\r/)) !== -1) {
      const block = this.#buffer.slice(0, end);
      const sep = this.#buffer.slice(end).startsWith("\r\n\r\n") ? 4 : 2;
      this.#buffer = this.#buffer.slice(end + sep);
      let event = "";
      const data: string[] = [];
      let retry: number | undefined;
      for (const line of block.split(/\r\n|\r|\n/)) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (name === "event") event = value;
        else if (name === "data") data.push(value);
        else if (name === "id" && !value.includes("\0")) this.#lastId = value;
        else if (name === "retry" && /^\d+$/.test(value)) retry = Number(value);
      }
      if (data.length === 0) continue;
      this.#queue.push({ event: event || "message", data: data.join("\n"), id: this.#lastId, retry });
    }
  }
}

/** A JSON-RPC message as the tests see it. */
// deno-lint-ignore no-explicit-any
export type Message = Record<string, any>;

/** An MCP client over HTTP+SSE, for wire-level tests. */
export class LegacyClient {
  readonly base: string;
  readonly events: EventReader;
  readonly endpoint: string;
  readonly received: Message[] = [];
  #nextId = 1;

  constructor(base: string, events: EventReader, endpoint: string) {
    this.base = base;
    this.events = events;
    this.endpoint = endpoint;
  }

  /** Opens `GET {base}{path}` and reads the `endpoint` event. */
  static async connect(base: string, path = "/sse"): Promise<LegacyClient> {
    const res = await fetch(base + path, { headers: { accept: "text/event-stream" } });
    if (res.status !== 200 || !res.body) throw new Error(`GET ${path} answered ${res.status}`);
    const events = new EventReader(res.body);
    const first = await events.next();
    if (first?.event !== "endpoint") throw new Error(`First event was ${JSON.stringify(first)}`);
    return new LegacyClient(base, events, first.data);
  }

  /** POSTs one message (or any body) to the endpoint. */
  post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(new URL(this.endpoint, this.base), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /** The next message on the stream. */
  async message(timeoutMs?: number): Promise<Message> {
    const event = await this.events.next(timeoutMs);
    if (!event) throw new Error("The stream ended");
    const message = JSON.parse(event.data) as Message;
    this.received.push(message);
    return message;
  }

  /** Sends a request and collects messages until its response. */
  async request(method: string, params?: Message): Promise<{ response: Message; before: Message[] }> {
    const id = this.#nextId++;
    const res = await this.post({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
    if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${await res.text()}`);
    await res.body?.cancel();
    const before: Message[] = [];
    for (;;) {
      const message = await this.message();
      if (message.id === id && !("method" in message)) return { response: message, before };
      before.push(message);
    }
  }

  /** Sends a notification. */
  async notify(method: string, params?: Message): Promise<void> {
    const res = await this.post({ jsonrpc: "2.0", method, ...(params ? { params } : {}) });
    await res.body?.cancel();
    if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
  }

  /** initialize + notifications/initialized. */
  async initialize(capabilities: Message = {}, protocolVersion = "2024-11-05"): Promise<Message> {
    const { response } = await this.request("initialize", {
      protocolVersion,
      capabilities,
      clientInfo: { name: "test", version: "0" },
    });
    await this.notify("notifications/initialized");
    return response;
  }

  /** Disconnects. */
  close(): Promise<void> {
    return this.events.cancel();
  }
}
