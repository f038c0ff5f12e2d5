import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const lib = fileURLToPath(new URL("../lib/", import.meta.url));

/** Every `.ts` file under `dir`, recursively, sorted. */
function sources(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sources(path));
    else if (entry.isFile() && extname(entry.name) === ".ts") files.push(path);
  }
  return files.sort();
}

const files = [...sources(lib), join(root, "mod.ts")];

/**
 * The module specifiers of a source file's `import … from`, `export … from`,
 * side-effect `import "…"` and dynamic `import("…")`. JSDoc examples are
 * included on purpose: they are run as written, so they follow the same rule.
 */
function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)\s*from\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!));
}

const name = (file: string) => relative(root, file).split("\\").join("/");

describe("dependencies", () => {
  it("lib/ and mod.ts are found and have imports to check", () => {
    const names = files.map(name);
    for (const expected of ["lib/errors.ts", "lib/router.ts", "lib/transports/sse.ts", "mod.ts"]) {
      assert.ok(names.includes(expected), `${expected} is in ${names.join(", ")}`);
    }
    assert.ok(specifiers(readFileSync(join(root, "mod.ts"), "utf8")).includes("./lib/server.ts"));
    assert.ok(specifiers(readFileSync(join(lib, "transports", "sse.ts"), "utf8")).includes("../dispatcher.ts"));
  });

  it("specifiers() finds every form of import and export", () => {
    const source = [
      'import { a } from "./a.ts";',
      "import type {\n  B,\n  C,\n} from './bc.ts';",
      'import * as d from "node:fs";',
      'import e, { f } from "e";',
      'export { g } from "../g.ts";',
      'export type * from "./types.ts";',
      'import "side-effect";',
      'const h = await import("dynamic");',
    ].join("\n");
    assert.deepEqual(specifiers(source).sort(), [
      "../g.ts",
      "./a.ts",
      "./bc.ts",
      "./types.ts",
      "dynamic",
      "e",
      "node:fs",
      "side-effect",
    ]);
  });

  it("every lib/ and mod.ts import is relative with a .ts extension, or a node: built-in", () => {
    const offending: string[] = [];
    for (const file of files) {
      for (const specifier of specifiers(readFileSync(file, "utf8"))) {
        const relativeTs = (specifier.startsWith("./") || specifier.startsWith("../")) && specifier.endsWith(".ts");
        if (!relativeTs && !specifier.startsWith("node:")) offending.push(`${name(file)}: "${specifier}"`);
      }
    }
    assert.deepEqual(offending, []);
  });

  it("only what is Node's by nature loads a node: module: the cluster's request forwarding, and listen()'s node:http on demand", () => {
    // A value import, static or dynamic; `import type` is erased and loads nothing.
    const loads = (source: string) =>
      [...source.matchAll(/\bimport\s+(?!type\b)[^;]*?from\s*["'](node:[^"']+)["']|\bimport\s*\(\s*["'](node:[^"']+)["']\s*\)/g)]
        .map((m) => m[1] ?? m[2]!);
    const found: Record<string, string[]> = {};
    for (const file of files) {
      const modules = loads(readFileSync(file, "utf8").replace(/^\s*\*.*$/gm, ""));
      if (modules.length > 0) found[name(file)] = modules;
    }
    assert.deepEqual(found, {
      "lib/cluster/remote.ts": ["node:events", "node:stream"],
      "lib/server.ts": ["node:http"],
    });
    assert.match(readFileSync(join(lib, "server.ts"), "utf8"), /await import\("node:http"\)/, "listen() imports node:http when called");
  });

  it("package.json declares no runtime, peer or optional dependencies", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
    for (const key of ["dependencies", "peerDependencies", "optionalDependencies", "bundleDependencies", "bundledDependencies"]) {
      assert.equal(key in pkg, false, `package.json has "${key}"`);
    }
  });

  it("lib/ files do not read environment variables", () => {
    const offending: string[] = [];
    for (const file of sources(lib)) {
      const source = readFileSync(file, "utf8");
      if (/\bprocess\s*(?:\.\s*env\b|\[\s*["'`]env["'`]\s*\])|\bDeno\s*\.\s*env\b|\bBun\s*\.\s*env\b/.test(source)) {
        offending.push(name(file));
      }
    }
    assert.deepEqual(offending, []);
  });
});
