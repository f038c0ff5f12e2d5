/**
 * The two programs some tests drive that npm does not install: a real
 * `redis-server` (tests/cluster_redis.test.ts) and a real Chromium
 * (tests/playground.test.ts, through playwright-core, which never downloads a
 * browser of its own). tests/_setup.ts obtains them before `npm test`; the
 * tests read the same facts from here.
 *
 * `EMCEE_SKIP_SYSTEM_TESTS=1` is the one switch for machines that cannot have
 * them (say, macOS without Homebrew's redis): set-up then installs nothing and
 * exactly those tests are skipped, each saying why. Without it they run, and a
 * missing program is a failure, never a silent skip.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";

/** The switch that skips the tests needing a system program. */
export const SKIP_SWITCH = "EMCEE_SKIP_SYSTEM_TESTS";

/** Chromium's path: `EMCEE_CHROMIUM`, or Debian's package. */
export const CHROMIUM: string = process.env.EMCEE_CHROMIUM || "/usr/bin/chromium";

/** A program the tests need, how to tell it works and which Debian package brings it. */
export interface SystemProgram {
  name: string;
  command: [string, ...string[]];
  debian: string;
  usedBy: string;
}

export const PROGRAMS: readonly SystemProgram[] = [
  { name: "redis-server", command: ["redis-server", "--version"], debian: "redis-server", usedBy: "tests/cluster_redis.test.ts" },
  { name: "Chromium", command: [CHROMIUM, "--version"], debian: "chromium", usedBy: "tests/playground.test.ts" },
];

/** The first line `program` prints of its version, or undefined when it cannot be run. */
export function versionOf(program: SystemProgram): string | undefined {
  const [cmd, ...args] = program.command;
  const run = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "pipe"] });
  if (run.error || run.status !== 0) return undefined;
  return run.stdout.trim().split("\n")[0] || program.name;
}

/** Whether the skip switch is on. */
export function skippingSystemTests(): boolean {
  const value = process.env[SKIP_SWITCH];
  return value !== undefined && value !== "" && value !== "0";
}

/**
 * The reason to skip a test that needs `name`, or false to run it: only the
 * switch skips, so a missing program on a machine without it fails the test.
 */
export function systemSkip(name: SystemProgram["name"]): string | false {
  return skippingSystemTests() ? `${SKIP_SWITCH} is set, so the tests needing ${name} are skipped` : false;
}
