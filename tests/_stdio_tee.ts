/**
 * Test fixture: runs examples/stdio.ts unchanged, and copies every line the
 * server reads from stdin to stderr as `stdin> <line>`, so a test can see
 * from the server side what a client really sent. stdout stays MCP only.
 *
 *   node --import tsx tests/_stdio_tee.ts
 */
import process from "node:process";

// Listening would start the flow before the example listens and lose lines to it,
// so watch the stream's own "data" events instead.
let partial = "";
const emit = process.stdin.emit;
process.stdin.emit = function (this: typeof process.stdin, event: string | symbol, ...args: unknown[]) {
  if (event === "data") {
    partial += String(args[0]);
    let newline: number;
    while ((newline = partial.indexOf("\n")) !== -1) {
      process.stderr.write(`stdin> ${partial.slice(0, newline)}\n`);
      partial = partial.slice(newline + 1);
    }
  }
  return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
} as typeof process.stdin.emit;

await import("../examples/stdio.ts");
