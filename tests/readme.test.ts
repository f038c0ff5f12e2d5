/**
 * The README's code is real code: every TypeScript block is extracted and
 * type-checked against the library, and the quick start is run and called.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LegacyClient } from "./_client.ts";
import { runtimeCommand, startCommand } from "./_spawn.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = `${root}.readme-check/`;
const blocks = [...readFileSync(`${root}README.md`, "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** Declarations the fragments lean on, as a reader would have them in their own file. */
const PREAMBLE = `import { AuthError, audio, createServer, embeddedResource, image, resourceLink, text } from "../mod.ts";
void process; void AuthError; void audio; void embeddedResource; void image; void resourceLink; void text;
declare function lookUp(token: string): { sub: string } | undefined;
`;

after(() => rmSync(dir, { recursive: true, force: true }));

describe("README code blocks", { timeout: 60_000 }, () => {
  it("has TypeScript blocks, the quick start first", () => {
    assert.ok(blocks.length >= 6, `found ${blocks.length} blocks`);
    assert.match(blocks[0]!, /import \{ createServer \} from "\.\/mod\.ts"/);
  });

  it("no heading appears twice (a section pasted over another would)", () => {
    const headings = [...readFileSync(`${root}README.md`, "utf8").matchAll(/^#{1,4} .+$/gm)].map((m) => m[0]);
    const twice = headings.filter((h, i) => headings.indexOf(h) !== i);
    assert.ok(headings.length > 20, `found ${headings.length} headings`);
    assert.deepEqual(twice, []);
  });

  it("every block type-checks against the library", () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.map((code, i) => {
      const file = `block${i}.ts`;
      const body = code.replaceAll('"./mod.ts"', '"../mod.ts"');
      const needsServer = !/\bconst server\b/.test(body);
      // A block with its own import of the library is a whole file, as the quick start is.
      const source = i === 0 || body.includes('from "../mod.ts"')
        ? body
        : PREAMBLE + (needsServer ? 'const server = createServer({ name: "readme", version: "1.0.0" });\n' : "") +
          `export {};\n${body}`;
      writeFileSync(dir + file, source);
      return file;
    });
    writeFileSync(dir + "tsconfig.json", JSON.stringify({ extends: "../tsconfig.json", include: files }));
    try {
      execFileSync(`${root}node_modules/.bin/tsc`, ["-p", `${dir}tsconfig.json`], { cwd: root, stdio: "pipe" });
    } catch (error) {
      const out = String((error as { stdout?: Buffer }).stdout ?? error);
      assert.fail(`README blocks do not type-check:\n${out}`);
    }
  });

  it("the quick start runs and serves its tool", async () => {
    mkdirSync(dir, { recursive: true });
    const file = `${dir}quickstart.ts`;
    writeFileSync(file, blocks[0]!.replaceAll('"./mod.ts"', '"../mod.ts"').replace("{ port: 3000 }", "{ port: 0 }"));
    const [cmd, args] = runtimeCommand(file);
    const app = await startCommand(cmd, args, {}, "the README quick start");
    try {
      const client = await LegacyClient.connect(app.url);
      await client.initialize();
      const { response } = await client.request("tools/call", { name: "add", arguments: { a: 2, b: 3 } });
      assert.deepEqual(response.result.content, [{ type: "text", text: "5" }]);
      await client.close();
    } finally {
      await app.stop();
    }
  });
});
