/**
 * Multi-round-trip requests (MRTR, 2026-07-28): a tool that asks the client
 * something (`ctx.elicit()`, `ctx.sample()`, `ctx.roots()`) ends its first
 * run with an `input_required` result; the client answers by retrying with
 * `inputResponses` and the `requestState` it was given, and the tool runs
 * again with the answers at hand.
 *
 * Questions are keyed by the order the tool asks them (`q0`, `q1`, …, or a
 * key the tool names), so a tool must ask the same questions in the same
 * order on every run until its first unanswered one: whatever it does before
 * a question runs again on each retry, so keep that part free of side effects.
 *
 * `requestState` is hostile input. It is sealed with HMAC-SHA256 under a
 * server secret and binds the method, a digest of the params, the principal
 * and an expiry; each state is accepted once. No server memory is needed
 * between the two requests beyond the set of states already used.
 *
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ErrorCode, JsonRpcError } from "./errors.ts";
import type { JsonObject } from "./types.ts";

/** One question to the client, as `inputRequests` carries it. */
export interface InputRequest {
  method: string;
  params: JsonObject;
}

/** What a sealed `requestState` holds. */
interface State {
  /** method */
  m: string;
  /** digest of the params */
  d: string;
  /** principal key */
  p: string | null;
  /** expiry, ms since the epoch */
  x: number;
  /** nonce */
  n: string;
  /** answers so far, by key */
  a: Record<string, JsonObject>;
  /** each question so far, in order: its key and method */
  k: [string, string][];
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as JsonObject)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A digest of a request's params, without the parts that change between rounds. */
export function paramsDigest(params: JsonObject): string {
  const { _meta: _m, inputResponses: _i, requestState: _r, ...rest } = params;
  return createHash("sha256").update(canonical(rest)).digest("base64url");
}

const tampered = (why: string) => new JsonRpcError(ErrorCode.InvalidParams, `Invalid requestState: ${why}`);

/** Seals and opens `requestState` tokens. */
export class RequestStates {
  /** Made on first use when no secret is given: nothing random runs while a server is constructed (Workers refuse it at module scope). */
  #key: Uint8Array | undefined;
  #ttlMs: number;
  #used = new Map<string, number>();

