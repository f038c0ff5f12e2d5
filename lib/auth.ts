/**
 * Authentication for the MCP endpoints: a function of the request that
 * returns a principal or refuses, run on every request (the SSE GET, every
 * POST, DELETE), and the RFC 9728 protected-resource metadata that tells an
 * OAuth client where to get a token (authorization, 2025-06-18 onward).
 *
 * emcee verifies nothing itself: bring the check that fits (a token list, a
 * JWT library, an introspection call) and return who is asking.
 *
 * @module
 */
import { ErrorCode, HttpError, JsonRpcError } from "./errors.ts";
import type { HttpRequest } from "./http.ts";

/**
 * Returns the principal for a request (any value: a user id, claims, …), or
 * `undefined` when it carries no credentials; throws {@linkcode AuthError} to
 * refuse bad ones.
 */
export type Authenticate = {
  // A method, so that a function written for one door's request (`IncomingMessage`) still fits.
  authenticate(req: HttpRequest): unknown;
}["authenticate"];

/** Options of {@linkcode AuthError}. */
export interface AuthErrorOptions {
  /** 401 (default) for missing or bad credentials, 403 for insufficient scope. */
  status?: 401 | 403;
  /** The RFC 6750 error code: `invalid_token`, `insufficient_scope`, `invalid_request`. */
  error?: string;
  /** The scopes the request needs, sent as `scope="…"`. */
  scope?: string;
}

/**
 * A refusal from `authenticate`.
 *
 * @example
 * ```ts
 * throw new AuthError("The token has expired", { error: "invalid_token" });
 * throw new AuthError("Needs files:write", { status: 403, error: "insufficient_scope", scope: "files:write" });
 * ```
 */
export class AuthError extends Error {
  readonly status: 401 | 403;
  readonly error: string | undefined;
  readonly scope: string | undefined;

  constructor(message: string, options: AuthErrorOptions = {}) {
    super(message);
    this.name = "AuthError";
    this.status = options.status ?? 401;
    this.error = options.error ?? (this.status === 403 ? "insufficient_scope" : undefined);
    this.scope = options.scope;
  }
}

/** RFC 9728 protected-resource metadata; `authorization_servers` is required by MCP. */
export interface ResourceMetadata {
  /** The resource's canonical URI, e.g. `https://mcp.example.com/mcp`. Default: this server's `/mcp` as the request reached it. */
  resource?: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
  [key: string]: unknown;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * The `WWW-Authenticate` challenge for a refusal (RFC 6750 §3, RFC 9728 §5.1).
 *
 * @param error the refusal, or undefined for a request without credentials
 * @param metadataUrl where the protected-resource metadata is served, if it is
 */
export function challenge(error: AuthError | undefined, metadataUrl: string | undefined): string {
  const params: string[] = [];
  if (metadataUrl) params.push(`resource_metadata=${quote(metadataUrl)}`);
  if (error?.error) params.push(`error=${quote(error.error)}`);
  if (error?.scope) params.push(`scope=${quote(error.scope)}`);
  if (error && error.message) params.push(`error_description=${quote(error.message.replace(/[^\x20-\x7e]/g, "?"))}`);
  return params.length > 0 ? `Bearer ${params.join(", ")}` : "Bearer";
}

/**
 * Runs `authenticate` for a request.
 *
 * @returns the principal
 * @throws {HttpError} 401 or 403 with the challenge header
 */
export async function authenticateRequest(
  authenticate: Authenticate,
  req: HttpRequest,
  metadataUrl: string | undefined,
): Promise<unknown> {
  let principal: unknown;
  let refusal: AuthError | undefined;
  try {
    principal = await authenticate(req);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    refusal = error;
  }
  if (principal !== undefined && principal !== null && !refusal) return principal;
  const status = refusal?.status ?? 401;
  const message = refusal?.message || "Unauthorized: this server needs credentials";
  throw new HttpError(status, new JsonRpcError(ErrorCode.InvalidRequest, message), {
    "www-authenticate": challenge(refusal, metadataUrl),
  });
}

/**
 * A stable key for a principal, to bind a session to whoever opened it: a
 * string as it is, an object by its `sub` or `id`, anything else by its JSON.
 */
export function principalKey(principal: unknown): string | undefined {
  if (principal === undefined || principal === null) return undefined;
  if (typeof principal === "string") return principal;
  if (typeof principal === "object") {
    const { sub, id } = principal as { sub?: unknown; id?: unknown };
    if (typeof sub === "string" || typeof sub === "number") return `sub:${sub}`;
    if (typeof id === "string" || typeof id === "number") return `id:${id}`;
  }
  try {
    return `json:${JSON.stringify(principal)}`;
  } catch {
    return undefined;
  }
}
