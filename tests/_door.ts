/**
 * Which door the wire tests go through. `EMCEE_DOOR=fetch` serves each test
 * server through `server.fetch`: on Deno with Deno.serve, on Bun with
 * Bun.serve (their native servers, with their default options), on Node
 * through a small node:http → Request → Response bridge. Otherwise
 * `server.listen()` (the node:http door). The same cases then assert the
 * same status codes, headers and bytes through both.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { Readable } from "node:stream";
import type { Listening, McpServer } from "../mod.ts";
import { sendResponse } from "../lib/http.ts";

/** The door this run tests. */
export const DOOR: "node" | "fetch" = process.env.EMCEE_DOOR === "fetch" ? "fetch" : "node";

/**
 * Why a case cannot be asserted on this host, or `false`. Deno.serve (2.9)
 * does not notice a client that closes its connection while the handler of
 * a request of more than about 320 bytes is pending: the socket sits in
 * CLOSE_WAIT and `request.signal` never aborts (a bare Deno.serve handler
 * shows the same), so nothing can tell emcee's core. Once a response
 * streams, the host cancels its body and the core sees the close.
 */
export const PENDING_DISCONNECT_UNSEEN: string | false = DOOR === "fetch" && "Deno" in globalThis &&
  "Deno.serve does not report a client's disconnect while a request over ~320 bytes is pending (a bare Deno.serve shows it too)";

type Fetch = McpServer["fetch"];
interface Hosting {
  port: number;
  stop(): Promise<void>;
}

const runtime = globalThis as {
  Deno?: { serve(options: object, handler: Fetch): { addr: { port: number }; shutdown(): Promise<void> } };
  Bun?: { serve(options: object): { port: number; stop(force?: boolean): Promise<void> | void } };
};

/** Serves `fetch` on a loopback port the runtime's native way (a bridge on Node). */
export async function hostFetch(fetch: Fetch): Promise<Hosting> {
  if (runtime.Deno) {
    const served = runtime.Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, fetch);
    return { port: served.addr.port, stop: () => served.shutdown() };
  }
  if (runtime.Bun) {
    const served = runtime.Bun.serve({ port: 0, hostname: "127.0.0.1", fetch });
    return { port: served.port, stop: async () => void await served.stop(true) };
  }
  const bridge = http.createServer((req, res) => void bridgeRequest(fetch, req, res));
  await new Promise<void>((resolve) => bridge.listen(0, "127.0.0.1", resolve));
  return {
    port: (bridge.address() as AddressInfo).port,
    stop: () => {
      bridge.closeAllConnections();
      return new Promise((resolve) => bridge.close(() => resolve()));
    },
  };
}

/** Node's stand-in for a fetch host: the request as a `Request`, the `Response` written back as it streams. */
async function bridgeRequest(fetch: Fetch, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const aborted = new AbortController();
  res.once("close", () => aborted.abort());
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
    signal: aborted.signal,
    duplex: "half",
  } as RequestInit);
  const response = await fetch(request, { remoteAddr: { hostname: req.socket.remoteAddress } });
  // Written back at the client's pace, as a host does: what it has not taken stays in the stream's queue.
  await sendResponse(res, response);
}

/**
 * A stream's bytes without the empty comment that opens a quiet event stream
 * on Bun.serve (see `FetchResponse.flushHeaders`); other hosts send none.
 */
export function withoutOpening(raw: string): string {
  return DOOR === "fetch" && "Bun" in globalThis && raw.startsWith(":\n\n") ? raw.slice(3) : raw;
}

/**
 * Starts `server` on a loopback port through this run's door. Through
 * `fetch`, `server.close()` also stops the host, as it stops `listen()`'s.
 */
export async function listen(server: McpServer): Promise<Listening> {
  if (DOOR === "node") return server.listen({ port: 0 });
  const hosting = await hostFetch(server.fetch);
  const close = server.close.bind(server);
  server.close = async (options) => {
    await close(options);
    await hosting.stop();
  };
  return { url: `http://127.0.0.1:${hosting.port}`, port: hosting.port, close: (options) => server.close(options) };
}
