/**
 * The published package, as a user gets it: `npm pack` on a copy of the
 * sources with no dist/ (so `prepack` must build it), the tarball's file list,
 * then the tarball installed into an empty project, imported from plain
 * Node 20 JavaScript and reached by the official SDK client, and a strict
 * TypeScript consumer type-checked against its declarations (a consumer with
 * a type error must fail, so the check can tell).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startCommand } from "./_spawn.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const SOURCES = ["package.json", "README.md", "LICENSE", "mod.ts", "lib", "tsconfig.json", "tsconfig.build.json"];

const CONSUMER_JS = `import process from "node:process";
import { createServer } from "emcee";

const server = createServer({ name: "packed", version: "1.0.0" });
server.tool("add", {
  inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
}, ({ a, b }) => String(a + b));
const { url } = await server.listen({ port: Number(process.env.PORT ?? 0) });
console.log(\`listening: \${url}/mcp\`);
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
`;

const consumerTs = (body: string) => `import { createServer } from "emcee";
import type { McpServer, ServerOptions } from "emcee";

const options: ServerOptions = { name: "typed", version: "1.0.0" };
const server: McpServer = createServer(options);
server.tool("add", {
  inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "string" } }, required: ["a", "b"] },
} as const, (args) => {
  ${body}
});
export default server;
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: "es2023", lib: ["es2023"], module: "nodenext", moduleResolution: "nodenext", strict: true,
    noEmit: true, skipLibCheck: false, types: ["node"], typeRoots: [join(root, "node_modules/@types")],
  },
  files: ["consumer.ts"],
});

describe("the npm package", { timeout: 120_000 }, () => {
  let work: string;
  let project: string;
  let files: string[];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "emcee-pack-"));
    // A clean checkout: the sources only, no dist/; node_modules lent for esbuild and tsc.
    const checkout = join(work, "checkout");
    mkdirSync(checkout);
    for (const entry of SOURCES) cpSync(join(root, entry), join(checkout, entry), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(checkout, "node_modules"), "dir");
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: checkout });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((f) => f.path);
    project = join(work, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // emcee has no dependencies, so this install needs no registry.
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(work, packed!.filename)], { cwd: project });
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships the bundle and its types, the sources, README and LICENSE, and nothing else", () => {
    for (const f of ["dist/emcee.js", "dist/emcee.d.ts", "dist/types/mod.d.ts", "mod.ts", "lib/server.ts", "README.md", "LICENSE", "package.json"]) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    const strays = files.filter((f) => !/^(dist\/|lib\/|mod\.ts$|README\.md$|LICENSE$|package\.json$)/.test(f));
    assert.deepEqual(strays, []);
    assert.ok(files.every((f) => !f.startsWith("dist/") || /\.(js|d\.ts)$/.test(f)), "dist/ holds the bundle and declarations only");
  });

  it("imports from plain Node JavaScript and serves a tool to the official SDK client", async () => {
    writeFileSync(join(project, "server.mjs"), CONSUMER_JS);
    // The system's node (20+), no tsx: the package must run as shipped.
    const app = await startCommand("node", [join(project, "server.mjs")], {}, "packed server.mjs");
    const client = new Client({ name: "pack-test", version: "1.0.0" });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", app.url)));
      const result = await client.callTool({ name: "add", arguments: { a: 2, b: 40 } });
      assert.deepEqual(result.content, [{ type: "text", text: "42" }]);
    } finally {
      await client.close();
      await app.stop();
    }
  });

  it("type-checks a strict TypeScript consumer against the declarations, and refuses a wrong one", async () => {
    const tsc = join(root, "node_modules/.bin/tsc");
    writeFileSync(join(project, "tsconfig.json"), TSCONFIG);
    writeFileSync(join(project, "consumer.ts"), consumerTs("const sum: number = args.a + 1; return `${sum} ${args.b.toUpperCase()}`;"));
    await run(tsc, ["-p", project]);
    // args.a is inferred as a number from the schema: calling a string method on it must not compile.
    writeFileSync(join(project, "consumer.ts"), consumerTs("return args.a.toUpperCase();"));
    const wrong = await run(tsc, ["-p", project]).then(() => "", (error: { stdout?: string }) => error.stdout ?? "failed");
    assert.match(wrong, /consumer\.ts.*toUpperCase/s);
  });
});

describe("the JSR package", { timeout: 120_000 }, () => {
  it("deno.json names the same version and license as package.json", () => {
    const read = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8")) as { version: string; license: string };
    const [npm, jsr] = [read("package.json"), read("deno.json")];
    assert.deepEqual([jsr.version, jsr.license], [npm.version, npm.license]);
  });

  it("deno publish --dry-run passes (license, no slow types) and ships mod.ts, lib/, README and LICENSE only", async () => {
    const deno = join(root, "node_modules/.bin/deno");
    const { stdout, stderr } = await run(deno, ["publish", "--dry-run", "--allow-dirty"], {
      cwd: root,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    });
    const out = `${stdout}${stderr}`;
    assert.match(out, /Dry run complete/);
    // Each shipped file is listed as `file:///<root>/<path> (<size>)`.
    const prefix = `file://${root}`;
    const shipped = out.split("\n").map((l) => l.trim()).filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).split(" ")[0]!);
    for (const f of ["mod.ts", "lib/server.ts", "README.md", "LICENSE"]) assert.ok(shipped.includes(f), `${f} in ${shipped.join(", ")}`);
    assert.deepEqual(shipped.filter((f) => !/^(lib\/.*\.ts|mod\.ts|README\.md|LICENSE|deno\.json)$/.test(f)), []);
  });
});
