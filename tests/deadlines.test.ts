import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Deadlines } from "../lib/deadlines.ts";
import { Running } from "../lib/running.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A call due `inMs` from now. */
function due(inMs: number): Running {
  const running = new Running();
  running.deadline = Date.now() + inMs;
  return running;
}

describe("Deadlines", () => {
  it("aborts exactly the overdue calls, forgotten ones never, whatever order they were forgotten in", async () => {
    const deadlines = new Deadlines(40); // sweeps every 10 ms
    try {
      const calls = Array.from({ length: 8 }, (_, i) => due(i % 2 === 0 ? 15 : 60_000));
      for (const call of calls) deadlines.watch(call);
      deadlines.watch(calls[0]!); // watching twice changes nothing
      // Forget from the middle, the end and the start: the others must keep their places.
      for (const i of [3, 7, 0]) deadlines.forget(calls[i]!);
      deadlines.forget(calls[3]!); // forgetting twice changes nothing
      await sleep(80);
      assert.deepEqual(calls.map((c) => c.aborted), [false, false, true, false, true, false, true, false]);
      assert.match(String((calls[2]!.reason as Error).message), /timed out/);
      // The rest are due in a minute: forgetting them leaves nothing watched, and the sweep stops itself.
      for (const i of [1, 5]) deadlines.forget(calls[i]!);
      assert.equal(calls[1]!.slot, -1);
      await sleep(30);
      assert.deepEqual(calls.map((c) => c.aborted), [false, false, true, false, true, false, true, false]);
    } finally {
      deadlines.stop();
    }
  });

  it("a call aborted by its deadline can be forgotten after, and a new call is watched again", async () => {
    const deadlines = new Deadlines(40);
    try {
      const first = due(0);
      deadlines.watch(first);
      await sleep(40);
      assert.equal(first.aborted, true);
      deadlines.forget(first); // what callToolMethod does in its finally
      const second = due(0);
      deadlines.watch(second);
      await sleep(40);
      assert.equal(second.aborted, true);
    } finally {
      deadlines.stop();
    }
  });
});
