/**
 * The load generator: opens N sessions, keeps C `tools/call` in flight per
 * session for a warm-up and then a measured window, and checks every result
 * (`add(a, b)` → `String(a + b)`, `echo(text)` → `text`). Calls alternate
 * between the two tools. Bounded in time: workers stop issuing at the end
 * of the window and stragglers are given `drainMs` before they count as
 * errors.
 *
 * It imports only `node:` modules and its siblings, so it runs in-process on
 * Node, Deno and Bun (tests/bench_smoke.test.ts does that).
 *
 * @module
 */
import { openSessions } from "./transports.ts";
import type { McpSession, Target, TransportName } from "./transports.ts";

/** Options of {@linkcode runLoad}. */
export interface LoadOptions {
  transport: TransportName;
  target: Target;
  /** Where the calls go, when not to `target` which opens the sessions (another instance of a cluster). */
  postTarget?: Target;
  /** Sessions opened. */
  sessions: number;
  /** Calls kept in flight per session. */
  inFlight: number;
  /** Milliseconds of load before the window opens (JIT warm-up). */
  warmupMs: number;
  /** Milliseconds of the measured window. */
  durationMs: number;
  /** Milliseconds granted to calls still in flight when the window closes. Default 10000. */
  drainMs?: number;
  /** Called as the window opens and closes, e.g. to read the server's CPU time. */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

/** Latency percentiles, in microseconds. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

/** What {@linkcode runLoad} measured. */
export interface LoadResult {
  /** Calls answered, warm-up and drain included. */
  completed: number;
  /** Answered calls whose result was exactly the expected one. */
  checked: number;
  /** Failed, wrong or unanswered calls. */
  errors: number;
  /** The first few error messages. */
  errorSamples: string[];
  /** Calls completed inside the window. */
  windowCalls: number;
  /** The window's real length in milliseconds. */
  windowMs: number;
  callsPerSec: number;
  /** Latencies of the calls completed inside the window. */
  latencyUs: Percentiles;
}

interface Call {
  params: { name: string; arguments: Record<string, unknown> };
  expected: string;
}

/** The n-th call: even ones `add`, odd ones `echo` (with non-ASCII text, to check UTF-8 both ways). */
export function makeCall(n: number): Call {
  if (n % 2 === 0) {
    const a = n, b = (n % 97) / 4;
    return { params: { name: "add", arguments: { a, b } }, expected: String(a + b) };
  }
  const text = `echo ${n} – café`;
  return { params: { name: "echo", arguments: { text } }, expected: text };
}

/** Why `result` is not the one text block `expected`, or undefined when it is. */
export function checkResult(result: unknown, expected: string): string | undefined {
  const r = result as { content?: Array<{ type?: string; text?: string }>; isError?: boolean } | undefined;
  if (!r || !Array.isArray(r.content)) return `no content in ${JSON.stringify(result)}`;
  if (r.isError) return `isError: ${JSON.stringify(r.content)}`;
  const block = r.content[0];
  if (r.content.length !== 1 || block?.type !== "text" || block.text !== expected) {
    return `expected text ${JSON.stringify(expected)}, got ${JSON.stringify(r.content)}`;
  }
  return undefined;
}

/** The q-quantile (0 ≤ q < 1) of sorted values, by the nearest-rank rule. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Runs one load: opens the sessions, warms up, measures, drains, closes.
 *
 * @param options transport, target, sessions × in flight, durations, window hooks
 * @returns counts, calls/s and latency percentiles of the window
 * @example
 * ```ts
 * const r = await runLoad({ transport: "streamable", target: { host: "127.0.0.1", port: 4100 },
 *   sessions: 8, inFlight: 4, warmupMs: 500, durationMs: 3000 });
 * console.log(r.callsPerSec, r.latencyUs.p99, r.errors);
 * ```
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { transport, target, warmupMs, durationMs, drainMs = 10_000 } = options;
  const sessions: McpSession[] = await openSessions(transport, target, options.sessions, options.postTarget);
  let completed = 0, checked = 0, errors = 0, seq = 0, windowCalls = 0;
  let phase: "warmup" | "window" | "stopped" = "warmup";
  let windowStart = 0, windowEnd = 0;
  const errorSamples: string[] = [];
  const latencies: number[] = [];
  const fail = (message: string) => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(message);
  };

  const worker = async (session: McpSession) => {
    while (phase !== "stopped") {
      const call = makeCall(seq++);
      const t0 = performance.now();
      try {
        const result = await session.request("tools/call", call.params);
        const t1 = performance.now();
        completed++;
        const problem = checkResult(result, call.expected);
        if (problem) fail(problem);
        else checked++;
        if (phase === "window") {
          windowCalls++;
          latencies.push((t1 - t0) * 1000);
        }
      } catch (error) {
        fail((error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, 10)); // no hot loop against a dead server
      }
    }
  };

  const timers = [
    setTimeout(() => {
      phase = "window";
      windowStart = performance.now();
      options.onWindowStart?.();
    }, warmupMs),
    setTimeout(() => {
      phase = "stopped";
      windowEnd = performance.now();
      options.onWindowEnd?.();
    }, warmupMs + durationMs),
  ];
  const workers = sessions.flatMap((s) => Array.from({ length: options.inFlight }, () => worker(s)));
  let unfinished = workers.length;
  for (const w of workers) void w.then(() => unfinished--);
  await new Promise<void>((resolve) => setTimeout(resolve, warmupMs + durationMs));
  let drained: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([Promise.all(workers), new Promise((resolve) => (drained = setTimeout(resolve, drainMs)))]);
  for (const t of [...timers, drained]) clearTimeout(t);
  for (let i = 0; i < unfinished; i++) fail(`no reply within ${drainMs} ms of the window's end`);
  await Promise.all(sessions.map((s) => s.close()));

  const windowMs = windowEnd - windowStart;
  const sorted = Float64Array.from(latencies).sort();
  return {
    completed,
    checked,
    errors,
    errorSamples,
    windowCalls,
    windowMs,
    callsPerSec: windowMs > 0 ? windowCalls / (windowMs / 1000) : 0,
    latencyUs: { p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99) },
  };
}
