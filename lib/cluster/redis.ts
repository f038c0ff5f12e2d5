/**
 * A {@linkcode SessionBus} over Redis: session owners are keys with a time to
 * live (`SET … PX`), messages travel by pub/sub, one channel per instance and
 * one for broadcasts. `PUBLISH` answers how many subscribers got a message,
 * which is how a sender learns at once that an instance has gone.
 *
 * emcee depends on no Redis client: pass the one you use. The shapes below
 * are node-redis's (`redis` on npm); any client can be adapted in a few lines.
 *
 * @module
 */
import type { BusListener, SessionBus } from "./bus.ts";

/** Runs Redis commands: node-redis's `sendCommand` (ioredis: `(args) => redis.call(...args)`). */
export interface RedisCommands {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * A connection in subscriber mode: node-redis's `subscribe`/`unsubscribe`
 * (a `client.duplicate()`, since a subscribed connection runs no other command).
 */
export interface RedisSubscriber {
  subscribe(channels: string[], listener: (message: string, channel: string) => void): Promise<unknown>;
  /** Removes `listener` only, so instances can share one subscriber connection. */
  unsubscribe(channels: string[], listener: (message: string, channel: string) => void): Promise<unknown>;
}

/** Options of {@linkcode RedisBus}. */
export interface RedisBusOptions {
  /** A connected client for commands. */
  client: RedisCommands;
  /** A second connected client for pub/sub. */
  subscriber: RedisSubscriber;
  /** Prefix of every key and channel, so clusters can share one Redis. Default `emcee`. */
  prefix?: string;
}

/**
 * Joins instances through Redis.
 *
 * @example
 * ```ts ignore
 * // node-redis: createClient from the "redis" package
 * const client = await createClient({ url: "redis://127.0.0.1:6379", disableOfflineQueue: true }).connect();
 * const subscriber = await client.duplicate().connect();
 * const server = createServer({ name: "demo", version: "1.0.0", cluster: { bus: new RedisBus({ client, subscriber }) } });
 * ```
 */
export class RedisBus implements SessionBus {
  #client: RedisCommands;
  #subscriber: RedisSubscriber;
  #prefix: string;
  #joined = new Map<string, { channels: string[]; listener: (message: string) => void }>();

  /** @param options the two clients and a key prefix */
  constructor(options: RedisBusOptions) {
    if (typeof options?.client?.sendCommand !== "function" || typeof options.subscriber?.subscribe !== "function") {
      throw new TypeError("Cannot create RedisBus: pass a client with sendCommand() and a subscriber with subscribe()");
    }
    this.#client = options.client;
    this.#subscriber = options.subscriber;
    this.#prefix = options.prefix ?? "emcee";
  }

  async join(instance: string, listener: BusListener): Promise<void> {
    const channels = [this.#inbox(instance), `${this.#prefix}:all`];
    const own = (message: string) => listener(message);
    await this.#subscriber.subscribe(channels, own);
    this.#joined.set(instance, { channels, listener: own });
  }

  async leave(instance: string): Promise<void> {
    const joined = this.#joined.get(instance);
    this.#joined.delete(instance);
    if (joined) await this.#subscriber.unsubscribe(joined.channels, joined.listener);
  }

  async claim(instance: string, sessions: readonly string[], ttlMs: number): Promise<void> {
    const ttl = String(ttlMs);
    // Issued together, these travel as one pipeline with clients that auto-pipeline (node-redis does).
    await Promise.all(sessions.map((s) => this.#client.sendCommand(["SET", this.#key(s), instance, "PX", ttl])));
  }

  async owner(session: string): Promise<string | undefined> {
    const value = await this.#client.sendCommand(["GET", this.#key(session)]);
    return typeof value === "string" ? value : undefined;
  }

  async release(session: string): Promise<void> {
    await this.#client.sendCommand(["DEL", this.#key(session)]);
  }

  async send(instance: string, message: string): Promise<boolean> {
    return Number(await this.#client.sendCommand(["PUBLISH", this.#inbox(instance), message])) > 0;
  }

  async broadcast(message: string): Promise<void> {
    await this.#client.sendCommand(["PUBLISH", `${this.#prefix}:all`, message]);
  }

  #key(session: string): string {
    return `${this.#prefix}:session:${session}`;
  }

  #inbox(instance: string): string {
    return `${this.#prefix}:instance:${instance}`;
  }
}
