/**
 * The session bus: what several emcee instances share so that a session
 * opened on one of them can be reached through any of them. It records
 * which instance owns which session (with a time to live, so the sessions of
 * an instance that died are forgotten) and carries messages between
 * instances. Messages are opaque strings; emcee gives them their meaning.
 *
 * {@linkcode MemoryBus} joins servers of one process (and the tests);
 * `RedisBus` joins processes and machines.
 *
 * @module
 */

/** Receives the messages addressed to one instance, and every broadcast. */
export type BusListener = (message: string) => void;

/** What emcee needs from a shared engine to route sessions across instances. */
export interface SessionBus {
  /** Starts delivering to `listener` what is sent to `instance`, and every broadcast. */
  join(instance: string, listener: BusListener): Promise<void>;
  /** Stops delivering to `instance`; later sends to it resolve false. */
  leave(instance: string): Promise<void>;
  /** Records that `instance` owns `sessions` for `ttlMs`; claiming again renews. */
  claim(instance: string, sessions: readonly string[], ttlMs: number): Promise<void>;
  /** The instance that owns `session`, or undefined when none does (any more). */
  owner(session: string): Promise<string | undefined>;
  /** Forgets `session`. */
  release(session: string): Promise<void>;
  /**
   * Delivers `message` to `instance`, in order with its other messages from
   * this instance.
   *
   * @returns false when no instance of that id is listening (it has left or died)
   */
  send(instance: string, message: string): Promise<boolean>;
  /** Delivers `message` to every instance that joined, this one included. */
  broadcast(message: string): Promise<void>;
}

/**
 * A bus within one process: several servers in one process share one
 * `MemoryBus` to act as a cluster (handy in tests, or to shard one process's
 * sessions across servers). Delivery is asynchronous and in order, as over a
 * network.
 *
 * @example
 * ```ts
 * import { createServer, MemoryBus } from "./mod.ts";
 * const bus = new MemoryBus();
 * const a = createServer({ name: "a", version: "1.0.0", cluster: { bus } });
 * const b = createServer({ name: "b", version: "1.0.0", cluster: { bus } });
 * ```
 */
export class MemoryBus implements SessionBus {
  #listeners = new Map<string, BusListener>();
  #owners = new Map<string, { instance: string; expires: number }>();

  join(instance: string, listener: BusListener): Promise<void> {
    this.#listeners.set(instance, listener);
    return Promise.resolve();
  }

  leave(instance: string): Promise<void> {
    this.#listeners.delete(instance);
    return Promise.resolve();
  }

  claim(instance: string, sessions: readonly string[], ttlMs: number): Promise<void> {
    const expires = Date.now() + ttlMs;
    for (const session of sessions) this.#owners.set(session, { instance, expires });
    return Promise.resolve();
  }

  owner(session: string): Promise<string | undefined> {
    const entry = this.#owners.get(session);
    if (entry && entry.expires <= Date.now()) this.#owners.delete(session);
    return Promise.resolve(entry && entry.expires > Date.now() ? entry.instance : undefined);
  }

  release(session: string): Promise<void> {
    this.#owners.delete(session);
    return Promise.resolve();
  }

  send(instance: string, message: string): Promise<boolean> {
    const listener = this.#listeners.get(instance);
    if (!listener) return Promise.resolve(false);
    queueMicrotask(() => this.#listeners.get(instance)?.(message));
    return Promise.resolve(true);
  }

  broadcast(message: string): Promise<void> {
    for (const instance of this.#listeners.keys()) void this.send(instance, message);
    return Promise.resolve();
  }
}
