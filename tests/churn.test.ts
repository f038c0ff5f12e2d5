/**
 * Session churn and slow readers: thousands of sessions opened and
 * abandoned in every way a client can abandon one, then the server must be
 * back where it started (no session, no running tool, no timer, no heap
 * growth); and readers that stop reading must be cut off at
 * `maxQueuedBytes` without the server's memory growing.
 *
 * Deterministic: which abandonment each session gets and its timings come
 * from a fixed seed, printed in the suite's name.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";
import { EventReader, LegacyClient } from "./_client.ts";
import type { Message } from "./_client.ts";
import { BOTH, nextEvent, rawRequest, StreamableClient, waitFor } from "./_streamable.ts";
import { Rng } from "./_rng.ts";

const SEED = 0xc4a5;
const SESSIONS = 2000;
const CONCURRENCY = 50;
const IDLE_MS = 200;
/**
 * The churn server's idle limit. Longer than IDLE_MS: 50 clients share one
 * process with the server, and on a loaded 2-core CI machine under coverage
 * a live session's next request arrived more than 200 ms after its last one
 * for a quarter of the sessions. Abandoned sessions still expire in a second.
 */
const CHURN_IDLE_MS = 1000;
const MiB = 1024 * 1024;
/** Per-test time limit: Bun's default (5 s) is too short for a few thousand exchanges on a busy machine. */
const LONG = { timeout: 60_000 };

const isDeno = "Deno" in globalThis;
const isBun = typeof process.versions.bun === "string";
const isNode = !isDeno && !isBun;

// ---------------------------------------------------------------------------
// Runtime probes: GC, heap, timers

/** A function that runs a full GC, where the runtime offers one. */
function findGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") return exposed;
  if (isBun) {
    const bun = (globalThis as unknown as { Bun: { gc(sync: boolean): void } }).Bun;
    return () => bun.gc(true);
  }
  // Node and Deno: turn the flag on at run time and fetch gc from a fresh context.
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}

const gc = findGc();

/** heapUsed after a few full collections, with turns of the event loop between them. */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage().heapUsed;
}

/** Ref'd timers, as Node counts them (only Node has getActiveResourcesInfo). */
function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

/**
 * Timers created by lib/ code (not by this file's tools) and not yet cleared
 * or fired: keep-alive intervals, idle sweepers, tool timeouts. Unlike
 * getActiveResourcesInfo this sees unref'd timers too, on every runtime.
 */
class TimerWatch {
  readonly live = new Map<unknown, string>();
  #saved: Pick<typeof globalThis, "setTimeout" | "setInterval" | "clearTimeout" | "clearInterval"> | undefined;

  install(): void {
    const g = globalThis;
    const saved = this.#saved = { setTimeout: g.setTimeout, setInterval: g.setInterval, clearTimeout: g.clearTimeout, clearInterval: g.clearInterval };
    const live = this.live;
    const fromLib = (stack: string) => /[\\/]lib[\\/][\w/\\]+\.ts/.test(stack) && !stack.includes("churn.test.ts");
    // deno-lint-ignore no-explicit-any
    const wrap = (create: (...args: any[]) => unknown, once: boolean) =>
      // deno-lint-ignore no-explicit-any
      function (this: unknown, fn: (...a: any[]) => void, ms?: number, ...rest: any[]) {
        const stack = new Error("timer").stack ?? "";
        if (!fromLib(stack) || typeof fn !== "function") return create.call(globalThis, fn, ms, ...rest);
        // deno-lint-ignore no-explicit-any
        const handle: any = create.call(globalThis, function (this: unknown, ...a: any[]) {
          if (once) live.delete(handle);
          return fn.apply(this, a);
        }, ms, ...rest);
        live.set(handle, stack.split("\n").slice(2, 4).join(" | ").trim());
        return handle;
      };
    // deno-lint-ignore no-explicit-any
    const clear = (original: (h: any) => void) => (handle: unknown) => {
      live.delete(handle);
      original.call(globalThis, handle);
    };
    Object.assign(g, {
      setTimeout: wrap(saved.setTimeout, true),
      setInterval: wrap(saved.setInterval, false),
      clearTimeout: clear(saved.clearTimeout),
      clearInterval: clear(saved.clearInterval),
    });
  }

