/**
 * The cluster benchmark: emcee instances (bench/server.ts with `REDIS_URL`)
 * sharing their sessions through a redis-server started here, behind
 * examples/round_robin.ts, which sends each request to the next instance in
 * turn. It measures, per transport:
 *
 * - throughput: calls/s at 8 sessions × 4 `tools/call` in flight through the
 *   proxy in front of one instance and in front of two (about half the calls
 *   then land on the instance that does not hold their session and are
 *   forwarded over Redis to the one that does), and, for context, one
 *   instance with no proxy; with the CPU time each process spent per call,
 *   read from `/proc`, and Redis's command counts (`INFO commandstats`);
 * - the hop: latency percentiles at 1 session × 1 call in flight for a
 *   session opened on instance A, its calls sent to A itself (local) or to
 *   instance B (forwarded to A over Redis, the answer streamed back).
 *
 *   npm run bench:cluster                 3 interleaved repetitions, medians (about 2 minutes)
 *   npm run bench:cluster -- --quick      1 short repetition (a smoke run, about 10 s)
 *   npm run bench:cluster -- --reps 3
 *
 * Nothing is pinned: the instances, the proxy, Redis and this load
 * generator share the machine's cores as they would on one host, and the
 * CPU rows show who used them. Every result is checked; exits 1 on any
 * wrong or missing reply. Raw numbers go to `.bench/cluster.json`.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import process from "node:process";
import { createClient } from "redis";
import { runLoad } from "./loadgen.ts";
import type { LoadOptions, LoadResult } from "./loadgen.ts";
import { cpuBusyMicros, cpuMicros, hasProc } from "./proc.ts";
import { startRedis } from "./redis.ts";
import { freePort, ROOT, startServer } from "./spawn.ts";
import type { Started } from "./spawn.ts";
import { median, renderTable } from "./table.ts";
import type { Block } from "./table.ts";
import { TRANSPORT_TITLES, TRANSPORTS } from "./transports.ts";
import type { Target, TransportName } from "./transports.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const repsArg = args.indexOf("--reps");
const reps = repsArg === -1 ? (quick ? 1 : 3) : Number(args[repsArg + 1]);
if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`Cannot bench ${args[repsArg + 1]} repetitions: use a positive integer`);
const config = {
  reps,
  load: { sessions: 8, inFlight: 4, warmupMs: quick ? 200 : 1000, durationMs: quick ? 700 : 3000 },
  latency: { sessions: 1, inFlight: 1, warmupMs: quick ? 100 : 500, durationMs: quick ? 300 : 2000 },
};
/** The whole run is killed past this, children included (the default run takes about 2 minutes). */
const DEADLINE_MS = quick ? 60_000 : 300_000;

// ---------------------------------------------------------------- processes

/** What runs, by the name the CPU rows use. */
interface Running {
  name: string;
  pid: number;
  stop(): Promise<void>;
}
const running: Running[] = [];

/** Stops every child still running, last started first. */
async function stopAll(): Promise<void> {
  for (const child of running.splice(0).reverse()) await child.stop().catch(() => {});
}
// Whatever happens (an error, Ctrl-C, the deadline), no child outlives this process.
process.once("exit", () => {
  for (const child of running) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));
setTimeout(() => {
  console.error(`bench:cluster: still running after ${DEADLINE_MS / 1000} s, giving up`);
  process.exit(1);
}, DEADLINE_MS).unref();

/** A throwaway redis-server on a free loopback port. */
async function startRedisHere(): Promise<Running & { url: string }> {
  const redis = await startRedis(await freePort());
  return { name: "redis-server", pid: redis.child.pid!, stop: redis.stop, url: redis.url };
}

/** Starts a program with startServer(), unpinned, and records it for stopAll(). */
async function start(name: string, file: string, options: { args?: string[]; env?: Record<string, string> } = {}): Promise<Started> {
  const started = await startServer(`${ROOT}${file}`, { runtime: "node", transport: "streamable", cpu: null, ...options });
  running.push({ name, pid: started.pid, stop: started.stop });
  return started;
}

