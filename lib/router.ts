/**
 * A small router, generic over what it routes to: static and `:param`
 * segments, and the difference between "no such path" (404) and "no such
 * method here" (405 with `Allow`). It knows nothing of HTTP messages, so its
 * values can be handlers, strings in a test, or anything else.
 *
 * @module
 */

/** The outcome of {@linkcode Router.match}. */
export type RouteMatch<T> =
  | { status: 200; value: T; params: Record<string, string> }
  | { status: 404 }
  | { status: 405; allow: string[] };

interface Route<T> {
  segments: string[];
  methods: Map<string, T>;
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

/**
 * Routes `(method, path)` to a value.
 *
 * Static segments win over `:param` segments at the same depth, whatever the
 * order of registration. `HEAD` falls back to `GET`.
 *
 * @example
 * ```ts
 * const router = new Router<string>();
 * router.add("GET", "/users/:id", "show user");
 * router.match("GET", "/users/42"); // { status: 200, value: "show user", params: { id: "42" } }
 * router.match("POST", "/users/42"); // { status: 405, allow: ["GET", "HEAD"] }
 * ```
 */
export class Router<T> {
  #static = new Map<string, Route<T>>();
  #dynamic: Route<T>[] = [];

  /**
   * Adds a route.
   *
   * @param method an HTTP method, or `*` for any
   * @param path a path such as `/users/:id`
   * @param value what the route leads to
   * @throws {TypeError} when the same method and path are added twice
   */
  add(method: string, path: string, value: T): this {
    const segments = split(path);
    const key = "/" + segments.join("/");
    const isDynamic = segments.some((s) => s.startsWith(":"));
    let route = isDynamic
      ? this.#dynamic.find((r) => r.segments.join("/") === segments.join("/"))
      : this.#static.get(key);
    if (!route) {
      route = { segments, methods: new Map() };
      if (isDynamic) this.#dynamic.push(route);
      else this.#static.set(key, route);
    }
    const verb = method.toUpperCase();
    if (route.methods.has(verb)) throw new TypeError(`Cannot add route ${verb} ${path}: it already exists`);
    route.methods.set(verb, value);
    return this;
  }

  /**
   * Finds the value for a request.
   *
   * @param method the request method
   * @param path the path, without the query string
   * @returns the value and params, or 404, or 405 with the allowed methods
   */
  match(method: string, path: string): RouteMatch<T> {
    const fixed = this.#static.get(path) ?? this.#static.get("/" + split(path).join("/"));
    const value = fixed && pick(fixed, method);
    if (value !== undefined) return { status: 200, value, params: {} };
    // A static path without this method may still match a :param route that has it.
    const found = this.#dynamic.length > 0 ? this.#matchDynamic(split(path), method) : undefined;
    if (found && found[2] !== undefined) return { status: 200, value: found[2], params: found[1] };
    const routes = [fixed, found?.[0]].filter((r) => r !== undefined);
    if (routes.length === 0) return { status: 404 };
    const allow = [...new Set(routes.flatMap((r) => [...r.methods.keys()]))];
    if (allow.includes("GET") && !allow.includes("HEAD")) allow.push("HEAD");
    return { status: 405, allow };
  }

  /** The best :param route for `parts`: one that has `method` first, then the most static segments. */
  #matchDynamic(parts: string[], method: string): [Route<T>, Record<string, string>, T | undefined] | undefined {
    let best: [Route<T>, Record<string, string>, T | undefined, number] | undefined;
    for (const route of this.#dynamic) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let score = 0;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith(":")) {
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
        } else if (seg === part) score += 1 << (parts.length - i);
        else ok = false;
      }
      if (!ok) continue;
      const value = pick(route, method);
      if (value !== undefined) score += 1 << (parts.length + 1);
      if (!best || score > best[3]) best = [route, params, value, score];
    }
    return best && [best[0], best[1], best[2]];
  }
}

function pick<T>(route: Route<T>, method: string): T | undefined {
  return route.methods.get(method) ?? (method === "HEAD" ? route.methods.get("GET") : undefined) ??
    route.methods.get("*");
}
