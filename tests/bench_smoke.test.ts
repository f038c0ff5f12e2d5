/**
 * The bench's load generator, run in-process for about a second per
 * transport against the emcee bench server: every call answered, every
 * result checked, no errors. No timing is asserted. A server with a wrong
 * tool shows the checking is real.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkResult, runLoad } from "../bench/loadgen.ts";
import { benchServer } from "../bench/server.ts";
import { TRANSPORT_TITLES, TRANSPORTS } from "../bench/transports.ts";
import { createServer } from "../mod.ts";
import type { McpServer } from "../mod.ts";

let good: McpServer;
let wrong: McpServer;
let goodPort = 0;
let wrongPort = 0;

before(async () => {
  good = benchServer();
  goodPort = (await good.listen({ port: 0 })).port;
  wrong = createServer({ name: "wrong", version: "0.0.0" });
  const anything = { inputSchema: { type: "object" } };
  wrong.tool("add", anything, () => "42");
  wrong.tool("echo", anything, ({ text }: { text: string }) => text);
  wrongPort = (await wrong.listen({ port: 0 })).port;
});

after(async () => {
  await good.close();
  await wrong.close();
});

describe("bench load generator", () => {
  for (const transport of TRANSPORTS) {
    it(`runLoad() checks every ${TRANSPORT_TITLES[transport]} result from emcee and finds no error`, async () => {
      const result = await runLoad({
        transport,
        target: { host: "127.0.0.1", port: goodPort },
        sessions: 2,
        inFlight: 2,
        warmupMs: 100,
        durationMs: 900,
      });
      assert.deepEqual(result.errorSamples, []);
      assert.equal(result.errors, 0);
      assert.ok(result.completed > 0, "no call completed");
      assert.equal(result.checked, result.completed);
      assert.ok(result.windowCalls > 0 && result.windowCalls <= result.completed);
    });
  }

  it("runLoad() counts wrong results as errors, not as checked", async () => {
    const result = await runLoad({
      transport: "streamable",
      target: { host: "127.0.0.1", port: wrongPort },
      sessions: 1,
      inFlight: 1,
      warmupMs: 0,
      durationMs: 200,
    });
    assert.ok(result.completed > 0);
    assert.ok(result.errors > 0);
    assert.ok(result.checked < result.completed);
    assert.match(result.errorSamples[0]!, /expected text/);
  });

  it("checkResult() accepts exactly one matching text block", () => {
    assert.equal(checkResult({ content: [{ type: "text", text: "3" }] }, "3"), undefined);
    assert.match(checkResult({ content: [{ type: "text", text: "3" }], isError: true }, "3")!, /isError/);
    assert.match(checkResult({ content: [{ type: "text", text: "4" }] }, "3")!, /expected text "3"/);
    assert.match(checkResult({}, "3")!, /no content/);
  });
});
