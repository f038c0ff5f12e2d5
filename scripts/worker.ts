/**
 * Serves a `{ fetch }` module the way Cloudflare Workers would, offline:
 * bundles it with esbuild (workerd runs JavaScript modules only) and runs it
 * in workerd, Cloudflare's runtime, from npm.
 *
 *   npm run worker                                   examples/fetch.ts on PORT (default 8787)
 *   node --import tsx scripts/worker.ts examples/everything_fetch.ts
 *
 * PORT=0 picks a free port. The URL is printed once workerd answers.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The compatibility date the module is served with: `nodejs_compat` is on by default from 2026-08-04. */
export const COMPATIBILITY_DATE = "2026-11-01";

/** A module running in workerd. */
export interface Worker {
  url: string;
  /** Stops workerd and removes the bundle. */
  stop(): Promise<void>;
}

/** A free loopback port (workerd binds the port its config names, so one is picked first). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

/** The capnp config serving `worker.mjs` on `address`. */
function config(address: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "${address}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.mjs") ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`;
}

/**
 * Bundles `module` and serves it in workerd on `port` (0: a free one);
 * resolves once it answers HTTP.
 *
 * @param output where workerd's own output goes (inherited by `npm run worker`; collected by tests)
 */
export async function startWorker(module: string, port = 0, output: "inherit" | "pipe" = "pipe"): Promise<Worker & { output(): string }> {
  const dir = mkdtempSync(join(tmpdir(), "emcee-worker-"));
  await build({
    entryPoints: [resolve(module)],
    outfile: join(dir, "worker.mjs"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["node:*", "cloudflare:*"],
    logLevel: "error",
  });
  const address = `127.0.0.1:${port || await freePort()}`;
  writeFileSync(join(dir, "config.capnp"), config(address));
  const child = spawn(join(ROOT, "node_modules/.bin/workerd"), ["serve", join(dir, "config.capnp")], {
    stdio: ["ignore", output, output],
  });
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://${address}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(async (res) => {
      await res.body?.cancel();
      return true;
    }, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`workerd did not serve ${module} on ${address}:\n${log}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return { url, stop, output: () => log };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const module = process.argv[2] ?? join(ROOT, "examples/fetch.ts");
  const worker = await startWorker(module, Number(process.env.PORT ?? 8787), "inherit");
  console.log(`${module} on workerd: ${worker.url}/mcp (Streamable HTTP, 2026-07-28) and ${worker.url}/sse (HTTP+SSE)`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void worker.stop().then(() => process.exit(0)));
  }
}
