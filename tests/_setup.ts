/**
 * Test set-up, run by `npm test` (as its `pretest`) and by `npm run test:setup`:
 * makes sure the system programs in tests/_system.ts are there, installing the
 * missing ones once with Debian's apt-get where this machine allows it (root,
 * or password-less sudo). Where it cannot, it stops at once with one message
 * naming the command to run; it never waits for input and never skips quietly.
 *
 * Set-up and tests are separate steps: `EMCEE_SKIP_SYSTEM_TESTS=1 npm test`
 * installs nothing and runs every other test.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { PROGRAMS, SKIP_SWITCH, skippingSystemTests, versionOf } from "./_system.ts";
import type { SystemProgram } from "./_system.ts";

const say = (line: string) => process.stderr.write(`test set-up: ${line}\n`);

/** How apt-get can be run here: directly as root, through `sudo -n`, or not at all. */
function aptRunner(): string[] | undefined {
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) return undefined;
  if (process.getuid?.() === 0) return [];
  return spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0 ? ["sudo", "-n"] : undefined;
}

/** Runs apt-get without prompts; its output goes to stderr, so the test report stays clean. */
function apt(prefix: string[], args: string[]): boolean {
  const [cmd, ...rest] = [...prefix, "apt-get", "-q", "-o", "DPkg::Lock::Timeout=120", ...args];
  const run = spawnSync(cmd!, rest, {
    stdio: ["ignore", process.stderr, process.stderr],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 15 * 60_000,
  });
  return run.status === 0;
}

function fail(missing: readonly SystemProgram[], why: string): never {
  const packages = missing.map((p) => p.debian).join(" ");
  say(`missing ${missing.map((p) => `${p.name} (for ${p.usedBy})`).join(" and ")}; ${why}.`);
  say(`install it, then run npm test again:  sudo apt-get install -y ${packages}`);
  say(`(or on macOS: brew install redis, and EMCEE_CHROMIUM=/path/to/chromium for the browser test)`);
  say(`or run every other test without them:  ${SKIP_SWITCH}=1 npm test`);
  process.exit(1);
}

function main(): void {
  if (skippingSystemTests()) {
    say(`${SKIP_SWITCH} is set: installing nothing; the tests needing ${PROGRAMS.map((p) => p.name).join(" or ")} will be skipped`);
    return;
  }
  // Each program is asked once (Chromium takes a moment to start), and again only after it was installed.
  const versions = new Map(PROGRAMS.map((p) => [p, versionOf(p)]));
  const missingNow = () => PROGRAMS.filter((p) => versions.get(p) === undefined);
  let missing = missingNow();
  if (missing.length > 0) {
    const runner = aptRunner();
    if (!runner) fail(missing, "this machine has no apt-get, or it needs a password, so set-up cannot install it");
    say(`installing ${missing.map((p) => p.debian).join(" ")} with apt-get (once; later runs reuse it)`);
    if (!apt(runner, ["update"]) || !apt(runner, ["install", "-y", "--no-install-recommends", ...missing.map((p) => p.debian)])) {
      fail(missing, "apt-get failed (its output is above)");
    }
    for (const p of missing) versions.set(p, versionOf(p));
    missing = missingNow();
    if (missing.length > 0) fail(missing, "it was installed but does not run");
  }
  say(PROGRAMS.map((p) => `${p.name}: ${versions.get(p)}`).join("; "));
}

main();
