import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { encodeComment, encodeEvent, SseWriter } from "../lib/sse.ts";
import type { SseWriterOptions } from "../lib/sse.ts";

describe("encodeEvent()", () => {
  it("encodeEvent() writes event, id, retry and data in that order", () => {
    assert.equal(
      encodeEvent({ data: "hello", retry: 3000, id: "42", event: "message" }),
      "event: message\nid: 42\nretry: 3000\ndata: hello\n\n",
    );
  });

  it("encodeEvent() writes one-line data as one data: line", () => {
    assert.equal(encodeEvent({ data: '{"jsonrpc":"2.0","id":1,"result":{}}' }), 'data: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
  });

  it("encodeEvent() splits multi-line data into data: lines on LF, CR and CRLF", () => {
    assert.equal(encodeEvent({ data: "a\nb" }), "data: a\ndata: b\n\n");
    assert.equal(encodeEvent({ data: "a\rb" }), "data: a\ndata: b\n\n");
    assert.equal(encodeEvent({ data: "a\r\nb" }), "data: a\ndata: b\n\n");
    assert.equal(encodeEvent({ data: "a\r\nb\rc\nd" }), "data: a\ndata: b\ndata: c\ndata: d\n\n");
  });

  it("encodeEvent() keeps blank lines inside data as empty data: lines", () => {
    assert.equal(encodeEvent({ data: "a\n\nb" }), "data: a\ndata:\ndata: b\n\n");
    assert.equal(encodeEvent({ data: "a\r\n\r\nb" }), "data: a\ndata:\ndata: b\n\n");
    assert.equal(encodeEvent({ data: "a\n\rb" }), "data: a\ndata:\ndata: b\n\n");
  });

  it("encodeEvent() turns a leading or trailing line break into an empty data: line", () => {
    assert.equal(encodeEvent({ data: "a\n" }), "data: a\ndata:\n\n");
    assert.equal(encodeEvent({ data: "a\r\n" }), "data: a\ndata:\n\n");
    assert.equal(encodeEvent({ data: "a\r" }), "data: a\ndata:\n\n");
    assert.equal(encodeEvent({ data: "\na" }), "data:\ndata: a\n\n");
    assert.equal(encodeEvent({ data: "\n" }), "data:\ndata:\n\n");
  });

  it("encodeEvent() sends empty data as a bare data: line", () => {
    assert.equal(encodeEvent({ data: "" }), "data:\n\n");
    assert.equal(encodeEvent({ id: "0", data: "" }), "id: 0\ndata:\n\n");
  });

  it("encodeEvent() keeps spaces, colons and non-ASCII in data as they are", () => {
    assert.equal(encodeEvent({ data: " x: y " }), "data:  x: y \n\n");
    assert.equal(encodeEvent({ data: "café ☕" }), "data: café ☕\n\n");
  });

  it("encodeEvent() data reads back as its lines joined by LF", () => {
    const data = "one\r\ntwo\rthree\n\nfive\n";
    const lines = encodeEvent({ data }).slice(0, -2).split("\n");
    const read = lines.map((line) => line.slice("data:".length).replace(/^ /, "")).join("\n");
    assert.equal(read, data.replace(/\r\n|\r/g, "\n"));
  });

  it("encodeEvent() writes only the fields it is given", () => {
    assert.equal(encodeEvent({}), "\n");
    assert.equal(encodeEvent({ id: "5" }), "id: 5\n\n");
    assert.equal(encodeEvent({ retry: 0 }), "retry: 0\n\n");
    assert.equal(encodeEvent({ event: "endpoint", data: "/messages?sessionId=1" }), "event: endpoint\ndata: /messages?sessionId=1\n\n");
  });

  it("encodeEvent() throws a TypeError for CR, LF or NUL in the event type", () => {
    for (const event of ["a\nb", "a\rb", "a\r\nb", "a\0b", "\n"]) {
      assert.throws(() => encodeEvent({ event, data: "x" }), TypeError, JSON.stringify(event));
    }
  });

  it("encodeEvent() throws a TypeError for CR, LF or NUL in the id", () => {
    for (const id of ["1\n", "1\r", "\r\n1", "1\0"]) {
      assert.throws(() => encodeEvent({ id, data: "x" }), TypeError, JSON.stringify(id));
    }
  });

  it("encodeEvent() throws a TypeError for a negative or fractional retry", () => {
    for (const retry of [-1, 1.5, -0.5, NaN, Infinity]) {
      assert.throws(() => encodeEvent({ retry }), TypeError, String(retry));
    }
  });
});

describe("encodeComment()", () => {
  it("encodeComment() without text is a bare colon line", () => {
    assert.equal(encodeComment(), ":\n\n");
    assert.equal(encodeComment(""), ":\n\n");
  });

  it("encodeComment() puts the text after a colon and a space", () => {
    assert.equal(encodeComment("keep-alive"), ": keep-alive\n\n");
  });

  it("encodeComment() replaces each run of line breaks with one space", () => {
    assert.equal(encodeComment("a\nb\r\nc\rd\n\n\ne"), ": a b c d e\n\n");
  });
});

/** Reads a response body as text, for byte-exact assertions. */
class BodyReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  /** Everything received so far. */
  text = "";
  /** Bytes received so far. */
  bytes = 0;
  /** Whether the stream has ended. */
  ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** Reads until `done(text)` holds or the stream ends; throws after `timeoutMs`. */
  async until(done: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out; received ${JSON.stringify(this.text)}`)), timeoutMs);
    });
    try {
      while (!done(this.text) && !this.ended) {
        const chunk = await Promise.race([this.#reader.read(), timeout]);
        if (chunk.done) {
          this.ended = true;
          this.text += this.#decoder.decode();
        } else {
          this.bytes += chunk.value.byteLength;
          this.text += this.#decoder.decode(chunk.value, { stream: true });
        }
      }
      return this.text;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads until at least `length` characters have arrived. */
  length(length: number): Promise<string> {
    return this.until((text) => text.length >= length);
  }

  /** Stops reading; the connection is dropped. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

let server: Server;
let base: string;
let port: number;
let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

before(async () => {
  server = createServer((req, res) => {
    const handle = handler;
    handler = undefined;
    if (handle) handle(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The writer the next request gets, made with `options`. */
function nextWriter(options: SseWriterOptions): Promise<SseWriter> {
  return new Promise((resolve) => {
    handler = (_req, res) => resolve(new SseWriter(res, options));
  });
}

/** Opens a stream with fetch; the server side is an `SseWriter` made with `options`. */
async function open(options: SseWriterOptions, init?: RequestInit) {
  const made = nextWriter(options);
  const response = await fetch(base, init);
  const writer = await made;
  return { writer, response, body: new BodyReader(response.body!) };
}

/** Resolves when `writer` closes; rejects after `timeoutMs`. */
function closedWithin(writer: SseWriter, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("The writer did not close")), timeoutMs);
    writer.onClose(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("SseWriter over a real socket", () => {
  it("SseWriter sends the event-stream headers at once", async () => {
    const { writer, response, body } = await open({ keepAliveMs: 0 });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.equal(response.headers.get("cache-control"), "no-cache, no-transform");
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    writer.close();
    await body.until(() => false);
  });

  it("SseWriter sends the status and extra headers it is given", async () => {
    const { writer, response, body } = await open({ keepAliveMs: 0, status: 201, headers: { "mcp-session-id": "abc" } });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("mcp-session-id"), "abc");
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    writer.close();
    await body.until(() => false);
  });

  it("SseWriter.send() delivers events byte for byte", async () => {
    const { writer, body } = await open({ keepAliveMs: 0 });
    const expected = "event: endpoint\ndata: /messages?sessionId=1\n\n" +
      'id: 7\ndata: {"text":"café"}\n\n' +
      "data: a\ndata:\ndata: b\n\n";
    assert.equal(writer.send({ event: "endpoint", data: "/messages?sessionId=1" }), true);
    assert.equal(writer.send({ id: "7", data: '{"text":"café"}' }), true);
    assert.equal(writer.send({ data: "a\r\n\nb" }), true);
    assert.equal(await body.length(expected.length), expected);
    assert.equal(body.bytes, new TextEncoder().encode(expected).byteLength);
    writer.close();
    await body.until(() => false);
  });

  it("SseWriter.comment() sends a comment line", async () => {
    const { writer, body } = await open({ keepAliveMs: 0 });
    assert.equal(writer.comment("hi"), true);
    assert.equal(writer.comment(), true);
    assert.equal(await body.length(8), ": hi\n\n:\n\n");
    writer.close();
    await body.until(() => false);
  });

  it("SseWriter sends a :\\n\\n keep-alive comment every keepAliveMs", async () => {
    const { writer, body } = await open({ keepAliveMs: 20 });
    const text = await body.length(9);
    assert.match(text, /^(:\n\n)+$/);
    writer.close();
    await body.until(() => false);
  });

  it("SseWriter sends no keep-alive comment when keepAliveMs is 0", async () => {
    const { writer, body } = await open({ keepAliveMs: 0 });
    await sleep(100);
    writer.send({ data: "only this" });
    assert.equal(await body.length(17), "data: only this\n\n");
    writer.close();
    await body.until(() => false);
    assert.equal(body.text, "data: only this\n\n");
  });

  it("SseWriter runs onClose listeners when the client aborts", async () => {
    const abort = new AbortController();
    const { writer, body } = await open({ keepAliveMs: 0 }, { signal: abort.signal });
    writer.send({ data: "first" });
    await body.length(13);
    const closed = closedWithin(writer);
    abort.abort();
    await closed;
    assert.equal(writer.closed, true);
    assert.equal(writer.send({ data: "too late" }), false);
    assert.equal(writer.comment(), false);
  });

  it("SseWriter.onClose() runs a listener at once when the stream has already ended", async () => {
    const { writer, body } = await open({ keepAliveMs: 0 });
    writer.close();
    let calls = 0;
    writer.onClose(() => calls++);
    assert.equal(calls, 1);
    await body.until(() => false);
  });

  it("SseWriter.close() ends the stream after what was sent, and runs onClose once", async () => {
    const { writer, body } = await open({ keepAliveMs: 20 });
    let calls = 0;
    writer.onClose(() => calls++);
    writer.send({ event: "bye", data: "last" });
    writer.close();
    assert.equal(writer.closed, true);
    assert.equal(calls, 1);
    writer.close();
    assert.equal(calls, 1);
    assert.equal(writer.send({ data: "after" }), false);
    await body.until(() => false);
    assert.equal(body.ended, true);
    assert.equal(body.text, "event: bye\ndata: last\n\n");
    assert.equal(calls, 1);
  });

  it("SseWriter keeps a reader that keeps up, however much it receives in total", async () => {
    const { writer, body } = await open({ keepAliveMs: 0, maxQueuedBytes: 64 * 1024 });
    const event = encodeEvent({ data: "x".repeat(16 * 1024) });
    for (let i = 1; i <= 64; i++) {
      assert.equal(writer.send({ data: "x".repeat(16 * 1024) }), true, `event ${i}`);
      await body.length(i * event.length);
    }
    assert.equal(writer.closed, false);
    assert.equal(body.text.length, 64 * event.length);
    writer.close();
    await body.until(() => false);
  });

  it("SseWriter delivers one event larger than maxQueuedBytes to a reader that keeps up", async () => {
    const { writer, body } = await open({ keepAliveMs: 0, maxQueuedBytes: 64 * 1024 });
    const data = "x".repeat(256 * 1024);
    const expected = encodeEvent({ data });
    const sent = writer.send({ data });
    if (sent) await body.length(expected.length);
    assert.equal(sent, true, "a reader that has read everything so far was cut off");
    assert.equal(body.text, expected);
    writer.close();
    await body.until(() => false);
  });

  it("SseWriter disconnects a reader that stops reading once maxQueuedBytes pile up", async () => {
    const made = nextWriter({ keepAliveMs: 0, maxQueuedBytes: 64 * 1024 });
    const socket: Socket = connect(port, "127.0.0.1");
    socket.pause(); // never read: the kernel buffers fill, then Node's
    socket.on("error", () => {});
    try {
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
      const writer = await made;
      let written = 0;
      let closedAfter = -1;
      writer.onClose(() => closedAfter = written);
      const data = "x".repeat(16 * 1024);
      const limit = 256 * 1024 * 1024;
      const deadline = Date.now() + 10_000;
      while (written < limit && Date.now() < deadline) {
        if (!writer.send({ data })) break;
        written += data.length;
        await new Promise((resolve) => setImmediate(resolve)); // let the socket drain what it can
      }
      assert.equal(writer.closed, true, `still open after ${written} bytes`);
      assert.equal(closedAfter, written);
      assert.equal(writer.send({ data: "more" }), false);
      assert.equal(writer.comment(), false);
    } finally {
      socket.destroy();
    }
  });
});
