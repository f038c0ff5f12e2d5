/**
 * Idle memory per session: how much a server's RSS grows per initialized
 * session that then sits open doing nothing.
 *
 * Measured on a fresh process as a slope: open `warm` sessions first (the
 * first ones pay one-off growth: code, maps, the first heap pages), read
 * RSS, open `count` more, read RSS again, divide the growth by `count`.
 * Without a way to force the server's GC from outside, RSS also holds
 * garbage not yet collected, so the figure depends on the GC's pacing; on
 * a fresh process that pacing repeats run to run (±0.5 KiB here), whereas
 * after a load the collection of the load's garbage makes it swing by
 * ±5 KiB, even below zero.
 *
 * For HTTP+SSE each session holds its `GET /sse` stream (a socket is part of
 * what an SSE session costs); for Streamable HTTP the client's sockets are
 * closed after `initialize`, so what remains is the server's session state.
 *
 * @module
 */
import { rssKiB } from "./proc.ts";
import { openSessions } from "./transports.ts";
import type { McpSession, Target, TransportName } from "./transports.ts";

/** What {@linkcode idleMemory} measured. */
export interface IdleResult {
  /** Sessions open before the first reading. */
  warm: number;
  /** Sessions opened between the two readings. */
  sessions: number;
  baseKiB: number;
  loadedKiB: number;
  perSessionKiB: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens `warm` then `count` sessions (50 at a time) and reads RSS between.
 *
 * @param transport which transport's sessions to open
 * @param target the server
 * @param pid the server's process, for /proc
 * @param options warm-up and measured session counts, and settle time (ms) before each reading
 * @returns RSS at both readings, and the growth per session in KiB
 */
export async function idleMemory(
  transport: TransportName,
  target: Target,
  pid: number,
  options: { warm: number; count: number; settleMs: number },
): Promise<IdleResult> {
  const sessions: McpSession[] = [];
  const open = async (n: number) => {
    for (let left = n; left > 0; left -= 50) {
      const batch = await openSessions(transport, target, Math.min(50, left));
      for (const session of batch) session.idle();
      sessions.push(...batch);
    }
    await sleep(options.settleMs);
  };
  try {
    await open(options.warm);
    const baseKiB = rssKiB(pid);
    await open(options.count);
    const loadedKiB = rssKiB(pid);
    return {
      warm: options.warm,
      sessions: options.count,
      baseKiB,
      loadedKiB,
      perSessionKiB: (loadedKiB - baseKiB) / options.count,
    };
  } finally {
    // Only HTTP+SSE holds sockets by now; the process is stopped next, which ends the rest.
    if (transport === "sse") await Promise.all(sessions.map((s) => s.close()));
  }
}
