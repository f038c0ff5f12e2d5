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

/** WebCrypto's key type (named so, without DOM types). */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Base64url without padding (RFC 4648 §5), as the tokens carry it. */
function toBase64url(bytes: Uint8Array): string {
  let binary = "";
  // In slices: spreading a large array into fromCharCode would overflow the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The bytes of a base64url string, or undefined when it is not one. */
function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

/** A digest of a request's params, without the parts that change between rounds (SHA-256, base64url). */
export async function paramsDigest(params: JsonObject): Promise<string> {
  const { _meta: _m, inputResponses: _i, requestState: _r, ...rest } = params;
  return toBase64url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonical(rest)))));
}

const tampered = (why: string) => new JsonRpcError(ErrorCode.InvalidParams, `Invalid requestState: ${why}`);

/**
 * Seals and opens `requestState` tokens: `v1.<payload>.<mac>`, the payload
 * the state's JSON and the mac its HMAC-SHA256, both base64url. On
 * WebCrypto, so it runs wherever the `fetch` door does.
 */
export class RequestStates {
  /** Made on first use when no secret is given: nothing random runs while a server is constructed (Workers refuse it at module scope). */
  #secret: Uint8Array<ArrayBuffer> | undefined;
  #key: Promise<HmacKey> | undefined;
  #ttlMs: number;
  #used = new Map<string, number>();

  /**
   * @param secret the HMAC key; every instance behind one load balancer needs the same. Default: random per process.
   * @param ttlMs how long a state stays valid. Default 10 minutes.
   */
  constructor(secret?: string | Uint8Array, ttlMs = 600_000) {
    // A copy: the caller's bytes may change, or sit on a SharedArrayBuffer WebCrypto refuses.
    this.#secret = secret === undefined ? undefined : typeof secret === "string" ? encoder.encode(secret) : new Uint8Array(secret);
    if (this.#secret && this.#secret.length < 16) throw new RangeError("Cannot use a requestState secret shorter than 16 bytes");
    this.#ttlMs = ttlMs;
  }

  /** Seals the state of a round that ended with questions. */
  async seal(method: string, digest: string, principal: string | undefined, answers: Record<string, JsonObject>, asked: [string, string][]): Promise<string> {
    const state: State = {
      m: method,
      d: digest,
      p: principal ?? null,
      x: Date.now() + this.#ttlMs,
      n: toBase64url(crypto.getRandomValues(new Uint8Array(12))),
      a: answers,
      k: asked,
    };
    const payload = toBase64url(encoder.encode(JSON.stringify(state)));
    const mac = await crypto.subtle.sign("HMAC", await this.#hmacKey(), encoder.encode(payload));
    return `v1.${payload}.${toBase64url(new Uint8Array(mac))}`;
  }

  /**
   * Opens a state sent back by the client, once.
   *
   * @throws {JsonRpcError} -32602 when it is forged, tampered with, expired, replayed, or from another request or principal
   */
  async open(token: unknown, method: string, digest: string, principal: string | undefined): Promise<State> {
    if (typeof token !== "string") throw tampered("it must be a string");
    const parts = token.split(".");
    const [version, payload, mac] = parts;
    if (parts.length !== 3 || version !== "v1" || !payload || !mac) throw tampered("it is not one this server issued");
    const given = fromBase64url(mac);
    // Only the canonical spelling: base64url's last character has spare bits, and a token whose
    // mac was altered there would decode to the same bytes. verify() compares in constant time.
    if (!given || toBase64url(given) !== mac || !await crypto.subtle.verify("HMAC", await this.#hmacKey(), given, encoder.encode(payload))) {
      throw tampered("its signature does not match");
    }
    let state: State;
    try {
      state = JSON.parse(decoder.decode(fromBase64url(payload)));
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

  #hmacKey(): Promise<HmacKey> {
    this.#key ??= crypto.subtle.importKey(
      "raw",
      this.#secret ??= crypto.getRandomValues(new Uint8Array(32)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    return this.#key;
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
