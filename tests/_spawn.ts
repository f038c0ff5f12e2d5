/**
 * Spawns an example on the runtime running the tests (Node + tsx, Node type
 * stripping, Deno or Bun) with PORT=0, and waits for the URL it prints.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The command that runs a .ts file on the current runtime. */
export function runtimeCommand(file: string): [string, string[]] {
  const deno = (globalThis as { Deno?: unknown }).Deno;
  if (deno) return [process.execPath, ["run", "-A", file]];
  if (process.versions.bun) return [process.execPath, [file]];
  const strips = (process.features as { typescript?: string }).typescript;
  return [process.execPath, strips ? [file] : ["--import", "tsx", file]];
}

/** A running example. */
export interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `examples/<name>` on the current runtime and resolves with the first http URL it prints. */
export function startExample(name: string, env: Record<string, string> = {}): Promise<Running> {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  const [cmd, args] = runtimeCommand(file);
  return startCommand(cmd, args, env, `examples/${name}`);
}

/** Runs a command with PORT=0 and resolves with the first http URL it prints (on stdout or stderr). */
export function startCommand(cmd: string, args: string[], env: Record<string, string> = {}, label = cmd): Promise<Running> {
  const child = spawn(cmd, args, {
    env: { ...process.env, PORT: "0", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${label} printed no URL in time:\n${out}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/[\w.[\]:-]+:\d+/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[0], output: () => out, stop });
      }
    };
    // Some hosts announce their address on stderr (`deno serve` does).
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code}:\n${out}`));
    });
  });
}
