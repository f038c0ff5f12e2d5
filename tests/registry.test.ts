import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode, JsonRpcError } from "../lib/errors.ts";
import { Registry } from "../lib/registry.ts";

/** A registry of tools named by `keys`, each valued by its own key. */
function registryOf(...keys: string[]): Registry<string> {
  const registry = new Registry<string>("tool");
  for (const key of keys) registry.add(key, key);
  return registry;
}

/** Follows `nextCursor` from the first page to the last; returns every page's items. */
function allPages(registry: Registry<string>, pageSize: number): string[][] {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = registry.page(cursor, pageSize);
    pages.push(page.items);
    cursor = page.nextCursor;
    assert.ok(pages.length <= 1000, "the cursor chain does not end");
  } while (cursor !== undefined);
  return pages;
}

/** Asserts `fn` throws a JsonRpcError -32602. */
function assertInvalidParams(fn: () => unknown, label: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof JsonRpcError, label);
    assert.equal(error.code, ErrorCode.InvalidParams, label);
    assert.match(error.message, /^Invalid cursor/, label);
    return true;
  });
}

/** Waits for timers that are already due to run. */
const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe("Registry", () => {
  it("values() lists entries in registration order", () => {
    const registry = registryOf("zeta", "alpha", "mid");
    assert.deepEqual([...registry.values()], ["zeta", "alpha", "mid"]);
    assert.equal(registry.size, 3);
    assert.equal(registry.get("alpha"), "alpha");
    assert.equal(registry.get("nope"), undefined);
  });

  it("add() throws a TypeError when the key is taken", () => {
    const registry = registryOf("echo");
    assert.throws(() => registry.add("echo", "again"), {
      name: "TypeError",
      message: 'Cannot register tool "echo": it is already registered',
    });
    assert.deepEqual([...registry.values()], ["echo"]);
  });

  it("add() refuses a key that is only disabled, since it is not forgotten", () => {
    const registry = new Registry<string>("prompt");
    registry.add("greet", "v1").disable();
    assert.throws(() => registry.add("greet", "v2"), { name: "TypeError", message: /^Cannot register prompt "greet"/ });
  });

  it("disable() hides an entry and enable() shows it again in its place", () => {
    const registry = registryOf("a");
    const b = registry.add("b", "b");
    registry.add("c", "c");
    b.disable();
    assert.equal(b.enabled, false);
    assert.equal(registry.get("b"), undefined);
    assert.deepEqual([...registry.values()], ["a", "c"]);
    assert.equal(registry.size, 2);
    b.enable();
    assert.equal(b.enabled, true);
    assert.equal(registry.get("b"), "b");
    assert.deepEqual([...registry.values()], ["a", "b", "c"]);
  });

  it("disable() and enable() are idempotent and change nothing when repeated", async () => {
    const registry = registryOf("a");
    const b = registry.add("b", "b");
    registry.add("c", "c");
    b.disable();
    let changes = 0;
    registry.onChange(() => changes++);
    const cursor = registry.page(undefined, 1).nextCursor;
    b.disable();
    b.disable();
    await macrotask();
    assert.equal(changes, 0);
    assert.deepEqual(registry.page(cursor, 1), { items: ["c"] }, "the cursor is still current");
    b.enable();
    b.enable();
    await macrotask();
    assert.equal(changes, 1);
    assert.deepEqual([...registry.values()], ["a", "b", "c"]);
  });

  it("remove() forgets an entry, so its key can be added again", () => {
    const registry = registryOf("a");
    const b = registry.add("b", "old");
    b.remove();
    b.remove();
    assert.equal(registry.get("b"), undefined);
    assert.deepEqual([...registry.values()], ["a"]);
    registry.add("b", "new");
    assert.deepEqual([...registry.values()], ["a", "new"]);
  });

  it("a removed handle does nothing once its key is added again", async () => {
    const registry = registryOf("a");
    const old = registry.add("k", "old");
    old.remove();
    const fresh = registry.add("k", "new");
    let changes = 0;
    registry.onChange(() => changes++);
    const cursor = registry.page(undefined, 1).nextCursor;
    old.disable();
    old.enable();
    old.remove();
    assert.equal(registry.get("k"), "new");
    assert.equal(fresh.enabled, true);
    assert.deepEqual(registry.page(cursor, 1), { items: ["new"] }, "no change was made");
    await macrotask();
    assert.equal(changes, 0);
  });

  it("a handle reports enabled false once removed", () => {
    const registry = registryOf("a");
    const b = registry.add("b", "b");
    b.remove();
    assert.equal(registry.get("b"), undefined);
    assert.equal(b.enabled, false);
  });

  it("page() returns everything and no cursor when it all fits on one page", () => {
    const registry = registryOf("a", "b", "c");
    assert.deepEqual(registry.page(undefined, 3), { items: ["a", "b", "c"] });
    assert.deepEqual(registry.page(undefined, 100), { items: ["a", "b", "c"] });
    assert.deepEqual(new Registry<string>("tool").page(undefined, 10), { items: [] });
  });

  it("page() with a page size chains nextCursor over every entry exactly once", () => {
    const keys = Array.from({ length: 23 }, (_, i) => `tool-${i}`);
    const registry = registryOf(...keys);
    for (const pageSize of [1, 2, 5, 7, 22, 23, 24]) {
      const pages = allPages(registry, pageSize);
      assert.deepEqual(pages.flat(), keys, `pageSize ${pageSize}`);
      assert.equal(pages.length, Math.ceil(keys.length / pageSize), `pageSize ${pageSize}`);
      for (const page of pages.slice(0, -1)) assert.equal(page.length, pageSize);
    }
  });

  it("page() skips disabled entries", () => {
    const registry = registryOf("a", "b");
    registry.add("c", "c").disable();
    registry.add("d", "d");
    assert.deepEqual(allPages(registry, 2), [["a", "b"], ["d"]]);
  });

  it("page() throws a JsonRpcError -32602 for a cursor that is not a string", () => {
    const registry = registryOf("a", "b", "c");
    for (const cursor of [null, 1, true, {}, [], ["MDox"]]) {
      assertInvalidParams(() => registry.page(cursor, 1), JSON.stringify(cursor));
    }
  });

  it("page() throws a JsonRpcError -32602 for a cursor it did not issue", () => {
    const registry = registryOf("a", "b", "c");
    for (const cursor of ["", "garbage", "!!!", "%%%", "not base64 at all", "MTox", btoa("x:1"), btoa("3:-1"), btoa("1:1")]) {
      assertInvalidParams(() => registry.page(cursor, 1), cursor);
    }
  });

  it("page() throws a JsonRpcError -32602 for a cursor from before a change", () => {
    for (const change of ["add", "disable", "enable", "remove"] as const) {
      const registry = registryOf("a", "b");
      const c = registry.add("c", "c");
      if (change === "enable") c.disable();
      const cursor = registry.page(undefined, 1).nextCursor;
      assert.equal(typeof cursor, "string");
      if (change === "add") registry.add("d", "d");
      else if (change === "enable") c.enable();
      else c[change]();
      assertInvalidParams(() => registry.page(cursor, 1), change);
    }
  });

  it("onChange() fires once, right after the code that made the changes, for a hundred adds in a loop", async () => {
    const registry = new Registry<string>("tool");
    let changes = 0;
    registry.onChange(() => changes++);
    for (let i = 0; i < 100; i++) registry.add(`t${i}`, `t${i}`);
    assert.equal(changes, 0, "not while the loop runs");
    await Promise.resolve();
    assert.equal(changes, 1, "a microtask later: within the request that made the change (a Worker ends its timers with it)");
    await macrotask();
    assert.equal(changes, 1);
  });

  it("onChange() is not even scheduled while nobody would hear of it", async () => {
    const registry = new Registry<string>("tool");
    let heard = false;
    let changes = 0;
    registry.onChange(() => changes++, () => heard);
    registry.add("a", "a");
    await macrotask();
    assert.equal(changes, 0);
    heard = true;
    registry.add("b", "b");
    await macrotask();
    assert.equal(changes, 1);
  });

  it("onChange() fires again for changes in a later macrotask, and calls every listener", async () => {
    const registry = registryOf("a");
    const calls: string[] = [];
    registry.onChange(() => calls.push("first"));
    registry.onChange(() => calls.push("second"));
    const b = registry.add("b", "b");
    await macrotask();
    b.disable();
    b.remove();
    await macrotask();
    assert.deepEqual(calls, ["first", "second", "first", "second"]);
  });
});

describe("Registry cursors", () => {
  it("page() refuses a well-formed cursor whose offset is past the end", () => {
    const registry = new Registry<string>("thing");
    registry.add("a", "a");
    const first = registry.page(undefined, 1);
    assert.equal(first.nextCursor, undefined);
    const forged = btoa("1:99");
    assert.throws(() => registry.page(forged, 1), (e: unknown) => e instanceof JsonRpcError && e.code === ErrorCode.InvalidParams);
  });
});
