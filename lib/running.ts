/**
 * One request running for a session: how to stop it, and whether it was
 * stopped. Its `AbortSignal` is made only when someone asks for it, since
 * creating one costs more than the rest of a small call on Node 20.
 *
 * @module
 */

/** A request being served. */
export class Running {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  /** Runs once when the request is aborted (e.g. to stop waiting for a tool). */
  onAbort: (() => void) | undefined;
  /** When a tool call must have answered (ms since the epoch); 0 for none. */
  deadline = 0;
  /** @internal Where the server's deadline sweep keeps it; -1 when not watched. */
  slot = -1;

  /** Whether the request was aborted. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Why it was aborted. */
  get reason(): unknown {
    return this.#reason;
  }

  /** Aborted when the request is; made on first use. */
  get signal(): AbortSignal {
    const controller = this.#controller ??= new AbortController();
    if (this.#aborted && !controller.signal.aborted) controller.abort(this.#reason);
    return controller.signal;
  }

  /** Stops the request; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.onAbort?.();
  }
}
