/**
 * Redis for the cluster benchmark and tests: a throwaway `redis-server`
 * (Debian's package) on a loopback port, and node-redis connected the way
 * examples/cluster.ts connects it. `redis` is loaded only when connecting,
 * so importing this module costs nothing where no Redis is used.
 *
 * @module
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";

/** A running redis-server. */
export interface RedisProcess {
  child: ChildProcess;
  url: string;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on `port` of 127.0.0.1, without persistence, and
 * waits until it accepts connections (at most 10 s).
 *
 * @throws when redis-server is not installed, exits, or is not ready in time
 */
export async function startRedis(port: number): Promise<RedisProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return; // never started, or gone
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server not ready within 10 s:\n${out}`)), 10_000);
    child.once("error", (error) =>
      reject(new Error(`Cannot start redis-server (${error.message}): run npm run test:setup, which installs Debian's redis-server`)));
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}:\n${out}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk;
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { child, url: `redis://127.0.0.1:${port}`, stop };
}

/** Two connected node-redis clients (commands, and pub/sub) that fail fast while Redis is away. */
export async function connectRedis(url: string) {
  const { createClient } = await import("redis");
  const client = createClient({ url, disableOfflineQueue: true });
  const subscriber = client.duplicate();
  for (const c of [client, subscriber]) c.on("error", () => {}); // they reconnect by themselves
  await Promise.all([client.connect(), subscriber.connect()]);
  return { client, subscriber, quit: () => Promise.all([client.quit(), subscriber.quit()]).catch(() => {}) };
}