  uninstall(): void {
    if (this.#saved) Object.assign(globalThis, this.#saved);
    this.#saved = undefined;
  }
}

// ---------------------------------------------------------------------------
// Shared helpers

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
const onException = (error: unknown) => rejections.push(error);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` over 0…n-1, at most `limit` at once. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/** What happened to one tool call. */
interface CallRecord {
  started: boolean;
  aborted: boolean;
  settled: boolean;
  /** The call's session ends while it runs, so its signal must abort. */
  mustAbort: boolean;
}

const keyed = { type: "object", properties: { key: { type: "string" }, ms: { type: "integer" } }, required: ["key"] };

// ---------------------------------------------------------------------------
// Churn

describe(`churn (seed ${SEED}): ${SESSIONS} sessions opened and abandoned`, () => {
  let server: McpServer;
  let base: string;
  let port: number;
  const calls = new Map<string, CallRecord>();
  const problems: string[] = [];
  const timers = new TimerWatch();
  const tally = new Map<string, number>();
  let timeoutsBefore = 0;
  let heapBefore = 0;

  const record = (key: string, mustAbort: boolean): CallRecord => {
    let r = calls.get(key);
    if (!r) calls.set(key, r = { started: false, aborted: false, settled: false, mustAbort });
    return r;
  };

  /** Resolves true when the signal aborts, false after `ms` (0: never). */
  const until = (signal: AbortSignal, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (signal.aborted) return resolve(true);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = ms > 0
        ? setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve(false);
        }, ms)
        : undefined;
      signal.addEventListener("abort", onAbort, { once: true });
    });

  before(async () => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
    timeoutsBefore = isNode ? activeTimeouts() : 0;
    timers.install();
    server = createServer({ name: "churn", version: "1.0.0", sessionIdleMs: CHURN_IDLE_MS, keepAliveMs: 100, maxQueuedBytes: MiB });
    // Waits on its signal, nothing else: only the end of its session can stop it.
    server.tool("wait", { inputSchema: keyed }, async ({ key }: { key: string }, ctx) => {
      const r = record(key, true);
      r.started = true;
      r.aborted = await until(ctx.signal, 0);
      r.settled = true;
      return "aborted";
    });
    // Progress every millisecond, for `ms` (0: until aborted).
    server.tool("emit", { inputSchema: keyed }, async ({ key, ms = 0 }: { key: string; ms?: number }, ctx) => {
      const r = record(key, ms === 0);
      r.started = true;
      const end = ms > 0 ? Date.now() + ms : Infinity;
      let i = 0;
      while (!ctx.signal.aborted && Date.now() < end) {
        ctx.progress(++i);
        await until(ctx.signal, 1);
      }
      r.aborted = ctx.signal.aborted;
      r.settled = true;
      return `${i} steps`;
    });
    // Says something only after 20 ms: its reply turns into a stream after the client may have gone.
    server.tool("late", { inputSchema: keyed }, async ({ key }: { key: string }, ctx) => {
      const r = record(key, false);
      r.started = true;
      r.aborted = await until(ctx.signal, 20);
      ctx.progress(1, 2);
      ctx.log("info", "late");
      r.settled = true;
      return "late";
    });
    ({ url: base, port } = await server.listen({ port: 0 }));
  });

  after(async () => {
    timers.uninstall();
    await server.close();
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  });

  const json = { "content-type": "application/json" };

  /**
   * A Streamable session's follow-up request answered 404: the session expired
   * between two of its requests. With a short idle limit and 50 clients in one
   * process, server latency alone can do that; the attempt is made again.
   */
  class Expired extends Error {}

  async function live(pending: Promise<Response>): Promise<Response> {
    const res = await pending;
    if (res.status === 404) {
      await res.text();
      throw new Expired("the session expired before it was abandoned");
    }
    return res;
  }

  /** initialize + notifications/initialized on a fresh session. */
  async function streamable(): Promise<StreamableClient> {
    const client = new StreamableClient(base);
    const res = await client.post({
      jsonrpc: "2.0",
      id: client.nextId(),
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "churn", version: "0" } },
    });
    if (res.status !== 200) throw new Error(`initialize answered ${res.status}: ${await res.text()}`);
    const body = await res.json() as Message;
    client.sessionId = res.headers.get("mcp-session-id") ?? undefined;
    client.protocolVersion = body.result.protocolVersion;
    const ack = await live(client.post({ jsonrpc: "2.0", method: "notifications/initialized" }));
    await ack.text();
    if (ack.status !== 202) throw new Error(`notifications/initialized answered ${ack.status}`);
    return client;
  }

  function headersOf(client: StreamableClient): Record<string, string> {
    return { accept: BOTH, ...json, "mcp-session-id": client.sessionId!, "mcp-protocol-version": client.protocolVersion! };
  }

  function callBody(id: number, name: string, key: string, ms?: number): string {
    return JSON.stringify({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name, arguments: ms === undefined ? { key } : { key, ms }, _meta: { progressToken: key } },
    });
  }

  /** Waits for a call to start, failing at once if its POST answers first (e.g. 404); leaves no timer behind. */
  async function started(key: string, answer: Promise<Response>): Promise<void> {
    let failure: unknown;
    let answered = false;
    answer.then((res) => {
      answered = true;
      failure ??= new Error(`the POST of ${key} answered ${res.status} before the call started`);
    }, (error) => {
      answered = true;
      failure = error;
    });
    await waitFor(() => calls.get(key)?.started === true || answered, `${key} to start`);
    if (!calls.get(key)?.started) throw failure;
  }

  type Scenario = (key: string, rng: Rng) => Promise<void>;

  /** The ways a session is abandoned, each a sentence for the tally. */
  const scenarios: [string, Scenario][] = [
    ["Streamable initialize, never DELETEd", async () => {
      await streamable();
    }],
    ["Streamable initialize + GET stream aborted mid-way", async (_key, rng) => {
      const client = await streamable();
      const abort = new AbortController();
      const res = live(fetch(client.url, {
        headers: { accept: "text/event-stream", "mcp-session-id": client.sessionId!, "mcp-protocol-version": client.protocolVersion! },
        signal: abort.signal,
      }));
      if (rng.chance(0.3)) abort.abort(); // before the head arrives
      const got = await res.catch((error) => {
        if (error instanceof Expired) throw error;
        return undefined;
      });
      if (got && got.status !== 200) problems.push(`GET /mcp answered ${got.status}`);
      await sleep(rng.int(15));
      abort.abort();
      await got?.body?.cancel().catch(() => {});
    }],
    ["HTTP+SSE GET /sse aborted at once", async (_key, rng) => {
      if (rng.chance(0.5)) {
        const abort = new AbortController();
        const res = fetch(`${base}/sse`, { headers: { accept: "text/event-stream" }, signal: abort.signal });
        if (rng.chance(0.5)) abort.abort();
        const got = await res.catch(() => undefined);
        abort.abort();
        await got?.body?.cancel().catch(() => {});
      } else {
        // A raw socket cut right after its request, or after the first bytes of the answer.
        await new Promise<void>((resolve) => {
          const socket = connect(port, "127.0.0.1", () => {
            socket.write(`GET /sse HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
            if (rng.chance(0.5)) socket.destroy();
          });
          socket.once("data", () => socket.destroy());
          socket.on("error", () => {});
          socket.on("close", () => resolve());
        });
      }
    }],
    ["HTTP+SSE stream aborted while a tool waits on its signal", async (key) => {
      record(key, true);
      const client = await LegacyClient.connect(base);
      await client.initialize();
      const res = await client.post({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "wait", arguments: { key } } });
      await res.text();
      await waitFor(() => calls.get(key)!.started, `${key} to start`);
      await client.close();
    }],
    ["Streamable tools/call in flight, then DELETE", async (key) => {
      record(key, true);
      const client = await streamable();
      const answer = live(fetch(client.url, { method: "POST", headers: headersOf(client), body: callBody(9, "wait", key) }));
      await started(key, answer);
      const deleted = await client.delete();
      await deleted.text();
      if (deleted.status !== 200) problems.push(`DELETE answered ${deleted.status}`);
      // The call's POST still gets a well-formed end: nothing to say (204), or its stream closes.
      const res = await answer;
      const body = await res.text();
      if (res.status !== 204 && res.status !== 200) problems.push(`the POST of a call whose session was deleted answered ${res.status}: ${body}`);
    }],
    ["Streamable progress stream cut mid-event", async (key, rng) => {
      record(key, false);
      const client = await streamable();
      const abort = new AbortController();
      const res = await live(fetch(client.url, { method: "POST", headers: headersOf(client), body: callBody(9, "emit", key, 40), signal: abort.signal }));
      if (res.headers.get("content-type") !== "text/event-stream") problems.push(`emit answered ${res.headers.get("content-type")}`);
      const reader = new EventReader(res.body!);
      const events = rng.range(1, 4);
      for (let n = 0; n < events; n++) {
        // Under load the 40 ms call may finish (and its stream end) before the cut: that is fine too.
        const event = await nextEvent(reader);
        if (!event) break;
        const m = JSON.parse(event.data) as Message;
        if (m.method !== "notifications/progress" && m.id !== 9) problems.push(`unexpected on the call's stream: ${event.data}`);
      }
      abort.abort();
      await reader.cancel();
    }],
    ["HTTP+SSE stream cut mid-event while a tool emits progress every ms", async (key, rng) => {
      record(key, true);
      const client = await LegacyClient.connect(base);
      await client.initialize();
      const res = await client.post({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "emit", arguments: { key }, _meta: { progressToken: key } } });
      await res.text();
      const events = rng.range(1, 4);
      for (let n = 0; n < events; n++) {
        const m: Message = await client.message();
        if (m.method !== "notifications/progress") problems.push(`expected progress, got ${JSON.stringify(m)}`);
      }
      await client.close();
    }],
    ["Streamable call aborted before its first progress", async (key, rng) => {
      record(key, false);
      const client = await streamable();
      const abort = new AbortController();
      const res = live(fetch(client.url, { method: "POST", headers: headersOf(client), body: callBody(9, "late", key), signal: abort.signal }));
      await sleep(rng.int(10));
      abort.abort();
      await res.then((r) => r.body?.cancel(), (error) => {
        if (error instanceof Expired) throw error;
      });
    }],
  ];

  let expiredEarly = 0;
  const slug = (name: string) => name.toLowerCase().replace(/[^a-z]+/g, "-");
  const LATE = slug("Streamable call aborted before its first progress");

  /** Runs one abandonment; a session that expired before it was abandoned is tried again with a new one. */
  async function abandon(name: string, run: Scenario, i: number, rng: Rng): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const key = `${slug(name)}#${i}.${attempt}`;
      try {
        await run(key, rng);
        return;
      } catch (error) {
        if (!calls.get(key)?.started) calls.delete(key);
        if (error instanceof Expired && attempt < 5) {
          expiredEarly++;
          continue;
        }
        problems.push(`${name} #${i}: ${String(error)}`);
        return;
      }
    }
  }

  it(`opens and abandons ${SESSIONS} sessions, ${CONCURRENCY} at a time, in ${scenarios.length} ways`, LONG, async () => {
    // Warm up every path once, so lazily built things (JIT, pools) are in the baseline.
    const warm = new Rng(SEED ^ 1);
    for (const [name, run] of scenarios) await abandon(name, run, -1, warm);
    await waitFor(() => server.sessionCount === 0, "the warm-up sessions to end", 10_000);
    heapBefore = await settledHeap();
    const begun = Date.now();
    const rng = new Rng(SEED);
    const plan = Array.from({ length: SESSIONS }, () => rng.int(scenarios.length));
    const seeds = Array.from({ length: SESSIONS }, () => rng.int(2 ** 31));
    await pool(SESSIONS, CONCURRENCY, async (i) => {
      const [name, run] = scenarios[plan[i]!]!;
      tally.set(name, (tally.get(name) ?? 0) + 1);
      await abandon(name, run, i, new Rng(seeds[i]!));
    });
    const seconds = (Date.now() - begun) / 1000;
    console.log(`churn: ${SESSIONS} sessions in ${seconds.toFixed(1)} s (${expiredEarly} more that expired under load before they could be abandoned): ${[...tally].map(([n, c]) => `${c} × ${n}`).join("; ")}`);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
  });

  it("sessionCount returns to 0: abandoned Streamable sessions expire, HTTP+SSE ones end with their stream", LONG, async () => {
    await waitFor(() => server.sessionCount === 0, `sessionCount 0 (still ${server.sessionCount})`, 15_000);
  });

  it("every tool call whose session ended saw ctx.signal abort, and every call settled", LONG, async () => {
    await waitFor(() => [...calls.values()].every((r) => r.settled || !r.started), "every call to settle", 4000).catch(() => {});
    const running = [...calls].filter(([, r]) => r.started && !r.settled).map(([k]) => k);
    // A call aborted before it reached the server ("late") may never start; every other one must have.
    const notStarted = [...calls].filter(([k, r]) => !r.started && !k.startsWith(LATE)).map(([k]) => k);
    const unaborted = [...calls].filter(([, r]) => r.mustAbort && r.started && !r.aborted).map(([k]) => k);
    const mustAbort = [...calls.values()].filter((r) => r.mustAbort).length;
    console.log(`churn: ${calls.size} tool calls, ${mustAbort} of them cut off by the end of their session, ${[...calls.values()].filter((r) => r.aborted).length} aborted`);
    assert.deepEqual(running.slice(0, 10), [], `${running.length} calls still running`);
    assert.deepEqual(notStarted.slice(0, 10), [], `${notStarted.length} calls never started`);
    assert.deepEqual(unaborted.slice(0, 10), [], `${unaborted.length} calls whose session ended never saw their signal abort`);
  });

  it("the heap after a full GC is back within 8 MiB of where it started", LONG, async () => {
    if (!gc) {
      // Without a GC hook the heap would mostly measure garbage not yet collected. Node and Deno
      // (v8.setFlagsFromString + vm) and Bun (Bun.gc) all have one; this is for a runtime that does not.
      console.log("churn: heap check skipped: this runtime offers no GC hook");
      return;
    }
    const heapAfter = await settledHeap();
    const growth = heapAfter - heapBefore;
    console.log(`churn: heap ${(heapBefore / MiB).toFixed(1)} MiB before, ${(heapAfter / MiB).toFixed(1)} MiB after (${growth >= 0 ? "+" : ""}${(growth / MiB).toFixed(2)} MiB) for ${SESSIONS} sessions`);
    assert.ok(growth < 8 * MiB, `the heap grew by ${(growth / MiB).toFixed(1)} MiB`);
  });

  it("no lib/ timer outlives close(), and no more ref'd timers than before start (Node)", LONG, async () => {
    await server.close();
    await sleep(20);
    assert.deepEqual([...timers.live.values()].slice(0, 5), [], `${timers.live.size} lib/ timers still live`);
    if (isNode) {
      await waitFor(() => activeTimeouts() <= timeoutsBefore, "ref'd timers to drop to the count before start", 2000).catch(() => {});
      assert.ok(activeTimeouts() <= timeoutsBefore, `${activeTimeouts()} ref'd timers, ${timeoutsBefore} before start: ${process.getActiveResourcesInfo().join(", ")}`);
    }
  });

  it("no unhandled rejection or uncaught exception happened", () => {
    assert.deepEqual(rejections.map(String), []);
  });
});

