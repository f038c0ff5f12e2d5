/**
 * CORS for browser clients (opt-in): preflight on every MCP endpoint, the
 * MCP headers allowed, and `Mcp-Session-Id` exposed on every response, errors
 * included, so a browser client can read its session id.
 *
 * @module
 */
import type { HttpRequest, HttpResponse } from "./http.ts";

/** Options of CORS; `true` allows every origin the Origin guard lets through. */
export interface CorsOptions {
  /** Seconds a browser may cache a preflight. Default 600. */
  maxAgeSeconds?: number;
}

/** Request headers an MCP client sends (2025-03-26 … 2026-07-28). */
export const ALLOWED_HEADERS = [
  "Content-Type",
  "Authorization",
  "Mcp-Session-Id",
  "MCP-Protocol-Version",
  "Last-Event-ID",
  "Mcp-Method",
  "Mcp-Name",
].join(", ");

/** Sets the headers every CORS response carries. */
export function corsHeaders(req: HttpRequest, res: HttpResponse): void {
  const origin = req.headers.origin;
  res.setHeader("access-control-allow-origin", origin ?? "*");
  if (origin) res.setHeader("vary", "Origin");
  res.setHeader("access-control-expose-headers", "Mcp-Session-Id, WWW-Authenticate");
}

/**
 * Answers a preflight `OPTIONS` request with 204.
 *
 * @param methods the methods the endpoint accepts
 */
export function preflight(req: HttpRequest, res: HttpResponse, methods: string[], options: CorsOptions): void {
  corsHeaders(req, res);
  const requested = req.headers["access-control-request-headers"];
  // Echo what was asked for on top of the MCP set, so `Mcp-Param-*` headers (2026-07-28) pass too.
  const headers = typeof requested === "string" && requested.trim() !== "" ? `${ALLOWED_HEADERS}, ${requested}` : ALLOWED_HEADERS;
  res.writeHead(204, {
    "access-control-allow-methods": methods.join(", "),
    "access-control-allow-headers": headers,
    "access-control-max-age": String(options.maxAgeSeconds ?? 600),
  });
  res.end();
}
