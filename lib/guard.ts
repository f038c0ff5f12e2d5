/**
 * DNS-rebinding protection: `Host` and `Origin` checks (transports,
 * 2024-11-05 onward: servers MUST validate `Origin`; 2025-11-25: an invalid
 * one gets 403).
 *
 * A server reached on a loopback address only answers requests that name a
 * loopback host, so a web page on another origin cannot rebind its DNS to
 * 127.0.0.1 and talk to it. An `Origin`, when present, must be allowed; an
 * absent `Origin` (a non-browser client) passes.
 *
 * @module
 */
import { ErrorCode, httpError, preview } from "./errors.ts";
import type { HttpError } from "./errors.ts";
import type { HttpRequest } from "./http.ts";

/** Options of {@linkcode createGuard}. */
export interface GuardOptions {
  /**
   * Hosts (`Host` header, port ignored) to accept. Default: on a loopback
   * address only loopback names; elsewhere any. An empty list refuses all.
   */
  allowedHosts?: string[];
  /**
   * Origins (`scheme://host[:port]`) to accept; `*` accepts any. Default:
   * loopback origins on a loopback address, and the request's own origin.
   * An empty list refuses every request that carries an `Origin`.
   */
  allowedOrigins?: string[];
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Whether an address (as `socket.localAddress` reports it) is loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/** The host name of a `Host` header value, lower-cased, without the port. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.indexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

function isLoopbackName(name: string): boolean {
  return LOOPBACK_NAMES.has(name) || name.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * Makes the check run on every request.
 *
 * @returns a function that answers undefined for an allowed request, or the 403 to send
 */
export function createGuard(options: GuardOptions = {}): (req: HttpRequest) => HttpError | undefined {
  const hosts = options.allowedHosts && new Set(options.allowedHosts.map(hostName));
  const origins = options.allowedOrigins && new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, "")));
  return (req) => {
    const loopback = isLoopbackAddress(req.socket?.localAddress);
    const host = req.headers.host;
    const name = host === undefined ? undefined : hostName(host);
    if (hosts ? name === undefined || !hosts.has(name) : loopback && (name === undefined || !isLoopbackName(name))) {
      return httpError(403, ErrorCode.InvalidRequest, `Forbidden: host ${preview(host ?? "")} is not allowed`);
    }
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    const normalised = origin.toLowerCase();
    if (origins) {
      if (origins.has("*") || origins.has(normalised)) return undefined;
    } else {
      let originHost: string | undefined;
      try {
        originHost = new URL(normalised).host;
      } catch {
        // An unparseable Origin (including "null") is never allowed by default.
      }
      if (originHost !== undefined && (originHost === host?.toLowerCase() || (loopback && isLoopbackName(hostName(originHost))))) {
        return undefined;
      }
    }
    return httpError(403, ErrorCode.InvalidRequest, `Forbidden: origin ${preview(origin)} is not allowed`);
  };
}