// ---------------------------------------------------------------------------
// Slow readers

/** A raw HTTP/1.1 GET that reads the head and the first event, then stops reading. */
interface RawStream {
  socket: Socket;
  /** Everything read before the pause. */
  text: string;
}

function openPaused(port: number, path: string, headers: Record<string, string>, until: RegExp): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no ${until} from GET ${path}: ${text}`));
    }, 5000);
    socket.setEncoding("latin1");
    const onData = (chunk: string) => {
      text += chunk;
      if (until.test(text)) {
        clearTimeout(timer);
        socket.off("data", onData);
        socket.pause();
        resolve({ socket, text });
      }
    };
    socket.on("data", onData);
    socket.on("error", () => {});
    socket.on("connect", () => {
      let head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      socket.write(head + "\r\n");
    });
  });
}

/**
 * Memory the server could be holding for a reader: the JS heap plus buffers
 * outside it, sampled after a GC. Without a GC hook it would count garbage
 * too, so then only RSS is bounded.
 */
function held(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * Pushes ~256 MiB of 64 KiB log messages at the server's sessions, 1 MiB per
 * turn of the event loop, and watches memory. Stops early at `cutOff()`
 * plus 32 MiB, since what comes after reaches nobody.
 */
async function push(server: McpServer, cutOff: () => boolean): Promise<{ pushed: number; cutAt: number | undefined; rssGrowth: number; heldGrowth: number }> {
  const payload = "z".repeat(64 * 1024);
  gc?.();
  const rss0 = process.memoryUsage().rss;
  const held0 = held();
  let rssMax = rss0;
  let heldMax = held0;
  let pushed = 0;
  let cutAt: number | undefined;
  while (pushed < 256 * MiB) {
    for (let i = 0; i < 16; i++) server.log("info", payload);
    pushed += 16 * payload.length;
    await new Promise((resolve) => setImmediate(resolve));
    if (pushed % (8 * MiB) === 0) {
      gc?.(); // what is retained, not garbage not yet collected
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
      heldMax = Math.max(heldMax, held());
    }
    if (cutAt === undefined && cutOff()) cutAt = pushed;
    if (cutAt !== undefined && pushed >= cutAt + 32 * MiB) break;
  }
  return { pushed, cutAt, rssGrowth: rssMax - rss0, heldGrowth: heldMax - held0 };
}

/** Resumes a paused socket and reads until the server's close; resolves with the bytes read. */
function drain(socket: Socket, timeoutMs = 10_000): Promise<{ bytes: number; closed: boolean }> {
  return new Promise((resolve) => {
    let bytes = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ bytes, closed: false });
    }, timeoutMs);
    socket.on("data", (chunk: string) => (bytes += chunk.length));
    socket.once("close", () => {
      clearTimeout(timer);
      resolve({ bytes, closed: true });
    });
    socket.resume();
  });
}

describe("slow readers: a client that stops reading is cut off at maxQueuedBytes (1 MiB)", () => {
  let server: McpServer;
  let base: string;
  let port: number;

  before(async () => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
    server = createServer({ name: "slow", version: "1.0.0", maxQueuedBytes: MiB, sessionIdleMs: IDLE_MS, keepAliveMs: 0 });
    ({ url: base, port } = await server.listen({ port: 0 }));
  });

  after(async () => {
    await server.close();
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  });

  const mb = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

  it("HTTP+SSE: GET /sse never read while ~256 MiB of logs are pushed: memory stays bounded and the session ends", LONG, async () => {
    const stream = await openPaused(port, "/sse", {}, /data: (\/messages\?sessionId=[\w-]+)\n\n/);
    const endpoint = /data: (\/messages\?sessionId=[\w-]+)/.exec(stream.text)![1]!;
    const init = await fetch(base + endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "slow", version: "0" } } }),
    });
    assert.equal(init.status, 202);
    await init.text();
    assert.equal(server.sessionCount, 1);
    const { pushed, cutAt, rssGrowth, heldGrowth } = await push(server, () => server.sessionCount === 0);
    console.log(`slow reader (HTTP+SSE): cut after ${cutAt === undefined ? "never" : mb(cutAt)} of ${mb(pushed)} pushed; RSS +${mb(rssGrowth)}, heap+external +${mb(heldGrowth)}`);
    assert.ok(cutAt !== undefined, `the session was never cut off after ${mb(pushed)}`);
    assert.ok(cutAt <= 64 * MiB, `cut off only after ${mb(cutAt)}`);
    if (gc) assert.ok(heldGrowth < 64 * MiB, `heap+external grew by ${mb(heldGrowth)}`);
    assert.ok(rssGrowth < 128 * MiB, `RSS grew by ${mb(rssGrowth)}`);
    const { bytes, closed } = await drain(stream.socket);
    assert.ok(closed, "the server never closed the connection");
    assert.ok(bytes < cutAt, `the client read ${mb(bytes)}, more than was pushed before the cut (${mb(cutAt)})`);
  });

  it("Streamable HTTP: a GET /mcp stream never read is cut off, and its session then expires", LONG, async () => {
    const client = new StreamableClient(base);
    await client.initialize();
    const stream = await openPaused(port, "/mcp", {
      "mcp-session-id": client.sessionId!,
      "mcp-protocol-version": client.protocolVersion!,
    }, /^HTTP\/1\.1 200[^]*\r\n\r\n/);
    assert.match(stream.text, /content-type: text\/event-stream/i);
    const { pushed, cutAt, rssGrowth, heldGrowth } = await push(server, () => server.sessionCount === 0);
    // The connection is cut at the bound; the session outlives it (a client may resume) until it has been idle IDLE_MS.
    const ended = await waitFor(() => server.sessionCount === 0, "the session to expire", 5000).then(() => true, () => false);
    console.log(`slow reader (Streamable GET): ${mb(pushed)} pushed, session gone ${cutAt === undefined ? "after the push" : `after ${mb(cutAt)}`}; RSS +${mb(rssGrowth)}, heap+external +${mb(heldGrowth)}`);
    assert.ok(ended, `the session never ended after ${mb(pushed)}`);
    if (gc) assert.ok(heldGrowth < 64 * MiB, `heap+external grew by ${mb(heldGrowth)}`);
    assert.ok(rssGrowth < 128 * MiB, `RSS grew by ${mb(rssGrowth)}`);
    const { bytes, closed } = await drain(stream.socket);
    assert.ok(closed, "the server never closed the connection");
    assert.ok(bytes < 32 * MiB, `the client read ${mb(bytes)} of ${mb(pushed)}: it was not cut off at the bound`);
    const res = await client.call("nope");
    await res.text();
    assert.equal(res.status, 404, "the expired session still answers");
  });

  it("a reader in another process that keeps up is not cut off by a burst of replies (8 concurrent 1 MB tool results, maxQueuedBytes 4 MiB)", LONG, async () => {
    const burst = createServer({ name: "burst", version: "1.0.0" });
    burst.tool("echo", { inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } }, ({ text }: { text: string }) => text);
    const listening = await burst.listen({ port: 0 });
    // The reader: a plain script on the same runtime, counting message events as fast as they come.
    const reader = `Promise.all([import("node:net"), import("node:process")]).then(([{ connect }, { default: proc }]) => {
      const port = Number(proc.env.EMCEE_READ_PORT);
      const s = connect(port, "127.0.0.1");
      let buf = "", count = 0, endpoint = false;
      s.setEncoding("latin1");
      s.on("connect", () => s.write("GET /sse HTTP/1.1\\r\\nHost: 127.0.0.1:" + port + "\\r\\nAccept: text/event-stream\\r\\n\\r\\n"));
      s.on("data", (c) => {
        buf += c;
        let i;
        while ((i = buf.indexOf("\\n\\n")) !== -1) {
          const ev = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m = /data: (\\/messages\\?sessionId=\\S+)/.exec(ev);
          if (m && !endpoint) { endpoint = true; proc.stdout.write("ENDPOINT " + m[1] + "\\n"); }
          else if (ev.includes("data: {")) proc.stdout.write("MESSAGE " + (++count) + "\\n");
        }
      });
      s.on("close", () => { proc.stdout.write("CLOSED\\n"); proc.exit(0); });
    });`;
    const args = isDeno ? ["eval", reader] : ["-e", reader];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, EMCEE_READ_PORT: String(listening.port), DENO_NO_UPDATE_CHECK: "1" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitFor(() => /ENDPOINT \S+\n/.test(out), "the reader's endpoint", 10_000);
      const endpoint = /ENDPOINT (\S+)/.exec(out)![1]!;
      const post = async (body: unknown) => {
        const res = await fetch(listening.url + endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        await res.text();
        return res.status;
      };
      await post({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "fast", version: "0" } } });
      await waitFor(() => out.includes("MESSAGE 1\n"), "the initialize result", 5000);
      const text = "x".repeat(MiB);
      const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) =>
        post({ jsonrpc: "2.0", id: 100 + i, method: "tools/call", params: { name: "echo", arguments: { text } } })));
      assert.deepEqual(statuses, Array(8).fill(202));
      await waitFor(() => out.includes("MESSAGE 9\n") || out.includes("CLOSED"), "8 results or the end of the stream", 15_000).catch(() => {});
      const got = [...out.matchAll(/MESSAGE (\d+)/g)].length - 1;
      assert.equal(got, 8, `the reader got ${got} of 8 results; the stream ${out.includes("CLOSED") ? "was cut off" : "stayed open"} (sessions: ${burst.sessionCount})`);
      assert.equal(burst.sessionCount, 1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise((resolve) => {
          child.once("exit", resolve);
          child.kill();
        });
      }
      await burst.close();
    }
  });
});

describe("idle expiry counts from the end of a session's last activity", () => {
  let server: McpServer;
  let base: string;

  before(async () => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
    // The sweeper runs every IDLE_MS / 2 = 100 ms.
    server = createServer({ name: "idle", version: "1.0.0", sessionIdleMs: IDLE_MS });
    server.tool("sleep", {}, () => sleep(2 * IDLE_MS).then(() => "slept"));
    ({ url: base } = await server.listen({ port: 0 }));
  });

  after(async () => {
    await server.close();
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  });

  it("a session whose call ran longer than sessionIdleMs is still there 150 ms after the call answered", LONG, async () => {
    const client = new StreamableClient(base);
    await client.initialize();
    const res = await client.call("sleep");
    assert.equal(res.status, 200);
    await res.text();
    // Idle for 150 ms < 200 ms: the sweeper ran at least once meanwhile, and must have kept the session.
    await sleep(150);
    const ping = await client.request("ping");
    const body = await ping.text();
    assert.equal(ping.status, 200, `the session expired 150 ms after its last call answered: ${body}`);
    await (await client.delete()).text();
  });

  it("a session whose GET stream was open longer than sessionIdleMs can reconnect 150 ms after the stream dropped", LONG, async () => {
    const client = new StreamableClient(base);
    await client.initialize();
    // Raw sockets for the streams (one connection each, no pooling), so dropping one is a plain socket close.
    const openStream = () =>
      new Promise<{ status: number; drop: () => void }>((resolve, reject) => {
        const req = httpRequest(`${base}/mcp`, {
          agent: false,
          headers: { accept: "text/event-stream", "mcp-session-id": client.sessionId!, "mcp-protocol-version": "2025-11-25" },
        }, (res) => resolve({ status: res.statusCode!, drop: () => req.destroy() }));
        req.on("error", reject);
        req.end();
      });
    const stream = await openStream();
    assert.equal(stream.status, 200);
    await sleep(2 * IDLE_MS);
    stream.drop();
    await sleep(150);
    const again = await openStream();
    assert.equal(again.status, 200, "the session expired 150 ms after its stream dropped");
    again.drop();
    await (await client.delete()).text();
  });
});

describe("idle Streamable HTTP sessions stay small", () => {
  let server: McpServer;
  let base: string;

  before(async () => {
    server = createServer({ name: "idle-size", version: "1.0.0" });
    server.tool("add", { inputSchema: { type: "object", properties: { a: { type: "number" } } } }, ({ a }) => String(a));
    ({ url: base } = await server.listen({ port: 0 }));
  });

  after(() => server.close());

  // One raw connection per POST (rawRequest): fetch's own bookkeeping would count in this process's heap.
  const post = async (body: unknown, sessionId?: string) => {
    const port = Number(new URL(base).port);
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, accept: BOTH, "content-type": "application/json" };
    if (sessionId) Object.assign(headers, { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" });
    const res = await rawRequest(port, "POST", "/mcp", headers, JSON.stringify(body));
    assert.ok(res.status === 200 || res.status === 202, `${res.status} ${res.body}`);
    return res.headers["mcp-session-id"];
  };
  const initialize = async () => {
    const params = { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "idle", version: "0" } };
    const id = await post({ jsonrpc: "2.0", id: 1, method: "initialize", params });
    await post({ jsonrpc: "2.0", method: "notifications/initialized" }, id);
  };
  const open = async (count: number) => {
    for (let i = 0; i < count; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, initialize));
  };

  // A session that initialized and went quiet holds its record, its id and what the client declared;
  // maps for requests, streams and subscriptions come with first use. Measured on Node 20: ~835 bytes
  // (1,590 when every session made its maps up front and kept a closure per watcher).
  it("2,000 more initialized sessions grow the heap by under 1,100 bytes each after a full GC", LONG, async () => {
    if (!gc) return console.log("idle size: skipped: this runtime offers no GC hook");
    await open(500); // code, maps and the first pages of the session table
    const before = await settledHeap();
    await open(2000);
    const after = await settledHeap();
    const perSession = (after - before) / 2000;
    console.log(`idle size: ${perSession.toFixed(0)} bytes of heap per idle Streamable session`);
    assert.equal(server.sessionCount, 2500);
    assert.ok(perSession < 1100, `${perSession.toFixed(0)} bytes per idle session`);
  });
});
