/**
 * examples/everything.ts's server as a `{ fetch }` module, for the hosts
 * that speak Fetch; CI runs the official conformance suites against it on
 * each (`.ci/conformance deno|bun|workerd`).
 *
 *   deno serve --allow-env --port 3000 examples/everything_fetch.ts
 *   bun examples/everything_fetch.ts
 *   node --import tsx scripts/worker.ts examples/everything_fetch.ts
 */
import { everything } from "./everything.ts";

const server = everything();

export default { fetch: server.fetch };