// ---------------------------------------------------------------- measuring

/** Redis's command counts so far (`INFO commandstats`), the bench's own `INFO` left out. */
interface RedisCounts {
  commands: number;
  get: number;
  publish: number;
}

/** CPU time so far, in µs: each process by name, this load generator, and the whole machine's busy time. */
type CpuSnapshot = Record<string, number>;

/** One load's result with what it cost, over its window. */
type Measured = LoadResult & {
  /** CPU µs over the window, by process name, plus `load generator` and `machine` (busy time of every core). */
  cpuUs: Record<string, number>;
  /** Redis commands run over the window. */
  redis: RedisCounts;
};

let redisClient: ReturnType<typeof createClient> | undefined;

async function redisCounts(): Promise<RedisCounts> {
  const info = String(await redisClient!.sendCommand(["INFO", "commandstats"]));
  const counts: RedisCounts = { commands: 0, get: 0, publish: 0 };
  for (const [, command, calls] of info.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
    if (command === "info") continue;
    counts.commands += Number(calls);
    if (command === "get") counts.get += Number(calls);
    if (command === "publish") counts.publish += Number(calls);
  }
  return counts;
}

const CORES = availableParallelism();

function cpuSnapshot(): CpuSnapshot {
  const snapshot: CpuSnapshot = {};
  for (const child of running) snapshot[child.name] = cpuMicros(child.pid);
  const self = process.cpuUsage();
  snapshot["load generator"] = self.user + self.system;
  snapshot.machine = Array.from({ length: CORES }, (_, cpu) => cpuBusyMicros(cpu)).reduce((a, b) => a + b, 0);
  return snapshot;
}

/**
 * Loads whose sessions had to be opened again. emcee records a new session's
 * owner in Redis without holding back the `initialize` answer, so the
 * session's next request, sent to the other instance at once, may get there
 * first and be answered 404 (unknown session). The spec tells a client to
 * initialize again on a 404, and so does this bench: the load starts over
 * (nothing was measured yet), and the report counts how often.
 */
let reopened = 0;

/** Runs one load, reading every process's CPU time and Redis's counts as its window opens and closes. */
async function measuredLoad(options: LoadOptions): Promise<Measured> {
  for (let attempt = 1;; attempt++) {
    try {
      return await measuredOnce(options);
    } catch (error) {
      // runLoad() throws only while opening its sessions; every call's failure is counted, not thrown.
      if (attempt === 3 || !/ answered 404/.test((error as Error).message)) throw error;
      reopened++;
      console.error(`  a session was not yet known to the other instance (${(error as Error).message.slice(0, 60)}…): opening again`);
    }
  }
}

async function measuredOnce(options: LoadOptions): Promise<Measured> {
  let cpu0: CpuSnapshot = {}, cpu1: CpuSnapshot = {};
  let redis0: Promise<RedisCounts> | undefined, redis1: Promise<RedisCounts> | undefined;
  const load = await runLoad({
    ...options,
    onWindowStart: () => {
      cpu0 = cpuSnapshot();
      redis0 = redisCounts();
    },
    onWindowEnd: () => {
      cpu1 = cpuSnapshot();
      redis1 = redisCounts();
    },
  });
  const [r0, r1] = await Promise.all([redis0!, redis1!]);
  const cpuUs = Object.fromEntries(Object.keys(cpu1).map((name) => [name, cpu1[name]! - (cpu0[name] ?? 0)]));
  return { ...load, cpuUs, redis: { commands: r1.commands - r0.commands, get: r1.get - r0.get, publish: r1.publish - r0.publish } };
}

/** The throughput set-ups: table columns, the first one the ratios divide by. */
const SETUPS = ["1 via proxy", "2 via proxy", "1 direct"] as const;
type Setup = (typeof SETUPS)[number];
/** The hop modes: to the session's owner, or to the other instance. */
const MODES = ["local (A)", "hop (B → A)"] as const;
type Mode = (typeof MODES)[number];

