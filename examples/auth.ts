/**
 * Bearer tokens in front of MCP: a static token list, principals bound to
 * their sessions, and RFC 9728 metadata so OAuth clients know where to go.
 *
 *   npx tsx examples/auth.ts
 *   curl -i -X POST http://127.0.0.1:3000/mcp                       → 401 + WWW-Authenticate
 *   npx @modelcontextprotocol/inspector --cli http://127.0.0.1:3000/mcp --transport http \
 *     --header "Authorization: Bearer token-alice" --method tools/call --tool-name whoami
 *
 * Verifying JWTs instead needs no dependency in emcee: `authenticate` is
 * yours. With Node's own `crypto.subtle.verify` (or any JWT library of your
 * project) check the signature, `exp`, and that `aud` is this server's
 * canonical URL, then return the claims; throw `AuthError` otherwise.
 */
import process from "node:process";
import { AuthError, createServer } from "../mod.ts";

interface Principal {
  sub: string;
  scopes: string[];
}

/** In real life: a database, an introspection endpoint, or JWT verification. */
const TOKENS: Record<string, Principal> = {
  "token-alice": { sub: "alice", scopes: ["notes:read", "notes:write"] },
  "token-bob": { sub: "bob", scopes: ["notes:read"] },
};

const port = Number(process.env.PORT ?? 3000);

const server = createServer({
  name: "auth-example",
  version: "1.0.0",
  authenticate: (req) => {
    const header = req.headers.authorization;
    if (!header) return undefined; // → 401 with the metadata URL
    const token = /^Bearer (.+)$/i.exec(header)?.[1];
    const principal = token ? TOKENS[token] : undefined;
    if (!principal) throw new AuthError("The token is unknown or expired", { error: "invalid_token" });
    return principal;
  },
  resourceMetadata: {
    // `resource` defaults to this server's /mcp as the client reached it; set it to the canonical URL in production.
    authorization_servers: ["https://auth.example.com"],
    scopes_supported: ["notes:read", "notes:write"],
  },
});

server.tool("whoami", {
  description: "Who the server thinks you are",
  inputSchema: { type: "object", properties: {} },
}, (_args, ctx) => {
  const { sub, scopes } = ctx.auth as Principal;
  return `You are ${sub}, with scopes ${scopes.join(", ")}`;
});

server.tool("write_note", {
  description: "Write a note (needs notes:write)",
  inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
}, ({ text }: { text: string }, ctx) => {
  const { scopes } = ctx.auth as Principal;
  if (!scopes.includes("notes:write")) throw new Error("This needs the notes:write scope");
  return `Saved: ${text}`;
});

const { url } = await server.listen({ port });
console.log(`emcee "auth" listening: ${url}/mcp (send Authorization: Bearer token-alice)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close({ deadline: 5000 }).then(() => process.exit(0)));
}
