/**
 * Starting a contestant as its own process, pinned to CPU 1 with `taskset`
 * where it exists, on a free loopback port, and timing its cold start:
 * from `spawn()` until an `initialize` over the transport under test
 * succeeds (polled every 5 ms).
 *
 * On Node every server runs as `node --import tsx <file>`, so all pay the
 * same loader cost; on Deno (`deno run -A`) and Bun (`bun <file>`) the
 * runtime's own TypeScript support runs it. Bundled servers (bundle.ts) run
 * as plain `node <file>.mjs`.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { openSession } from "./transports.ts";
import type { Target, TransportName } from "./transports.ts";

/** A runtime that runs the servers; `plain` is `node <file>` without tsx, for bundled `.mjs` files. */
export type Runtime = "node" | "deno" | "bun" | "plain";

/** The project root, where `node_modules/.bin` and `tsx` are found. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/** The CPU servers are pinned to, and the one the load generator keeps. */
export const SERVER_CPU = 1;
export const CLIENT_CPU = 0;

/** Whether `taskset` can pin processes here. */
export const CAN_PIN: boolean = spawnSync("taskset", ["-p", String(process.pid)]).status === 0;

/** A running server process. */
export interface Started {
  pid: number;
  target: Target;
  /** Milliseconds from spawn to the first successful initialize. */
  coldStartMs: number;
  /** What the process printed, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** The command line that runs `file` on `runtime`, pinned to `cpu` when possible (`null`: not pinned). */
export function commandFor(runtime: Runtime, file: string, cpu: number | null): string[] {
  const run = runtime === "node"
    ? [process.execPath, "--import", "tsx", file]
    : runtime === "plain"
    ? [process.execPath, file]
    : runtime === "deno"
    ? [`${ROOT}node_modules/.bin/deno`, "run", "-A", file]
    : [`${ROOT}node_modules/.bin/bun`, file];
  return CAN_PIN && cpu !== null ? ["taskset", "-c", String(cpu), ...run] : run;
}

/** The version `runtime` reports, e.g. `node v20.20.2`, `deno 2.9.6`, `bun 1.4.5`. */
export function runtimeVersion(runtime: Runtime): string {
  if (runtime === "node" || runtime === "plain") return `node ${process.version}`;
  const out = spawnSync(`${ROOT}node_modules/.bin/${runtime}`, ["--version"], { encoding: "utf8" }).stdout ?? "";
  const first = out.split("\n")[0]!.trim(); // "deno 2.9.6 (stable, …)" or "1.4.5"
  return first.startsWith(runtime) ? first.split(" (")[0]! : `${runtime} ${first}`;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns `file` on `runtime` and waits until a session over `transport` initializes.
 *
 * @param file absolute path of the server file
 * @param options runtime, transport for the cold-start probe, CPU to pin to (`null`: not pinned, default
 *   {@linkcode SERVER_CPU}), arguments after the file, variables added to this process's environment
 * @returns the process, its target and its cold start
 * @throws when the process exits or stays unusable for 30 s
 */
export async function startServer(
  file: string,
  options: { runtime: Runtime; transport: TransportName; cpu?: number | null; args?: string[]; env?: Record<string, string> },
): Promise<Started> {
  const port = await freePort();
  const target = { host: "127.0.0.1", port };
  const [cmd, ...args] = [...commandFor(options.runtime, file, options.cpu === undefined ? SERVER_CPU : options.cpu), ...options.args ?? []];
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd!, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env, PORT: String(port), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };
  for (;;) {
    try {
      const session = await openSession(options.transport, target);
      const coldStartMs = performance.now() - t0;
      await session.close();
      return { pid: child.pid!, target, coldStartMs, output: () => out, stop };
    } catch (error) {
      if (child.exitCode !== null || performance.now() - t0 > 30_000) {
        await stop();
        throw new Error(`Cannot start ${file}: ${(error as Error).message}\n${out}`);
      }
      await sleep(5);
    }
  }
}