interface ThroughputSample {
  setup: Setup;
  transport: TransportName;
  rep: number;
  result: Measured;
}
interface LatencySample {
  mode: Mode;
  transport: TransportName;
  rep: number;
  result: Measured;
}

function report(what: string, r: Measured): void {
  const bad = r.errors ? `, ${r.errors} ERRORS: ${r.errorSamples[0]}` : "";
  console.error(`${what.padEnd(44)} ${Math.round(r.callsPerSec)} calls/s, p50 ${Math.round(r.latencyUs.p50)} µs, ` +
    `${r.windowCalls ? Math.round(forwarded(r)) : 0}% forwarded${bad}`);
}

// ---------------------------------------------------------------- the run

if (!hasProc()) throw new Error("Cannot bench: /proc is needed to read every process's CPU time");
const startedAt = Date.now();
const throughput: ThroughputSample[] = [];
const latency: LatencySample[] = [];
try {
  const redis = await startRedisHere();
  running.push(redis);
  redisClient = createClient({ url: redis.url });
  redisClient.on("error", () => {});
  await redisClient.connect();
  const env = { REDIS_URL: redis.url };
  const a = await start("instance A", "bench/server.ts", { env });
  const b = await start("instance B", "bench/server.ts", { env });
  const proxy1 = await start("proxy → A", "examples/round_robin.ts", { args: [String(a.target.port)] });
  const proxy2 = await start("proxy → A, B", "examples/round_robin.ts", { args: [String(a.target.port), String(b.target.port)] });
  const targets: Record<Setup, Target> = { "1 via proxy": proxy1.target, "2 via proxy": proxy2.target, "1 direct": a.target };
  const posts: Record<Mode, Target> = { "local (A)": a.target, "hop (B → A)": b.target };

  for (let rep = 0; rep < config.reps; rep++) {
    // Rotate the set-up order and alternate the transport order, so none always goes first.
    const setups = SETUPS.map((_, i) => SETUPS[(i + rep) % SETUPS.length]!);
    const transports = rep % 2 ? [...TRANSPORTS].reverse() : [...TRANSPORTS];
    for (const setup of setups) {
      for (const transport of transports) {
        const result = await measuredLoad({ transport, target: targets[setup], ...config.load });
        throughput.push({ setup, transport, rep, result });
        report(`rep ${rep + 1}/${config.reps} ${setup.padEnd(11)} ${transport.padEnd(10)}`, result);
      }
    }
    for (const transport of transports) {
      for (const mode of rep % 2 ? [...MODES].reverse() : MODES) {
        // Sessions opened on A; their calls go to A itself, or to B which forwards them to A.
        const result = await measuredLoad({ transport, target: a.target, postTarget: posts[mode], ...config.latency });
        latency.push({ mode, transport, rep, result });
        report(`rep ${rep + 1}/${config.reps} 1 × 1 ${mode.padEnd(11)} ${transport.padEnd(10)}`, result);
      }
    }
  }
} finally {
  await redisClient?.quit().catch(() => {});
  await stopAll();
}

// ---------------------------------------------------------------- the report

/** Per set-up medians of `pick` over the throughput samples of `transport`. */
function perSetup(transport: TransportName, pick: (r: Measured) => number): Record<string, number | undefined> {
  return Object.fromEntries(SETUPS.map((setup) => {
    const mine = throughput.filter((s) => s.setup === setup && s.transport === transport);
    return [setup, mine.length ? median(mine.map((s) => pick(s.result))) : undefined];
  }));
}
function perMode(transport: TransportName, pick: (r: Measured) => number): Record<string, number | undefined> {
  return Object.fromEntries(MODES.map((mode) => {
    const mine = latency.filter((s) => s.mode === mode && s.transport === transport);
    return [mode, mine.length ? median(mine.map((s) => pick(s.result))) : undefined];
  }));
}

