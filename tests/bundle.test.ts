/**
 * The single-file bundle: `npm run bundle` builds dist/emcee.js, and an
 * example importing it runs on plain Node (no tsx, no TypeScript at all).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LegacyClient } from "./_client.ts";
import { startCommand } from "./_spawn.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const esbuild = `${root}node_modules/.bin/esbuild`;
const out = `${root}.bench/bundle-test/emcee.js`;

describe("the single-file bundle", { timeout: 60_000 }, () => {
  it("builds one ESM file that imports only node: built-ins", () => {
    execFileSync(esbuild, [
      "mod.ts", "--bundle", "--platform=node", "--format=esm", "--target=node20", "--minify", `--outfile=${out}`,
    ], { cwd: root, stdio: "pipe" });
    const code = readFileSync(out, "utf8");
    const specifiers = [...code.matchAll(/\bfrom\s*"([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(specifiers.length > 0);
    for (const s of specifiers) assert.match(s, /^node:/, `the bundle imports ${s}`);
    assert.ok(statSync(out).size > 10_000);
  });

  it("runs examples/bundled.mjs on plain node and serves a tool", async () => {
    execFileSync(esbuild, [
      "mod.ts", "--bundle", "--platform=node", "--format=esm", "--target=node20", `--outfile=${root}dist/emcee.js`,
    ], { cwd: root, stdio: "pipe" });
    assert.ok(existsSync(`${root}dist/emcee.js`));
    // `node` here is the system's Node (20+), whatever runtime runs this test.
    const app = await startCommand("node", [`${root}examples/bundled.mjs`], {}, "examples/bundled.mjs");
    try {
      const client = await LegacyClient.connect(app.url);
      await client.initialize();
      const { response } = await client.request("tools/call", { name: "add", arguments: { a: 2, b: 40 } });
      assert.deepEqual(response.result.content, [{ type: "text", text: "42" }]);
      await client.close();
    } finally {
      await app.stop();
    }
  });
});
