/**
 * Test helper: reads newline-delimited JSON-RPC from a stream (a stdio
 * server's stdout), keeping every raw byte for framing assertions.
 * Independent of lib/ so it checks the wire, not our own parser.
 */
import type { Readable } from "node:stream";

/** A JSON-RPC message as the tests see it. */
// deno-lint-ignore no-explicit-any
export type Message = Record<string, any>;

/** Collects the lines of a stream and hands them out one message at a time. */
export class LineReader {
  /** Everything read so far, as it arrived. */
  raw = "";
  /** Every complete line read so far, without its `\n`. */
  readonly lines: string[] = [];
  #queue: Message[] = [];
  #waiters: (() => void)[] = [];
  #partial = "";
  #ended = false;

  constructor(stream: Readable) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      this.raw += chunk;
      this.#partial += chunk;
      let newline: number;
      while ((newline = this.#partial.indexOf("\n")) !== -1) {
        const line = this.#partial.slice(0, newline);
        this.#partial = this.#partial.slice(newline + 1);
        this.lines.push(line);
        let message: Message;
        try {
          message = JSON.parse(line) as Message;
        } catch {
          message = { unparsable: line };
        }
        this.#queue.push(message);
      }
      this.#wake();
    });
    stream.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  /** The next message, failing after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      if (this.#ended) throw new Error(`The stream ended while a message was awaited; read so far:\n${this.raw}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for a line; read so far:\n${this.raw}`);
      await this.#wait(left);
    }
    return this.#queue.shift()!;
  }

  /** The next message whose id is `id`; anything before it is returned too, for assertions. */
  async response(id: string | number, timeoutMs = 5000): Promise<{ message: Message; before: Message[] }> {
    const before: Message[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await this.next(Math.max(1, deadline - Date.now()));
      if (message.id === id && !("method" in message)) return { message, before };
      before.push(message);
    }
  }

  /** Every message that arrives within `ms` (none expected, usually). */
  async drain(ms: number): Promise<Message[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || this.#ended) break;
      await this.#wait(left);
    }
    return this.#queue.splice(0);
  }

  /** Resolves when the stream ends. */
  async ended(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("Timed out waiting for the stream to end");
      await this.#wait(left);
    }
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` unless `promise` settles first. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
