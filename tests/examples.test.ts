import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LegacyClient } from "./_client.ts";
import { startExample } from "./_spawn.ts";

async function toolNames(base: string, path = "/sse"): Promise<string[]> {
  const client = await LegacyClient.connect(base, path);
  await client.initialize();
  const { response } = await client.request("tools/list");
  await client.close();
  return response.result.tools.map((t: { name: string }) => t.name);
}

describe("examples", { timeout: 60_000 }, () => {
  it("hello.ts serves add and countdown on PORT", async () => {
    const app = await startExample("hello.ts");
    try {
      assert.deepEqual(await toolNames(app.url), ["add", "countdown"]);
    } finally {
      await app.stop();
    }
  });

  it("web.ts serves JSON routes beside MCP on one port", async () => {
    const app = await startExample("web.ts");
    try {
      assert.deepEqual(await (await fetch(`${app.url}/`)).json(), { message: "Hello from emcee" });
      assert.deepEqual(await (await fetch(`${app.url}/other`)).json(), { message: "Another route" });
      assert.deepEqual(await (await fetch(`${app.url}/greet/Ada%20L`)).json(), { message: "Hello, Ada L" });
      assert.deepEqual(await toolNames(app.url), ["time", "echo"]);
    } finally {
      await app.stop();
    }
  });

  it("embed.ts mounts MCP under /tools of an existing server", async () => {
    const app = await startExample("embed.ts");
    try {
      assert.equal(await (await fetch(`${app.url}/`)).text(), "The app's own page\n");
      const client = await LegacyClient.connect(app.url, "/tools/sse");
      assert.match(client.endpoint, /^\/tools\/messages\?sessionId=/);
      await client.initialize();
      const { response } = await client.request("tools/call", { name: "shout", arguments: { text: "hi" } });
      assert.equal(response.result.content[0].text, "HI");
      await client.close();
    } finally {
      await app.stop();
    }
  });
});
