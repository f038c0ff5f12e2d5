/**
 * The benchmark runner: starts each server as its own process (pinned to
 * CPU 1; this load generator pins itself to CPU 0), in an interleaved order
 * over several repetitions, and measures per transport: calls/s and server
 * CPU µs/call at 8 sessions × 4 in flight, latency percentiles at 1 × 1,
 * idle KiB per open session and cold start. On Node it then bundles each
 * server into one file and times its cold start on plain `node`, and sizes
 * the library's bundle (bundle.ts). Prints medians with ratios to the bare
 * floor and writes every sample to `.bench/latest.json`.
 *
 * On Deno and Bun, each of bare and emcee runs twice: on the runtime's
 * `node:http` layer (bare.ts, server.ts) and on its native server,
 * Deno.serve or Bun.serve (bare_fetch.ts, server_fetch.ts: emcee through
 * `server.fetch`). All four are interleaved in one run; each pair is
 * reported against its own floor, then emcee on both servers side by side.
 *
 *   npm run bench                       3 repetitions (about 5 minutes)
 *   npm run bench:quick                 1 short repetition (a smoke run)
 *   npm run bench -- --runtime deno     on Deno (or bun): node:http and Deno.serve, bare and emcee on each
 *   npm run bench -- --reps 5
 *
 * Exits 1 when any call failed or returned a wrong result.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import process from "node:process";
import { bundleServer, librarySize } from "./bundle.ts";
import type { BundleSize } from "./bundle.ts";
import { idleMemory } from "./idle.ts";
import type { IdleResult } from "./idle.ts";
import { runLoad } from "./loadgen.ts";
import type { LoadOptions, LoadResult } from "./loadgen.ts";
import { cpuBusyMicros, cpuMicros, hasProc } from "./proc.ts";
import { CAN_PIN, CLIENT_CPU, ROOT, runtimeVersion, SERVER_CPU, startServer } from "./spawn.ts";
import type { Runtime } from "./spawn.ts";
import { median, renderTable } from "./table.ts";
import type { Block } from "./table.ts";
import { TRANSPORT_TITLES, TRANSPORTS } from "./transports.ts";
import type { TransportName } from "./transports.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};

const quick = flag("quick");
const runtime = (option("runtime") ?? "node") as Runtime;
if (!["node", "deno", "bun"].includes(runtime)) throw new TypeError(`Cannot bench on runtime "${runtime}": use node, deno or bun`);
const reps = Number(option("reps") ?? (quick ? 1 : 3));
if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`Cannot bench ${option("reps")} repetitions: use a positive integer`);
const config = {
  reps,
  warmupMs: quick ? 200 : 1000,
  latencyMs: quick ? 300 : 3000,
  throughputMs: quick ? 700 : 5000,
  idle: { warm: quick ? 100 : 1000, count: quick ? 200 : 3000, settleMs: quick ? 200 : 500 },
  load: { sessions: 8, inFlight: 4 },
};

const SERVERS: Record<string, string> = {
  bare: `${ROOT}bench/bare.ts`,
  sdk: `${ROOT}bench/sdk.ts`,
  emcee: `${ROOT}bench/server.ts`,
  "bare-fetch": `${ROOT}bench/bare_fetch.ts`,
  "emcee-fetch": `${ROOT}bench/server_fetch.ts`,
};
/** The runtime's native fetch server, which the `-fetch` contestants run on (Node has none). */
const NATIVE = runtime === "deno" ? "Deno.serve" : runtime === "bun" ? "Bun.serve" : undefined;
// The SDK is measured on Node only: the other runtimes compare emcee with the floor on the same runtime,
// on its node:http layer and on its native server.
const LAYER = runtime === "node" ? ["bare", "sdk", "emcee"] : ["bare", "emcee"];
const FETCH = NATIVE ? ["bare-fetch", "emcee-fetch"] : [];
const servers = [...LAYER, ...FETCH];
const nameWidth = Math.max(...servers.map((s) => s.length));
/** The servers in repetition `rep`'s order: rotated, so no contestant always goes first. */
const rotation = (rep: number) => servers.map((_, i) => servers[(i + rep) % servers.length]!);

/** A load result with the CPU time spent over its window. */
type Measured = LoadResult & {
  serverCpuUsPerCall: number;
  serverCpuPercent: number;
  clientCpuPercent: number;
  /** Busy time of the servers' CPU not spent by the server: interrupts, and other processes (a noisy machine). */
  otherCpuPercent: number;
};

