/**
 * examples/fetch.ts, one `{ fetch }` module, served unchanged by each host
 * that speaks Fetch: `deno serve` (Deno.serve), `bun` (Bun.serve) and
 * workerd (Cloudflare's runtime, through scripts/worker.ts), each with its
 * default options. On each, the official SDK clients (v1 over HTTP+SSE and
 * Streamable HTTP, v2 in auto mode) list and call the tools, progress
 * included, and an idle event stream outlives 25 s of silence: longer than
 * Bun's idle timeout (10 s) and the 15 s between keep-alive comments.
 *
 * Runs under Node only: it drives the three runtimes as child processes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startWorker } from "../scripts/worker.ts";
import { EventReader } from "./_client.ts";
import { startCommand } from "./_spawn.ts";

const EXAMPLE = fileURLToPath(new URL("../examples/fetch.ts", import.meta.url));
const BIN = fileURLToPath(new URL("../node_modules/.bin/", import.meta.url));
const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);

interface Host {
  name: string;
  /** Whether the host keeps one process, so sessions live across requests. */
  sessions: boolean;
  start(): Promise<{ url: string; stop(): Promise<void>; output(): string }>;
}

const HOSTS: Host[] = [
  {
    name: "deno serve (Deno.serve)",
    sessions: true,
    start: () => startCommand(`${BIN}deno`, ["serve", "--host", "127.0.0.1", "--port", "0", EXAMPLE], {}, "deno serve"),
  },
  {
    name: "bun (Bun.serve)",
    sessions: true,
    start: async () => {
      const running = await startCommand(`${BIN}bun`, [EXAMPLE], { NODE_ENV: "production" }, "bun");
      return { ...running, url: running.url.replace("//localhost:", "//127.0.0.1:") };
    },
  },
  { name: "workerd (Cloudflare Workers)", sessions: false, start: () => startWorker(EXAMPLE) },
];

const progressOf = async (call: (onprogress: (p: { progress: number }) => void) => Promise<unknown>) => {
  const seen: number[] = [];
  const result = await call((p) => seen.push(p.progress));
  return { seen, result };
};

// The hosts run side by side: each waits out its own 25 s of silence.
describe("examples/fetch.ts on every fetch host", { concurrency: true, skip: !isNode && "drives the runtimes from Node" }, () => {
for (const host of HOSTS) {
  describe(`on ${host.name}`, () => {
    let served: Awaited<ReturnType<Host["start"]>>;
    before(async () => {
      served = await host.start();
    });
    after(() => served?.stop());

    it("the SDK v1 client over Streamable HTTP lists and calls the tools, progress included", async () => {
      const client = new V1Client({ name: "hosts-v1", version: "1.0.0" });
      await client.connect(new V1StreamableHTTPClientTransport(new URL(`${served.url}/mcp`)));
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((tool) => tool.name), ["add", "echo", "countdown"]);
        assert.deepEqual(await client.callTool({ name: "add", arguments: { a: 2, b: 3 } }), { content: [{ type: "text", text: "5" }] });
        const { seen, result } = await progressOf((onprogress) => client.callTool({ name: "countdown", arguments: { n: 3 } }, undefined, { onprogress }));
        assert.deepEqual(seen, [0, 1, 2]);
        assert.deepEqual(result, { content: [{ type: "text", text: "Liftoff!" }] });
      } finally {
        await client.close();
      }
    });

    it("the SDK v1 client over HTTP+SSE gets progress and the result of a call that outlives its POST", async () => {
      // On workerd the POST is answered 202 before the tool runs: ctx.waitUntil keeps the call alive.
      const client = new V1Client({ name: "hosts-v1-sse", version: "1.0.0" });
      await client.connect(new SSEClientTransport(new URL(`${served.url}/sse`)));
      try {
        assert.deepEqual(await client.callTool({ name: "echo", arguments: { text: "over /sse" } }), { content: [{ type: "text", text: "over /sse" }] });
        const { seen, result } = await progressOf((onprogress) => client.callTool({ name: "countdown", arguments: { n: 2 } }, undefined, { onprogress }));
        assert.deepEqual(seen, [0, 1]);
        assert.deepEqual(result, { content: [{ type: "text", text: "Liftoff!" }] });
      } finally {
        await client.close();
      }
    });

    it("the SDK v2 client in auto mode goes 2026-07-28 and calls the tools", async () => {
      const client = new Client({ name: "hosts-v2", version: "2.0.0" }, { versionNegotiation: { mode: "auto" } });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${served.url}/mcp`)));
      try {
        assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
        assert.deepEqual((await client.callTool({ name: "add", arguments: { a: 20, b: 22 } })).content, [{ type: "text", text: "42" }]);
        const { seen } = await progressOf((onprogress) => client.callTool({ name: "countdown", arguments: { n: 2 } }, { onprogress }));
        assert.deepEqual(seen, [0, 1]);
      } finally {
        await client.close();
      }
    });

    it(host.sessions ? "GET /mcp with a session opens its stream" : "GET and DELETE /mcp answer 405: a Worker holds no sessions", async () => {
      const init = await fetch(`${served.url}/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
        }),
      });
      await init.text();
      const session = init.headers.get("mcp-session-id");
      assert.equal(session !== null, host.sessions);
      const headers: Record<string, string> = { accept: "text/event-stream", "mcp-protocol-version": "2025-11-25" };
      if (session) headers["mcp-session-id"] = session;
      const get = await fetch(`${served.url}/mcp`, { headers });
      if (host.sessions) {
        assert.equal(get.status, 200);
        assert.equal(get.headers.get("content-type"), "text/event-stream");
        await get.body?.cancel();
      } else {
        assert.equal(get.status, 405);
        assert.equal(get.headers.get("allow"), "POST");
        assert.equal(((await get.json()) as { error: { code: number } }).error.code, -32600);
        const del = await fetch(`${served.url}/mcp`, { method: "DELETE", headers });
        assert.equal(del.status, 405);
        await del.body?.cancel();
      }
    });

    it("an idle HTTP+SSE stream outlives 25 s of silence with the host's default options, then still carries a call", async () => {
      const stream = await fetch(`${served.url}/sse`, { headers: { accept: "text/event-stream" } });
      assert.equal(stream.status, 200);
      const reader = new EventReader(stream.body!);
      try {
        const endpoint = await reader.next();
        assert.equal(endpoint?.event, "endpoint");
        await new Promise((resolve) => setTimeout(resolve, 25_000));
        const post = (body: object) =>
          fetch(`${served.url}${endpoint!.data}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        const init = {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "idle", version: "0" } },
        };
        assert.equal((await post(init)).status, 202);
        let message = await reader.next();
        while (message && message.event !== "message") message = await reader.next();
        assert.equal(JSON.parse(message!.data).id, 1, "the stream still carries replies after 25 s idle");
      } finally {
        await reader.cancel();
      }
    });
  });
}
});