const sum = (cpu: Record<string, number>, names: string[]) => names.reduce((n, name) => n + (cpu[name] ?? 0), 0);
const INSTANCES = ["instance A", "instance B"];
const PROXIES = ["proxy → A", "proxy → A, B"];
const OURS = [...INSTANCES, ...PROXIES, "redis-server", "load generator"];
/** CPU µs per call of some processes. */
const perCall = (names: string[]) => (r: Measured) => sum(r.cpuUs, names) / r.windowCalls;
/** CPU % of one core of some processes. */
const percent = (names: string[]) => (r: Measured) => (100 * sum(r.cpuUs, names)) / (r.windowMs * 1000);
/** A forwarded call is two PUBLISHes, the request and its answer (owners are looked up once per session). */
function forwarded(r: Measured): number {
  return r.windowCalls ? (100 * r.redis.publish) / 2 / r.windowCalls : 0;
}

const { sessions, inFlight } = config.load;
const load = `${sessions} sessions × ${inFlight}`;
const throughputBlocks: Block[] = TRANSPORTS.map((t) => ({
  title: TRANSPORT_TITLES[t],
  rows: [
    { label: `calls/s (${load})`, values: perSetup(t, (r) => r.callsPerSec) },
    { label: "calls forwarded over Redis %", values: perSetup(t, forwarded), ratio: false },
    { label: "Redis commands per call", values: perSetup(t, (r) => r.redis.commands / r.windowCalls), digits: 2, ratio: false },
    { label: "CPU µs/call: instances", values: perSetup(t, perCall(INSTANCES)), digits: 1 },
    { label: "CPU µs/call: proxy", values: perSetup(t, perCall(PROXIES)), digits: 1 },
    { label: "CPU µs/call: redis-server", values: perSetup(t, perCall(["redis-server"])), digits: 1, ratio: false },
    { label: "CPU µs/call: load generator", values: perSetup(t, perCall(["load generator"])), digits: 1 },
    { label: "CPU µs/call: all of these", values: perSetup(t, perCall(OURS)), digits: 1 },
    { label: "CPU % of a core: instance A", values: perSetup(t, percent(["instance A"])), ratio: false },
    { label: "CPU % of a core: instance B", values: perSetup(t, percent(["instance B"])), ratio: false },
    { label: "CPU % of a core: proxy", values: perSetup(t, percent(PROXIES)), ratio: false },
    { label: "CPU % of a core: redis-server", values: perSetup(t, percent(["redis-server"])), ratio: false },
    { label: "CPU % of a core: load generator", values: perSetup(t, percent(["load generator"])), ratio: false },
    { label: `CPU % busy, all ${CORES} cores (of ${CORES * 100})`, values: perSetup(t, percent(["machine"])), ratio: false },
    {
      label: "  of which not these processes",
      values: perSetup(t, (r) => Math.max(0, percent(["machine"])(r) - percent(OURS)(r))),
      ratio: false,
    },
  ],
}));

const latencyLoad = `${config.latency.sessions} × ${config.latency.inFlight}`;
const latencyBlocks: Block[] = TRANSPORTS.map((t) => ({
  title: TRANSPORT_TITLES[t],
  rows: [
    { label: `p50 latency µs (${latencyLoad})`, values: perMode(t, (r) => r.latencyUs.p50) },
    { label: `p90 latency µs (${latencyLoad})`, values: perMode(t, (r) => r.latencyUs.p90) },
    { label: `p99 latency µs (${latencyLoad})`, values: perMode(t, (r) => r.latencyUs.p99) },
    { label: "calls forwarded over Redis %", values: perMode(t, forwarded), ratio: false },
    { label: "Redis commands per call", values: perMode(t, (r) => r.redis.commands / r.windowCalls), digits: 2, ratio: false },
  ],
}));

