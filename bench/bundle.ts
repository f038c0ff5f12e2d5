/**
 * The single-file builds: how big `npm run bundle`'s `dist/emcee.js` is
 * (minified, gzipped, and how much of it is the playground page), and how
 * fast each contestant starts when bundled into one file and run on plain
 * `node`, without tsx's loader: the way a project that copies one file, or
 * ships a bundle, runs it.
 *
 * Each contestant's server file is bundled with `npm run bundle`'s own
 * esbuild flags (read from package.json: ESM, Node 20, minified), into
 * `.bench/bundle/`; their dependencies (the SDK and zod for `sdk`) are
 * bundled in too.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { Metafile } from "esbuild";
import { ROOT } from "./spawn.ts";

const ESBUILD = `${ROOT}node_modules/.bin/esbuild`;

/**
 * The esbuild flags of `npm run bundle`, read from package.json's `bundle`
 * script (its first command, `esbuild mod.ts …`) without the output file, so
 * that every other build of the library or a contestant cannot drift from it.
 *
 * @returns e.g. `["--bundle", "--platform=node", "--format=esm", …]`
 */
export function bundleFlags(): string[] {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { scripts: Record<string, string> };
  const [esbuild, entry, ...args] = pkg.scripts.bundle!.split("&&")[0]!.trim().split(/\s+/);
  if (esbuild !== "esbuild" || entry !== "mod.ts") throw new Error(`Cannot read the bundle script: ${pkg.scripts.bundle}`);
  return args.filter((arg) => !arg.startsWith("--outfile="));
}

/** Runs esbuild on `entry` with `npm run bundle`'s flags, and `extra` after them. */
function esbuild(entry: string, outfile: string, extra: string[] = []): void {
  execFileSync(ESBUILD, [entry, ...bundleFlags(), `--outfile=${outfile}`, "--log-level=error", ...extra], { cwd: ROOT, stdio: "pipe" });
}

/** Sizes of one built file, in bytes. */
export interface BundleSize {
  minified: number;
  gzipped: number;
  /** Bytes the playground page takes in the minified file. */
  playground: number;
}

/**
 * Builds `mod.ts` as `npm run bundle` does (into `.bench/bundle/`, leaving
 * `dist/` alone) and measures it.
 *
 * @returns its minified and gzipped sizes, and the playground's share
 */
export function librarySize(): BundleSize {
  const outfile = `${ROOT}.bench/bundle/emcee.js`;
  esbuild("mod.ts", outfile, [`--metafile=${outfile}.meta.json`]);
  const metafile = JSON.parse(readFileSync(`${outfile}.meta.json`, "utf8")) as Metafile;
  const code = readFileSync(outfile);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, playground: bytesFrom(metafile, "lib/playground.ts") };
}

/** Bytes that inputs whose path ends with `suffix` contribute to the output. */
function bytesFrom(metafile: Metafile, suffix: string): number {
  let bytes = 0;
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) if (input.endsWith(suffix)) bytes += bytesInOutput;
  }
  return bytes;
}

/**
 * Bundles a contestant's server file into one ESM file for plain `node`.
 *
 * @param name the contestant, used as the file name
 * @param entry absolute path of its server file
 * @returns the bundle's absolute path
 */
export function bundleServer(name: string, entry: string): string {
  const outfile = `${ROOT}.bench/bundle/${name}.mjs`;
  esbuild(entry, outfile, [
    // bench/server.ts loads node-redis only for a cluster, which this build never starts.
    "--external:redis",
    // Bundled CommonJS (the SDK's dependencies) may call require() for Node built-ins.
    '--banner:js=import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
  ]);
  return outfile;
}
