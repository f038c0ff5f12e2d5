/**
 * Tool-call time limits without a timer per call: one sweep, running only
 * while calls are being watched, aborts those past their deadline.
 *
 * @module
 */
import type { Running } from "./running.ts";

/** Watches running calls and aborts the overdue. */
export class Deadlines {
  // An array with each call's index in its `slot`: watching and forgetting a call are O(1) without hashing it.
  #watched: Running[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #everyMs: number;

  /** @param limitMs the time limit, which sets how often to look (a quarter of it, 10 ms to 1 s) */
  constructor(limitMs: number) {
    this.#everyMs = Math.max(10, Math.min(1000, Math.floor(limitMs / 4)));
  }

  /** Starts watching a call whose `deadline` is set. */
  watch(running: Running): void {
    if (running.slot !== -1) return;
    running.slot = this.#watched.length;
    this.#watched.push(running);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), this.#everyMs);
      this.#timer.unref?.();
    }
  }

  /** Stops watching a call (it answered, or was aborted). The sweep stops itself once idle. */
  forget(running: Running): void {
    const slot = running.slot;
    if (slot === -1) return;
    running.slot = -1;
    const last = this.#watched.pop()!;
    if (last !== running) {
      this.#watched[slot] = last;
      last.slot = slot;
    }
  }

  /** Stops the sweep. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    // Stopping here rather than in forget() keeps one interval alive across back-to-back calls.
    if (this.#watched.length === 0) return this.stop();
    const now = Date.now();
    const overdue = this.#watched.filter((running) => running.deadline <= now);
    for (const running of overdue) {
      this.forget(running);
      running.abort(new Error("The tool call timed out"));
    }
  }
}