/** Everything measured for one server and transport, on two processes. */
interface Sample {
  server: string;
  transport: TransportName;
  rep: number;
  /** Two cold starts: the idle-memory process and the load process. */
  coldStartMs: number[];
  latency: Measured;
  throughput: Measured;
  idle: IdleResult;
}

/** Runs one load, reading the server's, this process's and the server CPU's time as its window opens and closes. */
async function measuredLoad(pid: number, options: LoadOptions): Promise<Measured> {
  let cpu0 = 0, cpu1 = 0, busy0 = 0, busy1 = 0, client0 = process.cpuUsage(), client1 = client0;
  const load = await runLoad({
    ...options,
    onWindowStart: () => {
      cpu0 = cpuMicros(pid);
      busy0 = CAN_PIN ? cpuBusyMicros(SERVER_CPU) : 0;
      client0 = process.cpuUsage();
    },
    onWindowEnd: () => {
      cpu1 = cpuMicros(pid);
      busy1 = CAN_PIN ? cpuBusyMicros(SERVER_CPU) : 0;
      client1 = process.cpuUsage(client0);
    },
  });
  const windowUs = load.windowMs * 1000;
  return {
    ...load,
    serverCpuUsPerCall: (cpu1 - cpu0) / load.windowCalls,
    serverCpuPercent: (100 * (cpu1 - cpu0)) / windowUs,
    clientCpuPercent: (100 * (client1.user + client1.system)) / windowUs,
    otherCpuPercent: CAN_PIN ? Math.max(0, (100 * (busy1 - busy0 - (cpu1 - cpu0))) / windowUs) : NaN,
  };
}

/** Idle memory on a fresh process (see idle.ts for why), then the loads on another. */
async function measure(server: string, transport: TransportName, rep: number): Promise<Sample> {
  const fresh = await startServer(SERVERS[server]!, { runtime, transport });
  let idle: IdleResult;
  try {
    idle = await idleMemory(transport, fresh.target, fresh.pid, config.idle);
  } finally {
    await fresh.stop();
  }
  const started = await startServer(SERVERS[server]!, { runtime, transport });
  try {
    const common = { transport, target: started.target, warmupMs: config.warmupMs };
    const latency = await measuredLoad(started.pid, { ...common, sessions: 1, inFlight: 1, durationMs: config.latencyMs });
    const throughput = await measuredLoad(started.pid, { ...common, ...config.load, durationMs: config.throughputMs });
    return { server, transport, rep, coldStartMs: [fresh.coldStartMs, started.coldStartMs], latency, throughput, idle };
  } finally {
    await started.stop();
  }
}

/** The median of `pick` over the samples of `server` on `transport` (undefined when none). */
function medianOf(samples: Sample[], server: string, transport: TransportName, pick: (s: Sample) => number | number[]): number | undefined {
  const mine = samples.filter((s) => s.server === server && s.transport === transport);
  return mine.length ? median(mine.flatMap(pick)) : undefined;
}

const load = `${config.load.sessions} sessions × ${config.load.inFlight}`;
const callsPerSec = (s: Sample) => s.throughput.callsPerSec;
const cpuPerCall = (s: Sample) => s.throughput.serverCpuUsPerCall;

/** The full blocks, one per transport, for the servers `columns` (the first is the floor). */
function blocks(samples: Sample[], columns: string[]): Block[] {
  const med = (transport: TransportName, pick: (s: Sample) => number | number[]) =>
    Object.fromEntries(columns.map((server) => [server, medianOf(samples, server, transport, pick)]));
  const idle = `idle KiB/session (${config.idle.warm}→${config.idle.warm + config.idle.count})`;
  const other = (s: Sample) => [s.latency.otherCpuPercent, s.throughput.otherCpuPercent];
  return TRANSPORTS.map((t) => ({
    title: TRANSPORT_TITLES[t],
    rows: [
      { label: `calls/s (${load})`, values: med(t, callsPerSec) },
      { label: "p50 latency µs (1 × 1)", values: med(t, (s) => s.latency.latencyUs.p50) },
      { label: "p90 latency µs (1 × 1)", values: med(t, (s) => s.latency.latencyUs.p90) },
      { label: "p99 latency µs (1 × 1)", values: med(t, (s) => s.latency.latencyUs.p99) },
      { label: `server CPU µs/call (${load})`, values: med(t, cpuPerCall), digits: 1 },
      { label: "server CPU % of a core", values: med(t, (s) => s.throughput.serverCpuPercent), ratio: false },
      { label: "load generator CPU %", values: med(t, (s) => s.throughput.clientCpuPercent), ratio: false },
      { label: `other use of CPU ${SERVER_CPU} %`, values: med(t, other), ratio: false },
      { label: idle, values: med(t, (s) => s.idle.perSessionKiB), digits: 1 },
      { label: "cold start ms", values: med(t, (s) => s.coldStartMs) },
    ],
  }));
}