  /**
   * @param secret the HMAC key; every instance behind one load balancer needs the same. Default: random per process.
   * @param ttlMs how long a state stays valid. Default 10 minutes.
   */
  constructor(secret?: string | Uint8Array, ttlMs = 600_000) {
    this.#key = secret === undefined ? undefined : typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
    if (this.#key && this.#key.length < 16) throw new RangeError("Cannot use a requestState secret shorter than 16 bytes");
    this.#ttlMs = ttlMs;
  }

  /** Seals the state of a round that ended with questions. */
  seal(method: string, digest: string, principal: string | undefined, answers: Record<string, JsonObject>, asked: [string, string][]): string {
    const state: State = {
      m: method,
      d: digest,
      p: principal ?? null,
      x: Date.now() + this.#ttlMs,
      n: randomBytes(12).toString("base64url"),
      a: answers,
      k: asked,
    };
    const payload = Buffer.from(JSON.stringify(state)).toString("base64url");
    return `v1.${payload}.${this.#mac(payload)}`;
  }

  /**
   * Opens a state sent back by the client, once.
   *
   * @throws {JsonRpcError} -32602 when it is forged, tampered with, expired, replayed, or from another request or principal
   */
  open(token: unknown, method: string, digest: string, principal: string | undefined): State {
    if (typeof token !== "string") throw tampered("it must be a string");
    const parts = token.split(".");
    const [version, payload, mac] = parts;
    if (parts.length !== 3 || version !== "v1" || !payload || !mac) throw tampered("it is not one this server issued");
    const expected = Buffer.from(this.#mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw tampered("its signature does not match");
    let state: State;
    try {
      state = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      throw tampered("it is not one this server issued");
    }
    if (state.m !== method || state.d !== digest) throw tampered("it belongs to a different request");
    if (state.p !== (principal ?? null)) throw tampered("it belongs to someone else");
    const now = Date.now();
    if (state.x < now) throw tampered("it has expired; start the request again");
    if (this.#used.has(state.n)) throw tampered("it was already used");
    this.#remember(state.n, state.x, now);
    return state;
  }

  #mac(payload: string): string {
    return createHmac("sha256", this.#key ??= randomBytes(32)).update(payload).digest("base64url");
  }

  #remember(nonce: string, expiry: number, now: number): void {
    if (this.#used.size >= 10_000) {
      for (const [n, x] of this.#used) if (x < now) this.#used.delete(n);
      // Still full of live states: forget the oldest, which expire first.
      while (this.#used.size >= 100_000) this.#used.delete(this.#used.keys().next().value!);
    }
    this.#used.set(nonce, expiry);
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks that an answer has the shape its question's method returns. */
function validAnswer(method: string, answer: unknown): answer is JsonObject {
  if (!isObject(answer)) return false;
  switch (method) {
    case "elicitation/create":
      return ["accept", "decline", "cancel"].includes(answer.action as string) &&
        (answer.content === undefined || isObject(answer.content));
    case "sampling/createMessage":
      return typeof answer.role === "string" && (isObject(answer.content) || Array.isArray(answer.content)) &&
        typeof answer.model === "string";
    case "roots/list":
      return Array.isArray(answer.roots);
    default:
      return true;
  }
}

/**
 * One run of a tool, prompt or resource read under MRTR: it answers the
 * questions already answered (from the sealed state, or from the retry's
 * `inputResponses`) and collects the rest.
 */
export class InputBroker {
  #answers: Record<string, JsonObject>;
  #order: [key: string, method: string][];
  #responses: JsonObject;
  #asked: Record<string, InputRequest> = {};
  #count = 0;
  #next = 0;
  #settle!: () => void;
  #scheduled = false;
  /** Resolves once the run has asked something it has no answer to, and had a moment to ask more. */
  readonly needed: Promise<void>;

  /**
   * @param state the opened `requestState`, if the retry carried one
   * @param responses the retry's `inputResponses`; keys nobody asked for are ignored
   */
  constructor(state: State | undefined, responses: unknown) {
    this.#answers = { ...state?.a };
    this.#order = state?.k.map((pair) => [pair[0]!, pair[1]!]) ?? [];
    this.#responses = isObject(responses) ? responses : {};
    this.needed = new Promise((resolve) => (this.#settle = resolve));
  }

  /** The questions to send. */
  get asked(): Record<string, InputRequest> {
    return this.#asked;
  }

  /** Everything answered so far. */
  get answers(): Record<string, JsonObject> {
    return this.#answers;
  }

  /** Each question asked so far, in order: its key and method. */
  get order(): [string, string][] {
    return this.#order;
  }

  /**
   * The answer to the next question, or a promise that never settles while
   * the question goes to the client.
   *
   * @param key the question's name in `inputRequests`; default `q<n>` by the order of asking
   * @throws {JsonRpcError} -32602 when the run asks other questions than the one the state came from, or an answer has the wrong shape
   */
  ask(method: string, params: JsonObject, key?: string): Promise<JsonObject> {
    const i = this.#next++;
    const name = key ?? `q${i}`;
    const before = this.#order[i];
    if (before && (before[0] !== name || before[1] !== method)) {
      return Promise.reject(new JsonRpcError(ErrorCode.InvalidParams, `Invalid requestState: question ${i} was ${before[1]} "${before[0]}", now ${method} "${name}"`));
    }
    this.#order[i] = [name, method];
    let answer = this.#answers[name];
    if (answer === undefined && Object.hasOwn(this.#responses, name)) {
      const given = this.#responses[name];
      if (!validAnswer(method, given)) {
        return Promise.reject(new JsonRpcError(ErrorCode.InvalidParams, `Invalid inputResponses["${name}"]: it is not a valid answer to ${method}`));
      }
      answer = this.#answers[name] = given;
    }
    if (answer !== undefined) return Promise.resolve(answer);
    this.#asked[name] = { method, params };
    this.#count++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      // Let questions asked together (Promise.all) join this round.
      setImmediate(() => this.#settle());
    }
    return new Promise(() => {});
  }
}
