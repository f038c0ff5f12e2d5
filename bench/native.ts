/**
 * Serving a fetch handler on the runtime's own HTTP server, with its default
 * options: `Deno.serve` on Deno, `Bun.serve` on Bun. Node has no native
 * fetch server, so the `-fetch` contestants (bare_fetch.ts, server_fetch.ts)
 * refuse to run there.
 *
 * @module
 */

/** A fetch handler, with whatever the host passes after the request (Bun's server, Deno's info). */
export type FetchHandler = (request: Request, ...hostArgs: unknown[]) => Response | Promise<Response>;

/** The part of Bun's server a handler may use: lifting the idle timeout of one request. */
export interface BunServer {
  timeout(request: Request, seconds: number): void;
}

const runtime = globalThis as {
  Deno?: { serve(options: object, handler: FetchHandler): { addr: { port: number } } };
  Bun?: { serve(options: object): { port: number } };
};

/** `Deno.serve` or `Bun.serve`, by the runtime running this file. */
export const NATIVE_SERVER: string | undefined = runtime.Deno ? "Deno.serve" : runtime.Bun ? "Bun.serve" : undefined;

/**
 * Serves `fetch` on `hostname:port` with Deno.serve or Bun.serve, their
 * options otherwise left at their defaults.
 *
 * @param fetch the handler
 * @param port the port (0: any free one)
 * @param hostname the address to bind
 * @returns the base URL it listens on
 * @throws on Node, which has no native fetch server
 */
export function serveNative(fetch: FetchHandler, port: number, hostname = "127.0.0.1"): string {
  if (runtime.Deno) {
    const served = runtime.Deno.serve({ port, hostname, onListen() {} }, fetch);
    return `http://${hostname}:${served.addr.port}`;
  }
  if (runtime.Bun) {
    const served = runtime.Bun.serve({ port, hostname, fetch });
    return `http://${hostname}:${served.port}`;
  }
  throw new Error("Cannot serve natively on Node: run this file with deno run -A or bun");
}
