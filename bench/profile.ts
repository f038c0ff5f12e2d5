/**
 * Where emcee's time goes: starts `bench/server.ts` under `--cpu-prof`,
 * drives it with the load generator for a few seconds per transport, stops
 * it, and prints the functions with the most self time.
 *
 *   node --import tsx bench/profile.ts            (both transports)
 *   node --import tsx bench/profile.ts --seconds 10
 *
 * The profile itself is written to .bench/profile/*.cpuprofile (open it in
 * Chrome DevTools for the call tree).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import process from "node:process";
import { runLoad } from "./loadgen.ts";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 5;
const dir = ".bench/profile";
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const port = 4190;
const child = spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--import", "tsx", "bench/server.ts"], {
  env: { ...process.env, PORT: String(port) },
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise<void>((resolve) => child.stdout!.on("data", (c: Buffer) => /listening|127\.0\.0\.1/.test(String(c)) && resolve()));

for (const transport of ["sse", "streamable"] as const) {
  const result = await runLoad({
    transport,
    target: { host: "127.0.0.1", port },
    sessions: 8,
    inFlight: 4,
    warmupMs: 1000,
    durationMs: seconds * 1000,
  });
  console.log(`${transport}: ${Math.round(result.callsPerSec)} calls/s, ${result.errors} errors`);
}
child.kill("SIGTERM");
await new Promise((resolve) => child.once("exit", resolve));

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!;
const profile = JSON.parse(readFileSync(`${dir}/${file}`, "utf8")) as { nodes: Node[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
for (const id of profile.samples) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const key = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(lib|node_modules|bench)\//, "$1/")}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
console.log(`\nself time, top 25 of ${total} samples (${dir}/${file}):`);
for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${(100 * n / total).toFixed(1).padStart(5)} %  ${key}`);
}
