/**
 * The single-file builds: how big `npm run bundle`'s `dist/emcee.js` is
 * (minified, gzipped, and how much of it is the playground page), and how
 * fast each contestant starts when bundled into one file and run on plain
 * `node`, without tsx's loader: the way a project that copies one file, or
 * ships a bundle, runs it.
 *
 * Each contestant's server file is bundled with esbuild exactly like
 * `npm run bundle` bundles the library (ESM, Node 20, minified), into
 * `.bench/bundle/`; their dependencies (the SDK and zod for `sdk`) are
 * bundled in too.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import type { Metafile } from "esbuild";
import { ROOT } from "./spawn.ts";

/** The esbuild options `npm run bundle` uses (package.json), shared by every build here. */
const BUNDLE = { bundle: true, platform: "node", format: "esm", target: "node20", minify: true, legalComments: "none" } as const;

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
export async function librarySize(): Promise<BundleSize> {
  const outfile = `${ROOT}.bench/bundle/emcee.js`;
  const { metafile } = await build({ ...BUNDLE, entryPoints: [`${ROOT}mod.ts`], outfile, metafile: true, logLevel: "error" });
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
export async function bundleServer(name: string, entry: string): Promise<string> {
  const outfile = `${ROOT}.bench/bundle/${name}.mjs`;
  await build({
    ...BUNDLE,
    entryPoints: [entry],
    outfile,
    logLevel: "error",
    // bench/server.ts loads node-redis only for a cluster, which this build never starts.
    external: ["redis"],
    // Bundled CommonJS (the SDK's dependencies) may call require() for Node built-ins.
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
  });
  return outfile;
}