/** A few lines per transport on what limits two instances, computed from the medians above. */
function findings(t: TransportName): string {
  const at = (pick: (r: Measured) => number, setup: Setup) => perSetup(t, pick)[setup]!;
  const one = at((r) => r.callsPerSec, "1 via proxy"), two = at((r) => r.callsPerSec, "2 via proxy");
  const busy = (names: string[]) => Math.round(at(percent(names), "2 via proxy"));
  const all1 = at(perCall(OURS), "1 via proxy"), all2 = at(perCall(OURS), "2 via proxy");
  const inst1 = at(perCall(INSTANCES), "1 via proxy"), inst2 = at(perCall(INSTANCES), "2 via proxy");
  const share = at(forwarded, "2 via proxy") / 100;
  const redisUs = at(perCall(["redis-server"]), "2 via proxy");
  const local = perMode(t, (r) => r.latencyUs.p50)["local (A)"]!;
  const hop = perMode(t, (r) => r.latencyUs.p50)["hop (B → A)"]!;
  const round = (n: number) => Math.round(n).toLocaleString("en-US");
  return `- ${TRANSPORT_TITLES[t]}: two instances ÷ one = ${(two / one).toFixed(2)}×. With two, the ${CORES} cores were ` +
    `${busy(["machine"])}% busy of ${CORES * 100}% (instances ${busy(["instance A"])} + ${busy(["instance B"])}, ` +
    `proxy ${busy(PROXIES)}, load generator ${busy(["load generator"])}, redis-server ${busy(["redis-server"])});\n` +
    `  all these processes spent ${all1.toFixed(0)} µs of CPU per call with one instance, ${all2.toFixed(0)} µs with two ` +
    `(${(all1 / all2).toFixed(2)}× as many calls per CPU second);\n` +
    `  a forwarded call (${Math.round(share * 100)}% of them) costs the instances about ${round((inst2 - inst1) / share)} µs more CPU ` +
    `and redis-server ${round(redisUs / share)} µs;\n` +
    `  with a core each and nothing else on it, one instance would serve about ${round(1e6 / inst1)} calls/s, ` +
    `two behind round robin about ${round((2 * 1e6) / inst2)};\n` +
    `  a hop adds ${round(hop - local)} µs at p50 (${(hop / local).toFixed(2)}× the local call)`;
}

const errors = [...throughput, ...latency].reduce((n, s) => n + s.result.errors, 0);
const completed = [...throughput, ...latency].reduce((n, s) => n + s.result.completed, 0);
const checked = [...throughput, ...latency].reduce((n, s) => n + s.result.checked, 0);
const seconds = ((Date.now() - startedAt) / 1000).toFixed(0);
const redisVersion = /v=(\S+)/.exec(spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout ?? "")?.[1] ?? "?";
console.log(`
emcee cluster bench: node ${process.version}, redis-server ${redisVersion}, ${CORES} cores, nothing pinned; \
medians of ${config.reps} repetition(s)${quick ? " (quick)" : ""}
instances: bench/server.ts with REDIS_URL; proxy: examples/round_robin.ts; ratio = value ÷ "1 via proxy"

${renderTable(throughputBlocks, [...SETUPS])}

hop: a session opened on instance A, its calls sent to A, or to B which forwards them to A over Redis

${renderTable(latencyBlocks, [...MODES])}

${TRANSPORTS.map(findings).join("\n")}
- every result was checked: ${checked} of ${completed} correct, ${errors} errors; ${seconds} s
- sessions opened again after a 404 (a request reached the other instance before the owner had
  recorded the new session in Redis): ${reopened} load(s)${quick ? `
- quick: windows too short for a warm JIT; a smoke run, not figures to quote` : ""}
- all processes share the ${CORES} cores: with two instances, the proxy, the load generator and Redis
  compete with them, and about half the calls pay a hop (the "forwarded" row): PUBLISHes of the
  request and of its answer (an instance looks a session's owner up once), plus the work on both instances
- "of which not these processes": busy time no process above was charged (the kernel's loopback
  network work, other processes); CPU time is read in 10 ms ticks from /proc`);

mkdirSync(`${ROOT}.bench`, { recursive: true });
const raw = { node: process.version, redis: redisVersion, cores: CORES, config, reopened, throughput, latency };
writeFileSync(`${ROOT}.bench/cluster.json`, JSON.stringify(raw, null, 2));
console.log("raw numbers: .bench/cluster.json");
if (errors > 0 || checked !== completed) process.exitCode = 1;
