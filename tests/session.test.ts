import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Running } from "../lib/running.ts";
import { Session } from "../lib/session.ts";
import type { SessionWatcher } from "../lib/session.ts";

/** A watcher that writes what it saw into `log`. */
function watcher(log: string[], name: string): SessionWatcher {
  return { sessionClosed: (session) => log.push(`${name} ${session.id}`) };
}

describe("Session", () => {
  it("onClose() tells functions and watchers once, in the order they came, however many there are", () => {
    for (const count of [1, 2, 3, 5]) {
      const session = new Session("s1");
      const log: string[] = [];
      for (let i = 0; i < count; i++) {
        if (i % 2 === 0) session.onClose(watcher(log, `w${i}`));
        else session.onClose(() => log.push(`f${i}`));
      }
      assert.deepEqual(log, []);
      session.close();
      session.close();
      const expected = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? `w${i} s1` : `f${i}`));
      assert.deepEqual(log, expected, `${count} listeners`);
    }
  });

  it("onClose() on an ended session tells the listener at once", () => {
    const session = new Session("s2");
    session.close();
    const log: string[] = [];
    session.onClose(watcher(log, "late"));
    session.onClose(() => log.push("late fn"));
    assert.deepEqual(log, ["late s2", "late fn"]);
  });

  it("a listener that adds another while the session closes: the new one runs at once, nothing runs twice", () => {
    const session = new Session("s3");
    const log: string[] = [];
    session.onClose(() => {
      log.push("first");
      session.onClose(() => log.push("added while closing"));
    });
    session.onClose(() => log.push("second"));
    session.close();
    assert.deepEqual(log, ["first", "added while closing", "second"]);
  });

  it("running() and inflightCount read the in-flight requests; close() aborts them and empties the map", () => {
    const session = new Session("s4");
    assert.equal(session.inflightCount, 0);
    assert.equal(session.running(1), undefined);
    const one = new Running();
    const two = new Running();
    session.inflight.set(1, one);
    session.inflight.set("two", two);
    assert.equal(session.inflightCount, 2);
    assert.equal(session.running(1), one);
    assert.equal(session.running("1"), undefined, "ids keep their type");
    session.close();
    assert.equal(one.aborted, true);
    assert.equal(two.aborted, true);
    assert.equal(session.inflightCount, 0);
  });

  it("idleSince() counts a running request as activity", () => {
    const session = new Session("s5");
    session.lastActive = 0;
    assert.equal(session.idleSince(1), true);
    session.inflight.set(7, new Running());
    assert.equal(session.idleSince(1), false);
    session.inflight.delete(7);
    assert.equal(session.idleSince(1), true);
  });
});