/** emcee on the runtime's node:http layer (the floor of this table) and on its native server, per transport. */
function doorBlocks(samples: Sample[]): Block[] {
  const med = (transport: TransportName, pick: (s: Sample) => number) =>
    Object.fromEntries(["emcee", "emcee-fetch"].map((server) => [server, medianOf(samples, server, transport, pick)]));
  return TRANSPORTS.map((t) => ({
    title: TRANSPORT_TITLES[t],
    rows: [
      { label: `calls/s (${load})`, values: med(t, callsPerSec) },
      { label: `server CPU µs/call (${load})`, values: med(t, cpuPerCall), digits: 1 },
    ],
  }));
}

/** emcee-fetch's server CPU µs/call over bare-fetch's, per transport: the native door's overhead. */
function fetchRatios(samples: Sample[]): Record<TransportName, number> {
  return Object.fromEntries(TRANSPORTS.map((t) => {
    const floor = medianOf(samples, "bare-fetch", t, cpuPerCall), value = medianOf(samples, "emcee-fetch", t, cpuPerCall);
    return [t, floor !== undefined && value !== undefined ? value / floor : NaN];
  })) as Record<TransportName, number>;
}
/** The native door's CPU target: emcee-fetch within 1.25× of bare-fetch. */
const FETCH_TARGET = 1.25;

if (!hasProc()) throw new Error("Cannot bench: /proc is needed to read the servers' CPU time and memory");
// Every thread of this process to the load generator's CPU; servers inherit it until taskset moves them.
if (CAN_PIN) spawnSync("taskset", ["-a", "-p", "-c", String(CLIENT_CPU), String(process.pid)]);
const started = Date.now();
const samples: Sample[] = [];
for (let rep = 0; rep < config.reps; rep++) {
  // Rotate the server order and alternate the transport order, so no contestant always goes first.
  const order = rotation(rep);
  const transports = rep % 2 ? [...TRANSPORTS].reverse() : [...TRANSPORTS];
  for (const server of order) {
    for (const transport of transports) {
      const s = await measure(server, transport, rep);
      samples.push(s);
      const bad = s.latency.errors + s.throughput.errors;
      console.error(
        `rep ${rep + 1}/${config.reps} ${server.padEnd(nameWidth)} ${transport.padEnd(10)} ` +
          `${Math.round(s.throughput.callsPerSec)} calls/s, p50 ${Math.round(s.latency.latencyUs.p50)} µs, ` +
          `${s.throughput.serverCpuUsPerCall.toFixed(1)} µs/call, ${s.idle.perSessionKiB.toFixed(1)} KiB/session, ` +
          `cold ${s.coldStartMs.map(Math.round).join("/")} ms, ` +
          `other use of CPU ${SERVER_CPU} ${Math.round(Math.max(s.latency.otherCpuPercent, s.throughput.otherCpuPercent))}%` +
          (bad ? `, ${bad} ERRORS: ${[...s.latency.errorSamples, ...s.throughput.errorSamples][0]}` : ""),
      );
    }
  }
}

/** Each contestant bundled into one file (bundle.ts): its size, and cold starts on plain node, both transports per repetition. */
interface Bundled {
  bytes: Record<string, number>;
  coldStartMs: Record<string, number[]>;
  library: BundleSize;
}

async function measureBundles(): Promise<Bundled> {
  const files: Record<string, string> = {};
  const bytes: Record<string, number> = {};
  const coldStartMs: Record<string, number[]> = {};
  for (const server of LAYER) {
    files[server] = bundleServer(server, SERVERS[server]!);
    bytes[server] = statSync(files[server]!).size;
    coldStartMs[server] = [];
  }
  for (let rep = 0; rep < config.reps; rep++) {
    for (const server of rotation(rep).filter((s) => LAYER.includes(s))) {
      for (const transport of TRANSPORTS) {
        const started = await startServer(files[server]!, { runtime: "plain", transport });
        coldStartMs[server]!.push(started.coldStartMs);
        await started.stop();
      }
    }
  }
  return { bytes, coldStartMs, library: librarySize() };
}

