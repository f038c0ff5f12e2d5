/**
 * A tiny round-robin HTTP proxy for trying examples/cluster.ts: each request
 * goes to the next upstream in turn, bodies and event streams passed through
 * as they come. For experiments only; in production use nginx, HAProxy or
 * your platform's load balancer (no sticky sessions needed).
 *
 *   PORT=3000 npx tsx examples/round_robin.ts 3001 3002
 *
 * Upstreams are ports on 127.0.0.1 or base URLs (http://host:port).
 */
import { createServer, request } from "node:http";
import process from "node:process";

const upstreams = process.argv.slice(2).map((u) => new URL(/^\d+$/.test(u) ? `http://127.0.0.1:${u}` : u));
if (upstreams.length === 0) {
  console.error("usage: round_robin.ts PORT_OR_URL...");
  process.exit(2);
}
let next = 0;

const proxy = createServer((req, res) => {
  // MCP bodies are small: buffer each, so a request can go to the next upstream when one is down.
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => send(Buffer.concat(chunks), upstreams.length));

  function send(body: Buffer, tries: number): void {
    const target = upstreams[next++ % upstreams.length]!;
    const upstream = request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.flushHeaders(); // event streams start at once
      answer.pipe(res);
    });
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (res.headersSent) res.destroy(); // the upstream died mid-answer: so does this answer
      else if (error.code === "ECONNREFUSED" && tries > 1) send(body, tries - 1); // down: the next one
      else res.writeHead(502, { "content-type": "text/plain" }).end("Bad gateway: no upstream answered");
    });
    res.on("close", () => upstream.destroy()); // the client left: so does the upstream request
    upstream.end(body);
  }
});

proxy.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const { port } = proxy.address() as { port: number };
  console.log(`round-robin proxy on http://127.0.0.1:${port} → ${upstreams.map((u) => u.host).join(", ")}`);
});
