/**
 * Tool-call time limits without a timer per call: one sweep, running only
 * while calls are being watched, aborts those past their deadline.
 *
 * @module
 */
import type { Running } from "./running.ts";

/** Watches running calls and aborts the overdue. */
export class Deadlines {
  #watched = new Set<Running>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #everyMs: number;

  /** @param limitMs the time limit, which sets how often to look (a quarter of it, 10 ms to 1 s) */
  constructor(limitMs: number) {
    this.#everyMs = Math.max(10, Math.min(1000, Math.floor(limitMs / 4)));
  }

  /** Starts watching a call whose `deadline` is set. */
  watch(running: Running): void {
    this.#watched.add(running);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), this.#everyMs);
      this.#timer.unref?.();
    }
  }

  /** Stops watching a call (it answered, or was aborted). The sweep stops itself once idle. */
  forget(running: Running): void {
    this.#watched.delete(running);
  }

  /** Stops the sweep. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    // Stopping here rather than in forget() keeps one interval alive across back-to-back calls.
    if (this.#watched.size === 0) return this.stop();
    const now = Date.now();
    for (const running of this.#watched) {
      if (running.deadline > now) continue;
      this.forget(running);
      running.abort(new Error("The tool call timed out"));
    }
  }
}
