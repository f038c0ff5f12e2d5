/**
 * An ordered, changeable collection of registered things (tools, prompts,
 * resources), with paging and a coalesced change signal.
 *
 * @module
 */
import { ErrorCode, JsonRpcError, preview } from "./errors.ts";

/** The handle {@linkcode Registry.add} returns, to change an entry later. */
export interface Registered {
  /** Shows the entry again after {@linkcode Registered.disable}. */
  enable(): void;
  /** Hides the entry from lists and calls without forgetting it. */
  disable(): void;
  /** Removes the entry for good. */
  remove(): void;
  /** Whether the entry is listed and callable. */
  readonly enabled: boolean;
}

/** One page of a list. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * Entries by key, in registration order (so lists are deterministic).
 *
 * `onChange` fires once, a microtask after the code that made the changes,
 * however many it made: a loop that adds a hundred tools sends one
 * `list_changed`.
 */
export class Registry<T> {
  #entries = new Map<string, { value: T; enabled: boolean }>();
  #what: string;
  #scheduled = false;
  #listeners: (() => void)[] = [];
  #wanted: (() => boolean)[] = [];
  #version = 0;

  /** @param what the kind of entry, for error messages ("tool") */
  constructor(what: string) {
    this.#what = what;
  }

  /** Grows by one with every change: what a session saw when it initialized. */
  get version(): number {
    return this.#version;
  }

  /** Number of enabled entries. */
  get size(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.enabled) n++;
    return n;
  }

  /**
   * Adds an entry.
   *
   * @throws {TypeError} when the key is taken
   */
  add(key: string, value: T): Registered {
    if (this.#entries.has(key)) throw new TypeError(`Cannot register ${this.#what} "${key}": it is already registered`);
    const entry = { value, enabled: true };
    this.#entries.set(key, entry);
    this.#changed();
    const set = (enabled: boolean) => {
      if (entry.enabled === enabled || this.#entries.get(key) !== entry) return;
      entry.enabled = enabled;
      this.#changed();
    };
    return {
      enable: () => set(true),
      disable: () => set(false),
      remove: () => {
        if (this.#entries.get(key) !== entry) return;
        this.#entries.delete(key);
        entry.enabled = false;
        this.#changed();
      },
      get enabled() {
        return entry.enabled;
      },
    };
  }

  /** The enabled entry under `key`. */
  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    return entry?.enabled ? entry.value : undefined;
  }

  /** Enabled entries in registration order. */
  *values(): IterableIterator<T> {
    for (const e of this.#entries.values()) if (e.enabled) yield e.value;
  }

  /**
   * One page of enabled entries. Cursors are opaque: they encode the offset
   * and the registry's version, so a cursor from before a change is refused
   * rather than silently skipping or repeating entries.
   *
   * @param cursor the `cursor` param, if any
   * @param pageSize entries per page
   * @throws {JsonRpcError} -32602 for a cursor this registry did not issue, or one made stale by a change
   */
  page(cursor: unknown, pageSize: number): Page<T> {
    let offset = 0;
    if (cursor !== undefined) {
      offset = this.#decode(cursor);
    }
    const all = [...this.values()];
    if (offset > all.length) throw this.#bad(cursor);
    const items = offset === 0 && all.length <= pageSize ? all : all.slice(offset, offset + pageSize);
    const next = offset + pageSize;
    return next < all.length ? { items, nextCursor: this.#encode(next) } : { items };
  }

  /** Calls `listener` (coalesced) after entries change, when `wanted` says anyone would hear of it. */
  onChange(listener: () => void, wanted: () => boolean = () => true): void {
    this.#listeners.push(listener);
    this.#wanted.push(wanted);
  }

  #encode(offset: number): string {
    return btoa(`${this.#version}:${offset}`);
  }

  #bad(cursor: unknown): JsonRpcError {
    return new JsonRpcError(ErrorCode.InvalidParams, `Invalid cursor: ${preview(cursor)}`);
  }

  #decode(cursor: unknown): number {
    const bad = this.#bad(cursor);
    if (typeof cursor !== "string") throw bad;
    let text: string;
    try {
      text = atob(cursor);
    } catch {
      throw bad;
    }
    const match = /^(\d+):(\d+)$/.exec(text);
    if (!match || Number(match[1]) !== this.#version) throw bad;
    return Number(match[2]);
  }

  #changed(): void {
    this.#version++;
    // No timer for a change nobody would hear of: a Worker's module top level may not set one.
    if (this.#scheduled || !this.#wanted.some((wanted) => wanted())) return;
    this.#scheduled = true;
    // A microtask, not a timer: it runs within the request that made the change, which a Worker
    // would end (and its timers with it) as soon as that request is answered.
    queueMicrotask(() => {
      this.#scheduled = false;
      for (const listener of this.#listeners) listener();
    });
  }
}