const bundled = runtime === "node" ? await measureBundles() : undefined;
const bundleBlock = (b: Bundled): Block => ({
  title: "one bundled file, plain node",
  rows: [
    { label: "server file KB (minified)", values: Object.fromEntries(LAYER.map((s) => [s, b.bytes[s]! / 1000])), digits: 1 },
    { label: "cold start ms", values: Object.fromEntries(LAYER.map((s) => [s, median(b.coldStartMs[s]!)])) },
  ],
});
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

const completed = samples.reduce((n, s) => n + s.latency.completed + s.throughput.completed, 0);
const checked = samples.reduce((n, s) => n + s.latency.checked + s.throughput.checked, 0);
const errors = samples.reduce((n, s) => n + s.latency.errors + s.throughput.errors, 0);
const launcher = runtime === "node"
  ? "node --import tsx <file> (same loader cost for all)"
  : runtime === "deno"
  ? "deno run -A <file>"
  : "bun <file>";
const pinning = CAN_PIN ? `servers pinned to CPU ${SERVER_CPU}, load generator to CPU ${CLIENT_CPU}` : "not pinned (no taskset)";
const seconds = ((Date.now() - started) / 1000).toFixed(0);
const version = runtimeVersion(runtime);
const { warm, count } = config.idle;
const ratios = NATIVE ? fetchRatios(samples) : undefined;
const nativeTables = NATIVE && ratios
  ? `

on ${NATIVE} (${runtime}'s native server; emcee through server.fetch): ratio = value ÷ bare-fetch (the floor, 1.00×)

${renderTable(blocks(samples, FETCH), FETCH)}

emcee on ${runtime}'s node:http layer (server.listen) and on ${NATIVE} (server.fetch): ratio = value ÷ emcee on node:http

${renderTable(doorBlocks(samples), ["emcee", "emcee-fetch"])}`
  : "";
console.log(`
emcee bench: servers on ${version}, load generator on node ${process.version}; \
medians of ${config.reps} repetition(s)${quick ? " (quick)" : ""}
servers run as: ${launcher}; ${pinning}${NATIVE ? `
bare and emcee on ${runtime}'s node:http layer; bare-fetch and emcee-fetch on ${NATIVE}` : ""}
ratio = value ÷ bare (the floor, 1.00×); calls/s higher is better, everything else lower

${renderTable([...blocks(samples, LAYER), ...bundled ? [bundleBlock(bundled)] : []], LAYER)}${nativeTables}

- every result was checked: ${checked} of ${completed} correct, ${errors} errors; ${seconds} s${quick ? `
- quick: windows too short for a warm JIT and too few sessions for memory; a smoke run, not figures to quote` : ""}
- idle KiB/session: RSS growth from ${warm} to ${warm + count} open sessions on a fresh process, over ${count};
  it includes garbage not yet collected (no GC can be forced from outside)
- other use of CPU ${SERVER_CPU}: busy time on the servers' CPU not spent by the server (interrupts, other
  processes); tens of % mean a noisy machine, so trust CPU µs/call over calls/s
- cold start: spawn until an initialize succeeds (idle and load processes both counted)${ratios ? `
- server CPU µs/call, emcee-fetch ÷ bare-fetch (target ≤ ${FETCH_TARGET.toFixed(2)}×): \
${TRANSPORTS.map((t) => `${TRANSPORT_TITLES[t]} ${ratios[t].toFixed(2)}× (${ratios[t] <= FETCH_TARGET ? "met" : "not met"})`).join(", ")}` : ""}${runtime === "node" ? `
- sdk: one McpServer per session as in its examples; its Streamable replies are event streams (SDK default)` : ""}${bundled ? `
- one bundled file: each server file and its imports bundled by esbuild as \`npm run bundle\` does, run as \`node <file>.mjs\`;
  cold start over both transports and every repetition
- npm run bundle (dist/emcee.js, the library alone): ${kb(bundled.library.minified)} minified, \
${kb(bundled.library.gzipped)} gzipped; the playground page is ${kb(bundled.library.playground)} of it` : ""}`);

mkdirSync(`${ROOT}.bench`, { recursive: true });
const raw = { runtime, version, node: process.version, pinned: CAN_PIN, config, samples, bundled };
writeFileSync(`${ROOT}.bench/latest.json`, JSON.stringify(raw, null, 2));
console.log(`raw samples: .bench/latest.json`);
if (errors > 0 || checked !== completed) process.exitCode = 1;
