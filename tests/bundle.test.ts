/**
 * The single-file bundle: `npm run bundle` builds dist/emcee.js, and an
 * example importing it runs on plain Node (no tsx, no TypeScript at all).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { bundleFlags } from "../bench/bundle.ts";
import { LegacyClient } from "./_client.ts";
import { startCommand } from "./_spawn.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const esbuild = `${root}node_modules/.bin/esbuild`;
const out = `${root}.bench/bundle-test/emcee.js`;
/** Builds the library with `npm run bundle`'s own esbuild flags (read from package.json). */
const build = (outfile: string) => execFileSync(esbuild, ["mod.ts", ...bundleFlags(), `--outfile=${outfile}`], { cwd: root, stdio: "pipe" });

describe("the single-file bundle", { timeout: 60_000 }, () => {
  it("npm run bundle's esbuild flags are read from package.json", () => {
    const flags = bundleFlags();
    for (const flag of ["--bundle", "--platform=node", "--format=esm", "--minify"]) assert.ok(flags.includes(flag), `${flag} in ${flags.join(" ")}`);
    assert.ok(!flags.some((f) => f.startsWith("--outfile")), "the output file is each build's own");
  });

  it("builds one ESM file that imports only node: built-ins", () => {
    build(out);
    const code = readFileSync(out, "utf8");
    const specifiers = [...code.matchAll(/\bfrom\s*"([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(specifiers.length > 0);
    for (const s of specifiers) assert.match(s, /^node:/, `the bundle imports ${s}`);
    assert.ok(statSync(out).size > 10_000);
  });

  it("runs examples/bundled.mjs on plain node and serves a tool", async () => {
    build(`${root}dist/emcee.js`);
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
