import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Router } from "../lib/router.ts";

/** Builds a router from `[method, path]` pairs, each routed to "METHOD path". */
function routerOf(...routes: [string, string][]): Router<string> {
  const router = new Router<string>();
  for (const [method, path] of routes) router.add(method, path, `${method} ${path}`);
  return router;
}

describe("Router", () => {
  it("match() returns the value and empty params for a static path", () => {
    const router = routerOf(["GET", "/sse"], ["POST", "/messages"]);
    assert.deepEqual(router.match("GET", "/sse"), { status: 200, value: "GET /sse", params: {} });
    assert.deepEqual(router.match("POST", "/messages"), { status: 200, value: "POST /messages", params: {} });
  });

  it("match() serves the root path", () => {
    const router = routerOf(["GET", "/"]);
    assert.deepEqual(router.match("GET", "/"), { status: 200, value: "GET /", params: {} });
  });

  it("match() names each :param segment in params", () => {
    const router = routerOf(["GET", "/users/:user/posts/:post"]);
    assert.deepEqual(router.match("GET", "/users/ada/posts/7"), {
      status: 200,
      value: "GET /users/:user/posts/:post",
      params: { user: "ada", post: "7" },
    });
  });

  it("match() prefers a static segment over a :param, whatever the registration order", () => {
    for (const router of [
      routerOf(["GET", "/users/:id"], ["GET", "/users/me"]),
      routerOf(["GET", "/users/me"], ["GET", "/users/:id"]),
    ]) {
      assert.deepEqual(router.match("GET", "/users/me"), { status: 200, value: "GET /users/me", params: {} });
      assert.deepEqual(router.match("GET", "/users/42"), { status: 200, value: "GET /users/:id", params: { id: "42" } });
    }
  });

  it("match() prefers the :param route whose static segment comes first, whatever the registration order", () => {
    for (const router of [
      routerOf(["GET", "/users/:id/posts"], ["GET", "/users/me/:tab"], ["GET", "/:kind/:id/:tab"]),
      routerOf(["GET", "/:kind/:id/:tab"], ["GET", "/users/me/:tab"], ["GET", "/users/:id/posts"]),
    ]) {
      assert.deepEqual(router.match("GET", "/users/me/posts"), {
        status: 200,
        value: "GET /users/me/:tab",
        params: { tab: "posts" },
      });
      assert.deepEqual(router.match("GET", "/users/42/posts"), {
        status: 200,
        value: "GET /users/:id/posts",
        params: { id: "42" },
      });
      assert.deepEqual(router.match("GET", "/teams/42/posts"), {
        status: 200,
        value: "GET /:kind/:id/:tab",
        params: { kind: "teams", id: "42", tab: "posts" },
      });
    }
  });

  it("match() decodes percent-encoded params", () => {
    const router = routerOf(["GET", "/files/:name"]);
    assert.deepEqual(router.match("GET", "/files/a%20b%2Fc"), {
      status: 200,
      value: "GET /files/:name",
      params: { name: "a b/c" },
    });
    assert.deepEqual(router.match("GET", "/files/caf%C3%A9"), {
      status: 200,
      value: "GET /files/:name",
      params: { name: "café" },
    });
  });

  it("match() treats malformed percent-encoding in a param as no match", () => {
    const router = routerOf(["GET", "/files/:name"]);
    for (const path of ["/files/%", "/files/%zz", "/files/%E0%A4%A", "/files/%C3"]) {
      assert.deepEqual(router.match("GET", path), { status: 404 }, path);
    }
  });

  it("match() ignores a trailing slash and repeated slashes", () => {
    const router = routerOf(["GET", "/sse"], ["GET", "/users/:id"], ["GET", "/docs/"]);
    for (const path of ["/sse/", "//sse", "/sse//", "sse"]) {
      assert.deepEqual(router.match("GET", path), { status: 200, value: "GET /sse", params: {} }, path);
    }
    for (const path of ["/users/42/", "//users//42"]) {
      assert.deepEqual(router.match("GET", path), { status: 200, value: "GET /users/:id", params: { id: "42" } }, path);
    }
    assert.deepEqual(router.match("GET", "/docs"), { status: 200, value: "GET /docs/", params: {} });
  });

  it("match() returns 404 when no route has the path", () => {
    const router = routerOf(["GET", "/users/:id"], ["GET", "/sse"]);
    for (const path of ["/", "/users", "/users/42/extra", "/ss", "/sse/x"]) {
      assert.deepEqual(router.match("GET", path), { status: 404 }, path);
    }
    assert.deepEqual(new Router<string>().match("GET", "/"), { status: 404 });
  });

  it("match() returns 405 with every registered method, in registration order, when the path exists", () => {
    const router = routerOf(["POST", "/mcp"], ["GET", "/mcp"], ["DELETE", "/mcp"]);
    assert.deepEqual(router.match("PUT", "/mcp"), { status: 405, allow: ["POST", "GET", "DELETE", "HEAD"] });
    const dynamic = routerOf(["DELETE", "/sessions/:id"], ["PATCH", "/sessions/:id"]);
    assert.deepEqual(dynamic.match("GET", "/sessions/1"), { status: 405, allow: ["DELETE", "PATCH"] });
  });

  it("match() lets HEAD fall back to GET and adds HEAD to allow", () => {
    const router = routerOf(["GET", "/sse"]);
    assert.deepEqual(router.match("HEAD", "/sse"), { status: 200, value: "GET /sse", params: {} });
    assert.deepEqual(router.match("POST", "/sse"), { status: 405, allow: ["GET", "HEAD"] });
  });

  it("match() prefers an explicit HEAD route and lists HEAD once", () => {
    const router = routerOf(["HEAD", "/sse"], ["GET", "/sse"]);
    assert.deepEqual(router.match("HEAD", "/sse"), { status: 200, value: "HEAD /sse", params: {} });
    assert.deepEqual(router.match("POST", "/sse"), { status: 405, allow: ["HEAD", "GET"] });
  });

  it("match() does not allow HEAD on a path without GET", () => {
    const router = routerOf(["POST", "/messages"]);
    assert.deepEqual(router.match("HEAD", "/messages"), { status: 405, allow: ["POST"] });
  });

  it("match() lets a * route answer any method, after an exact method", () => {
    const router = routerOf(["*", "/any"], ["GET", "/any"], ["*", "/items/:id"]);
    assert.deepEqual(router.match("GET", "/any"), { status: 200, value: "GET /any", params: {} });
    assert.deepEqual(router.match("HEAD", "/any"), { status: 200, value: "GET /any", params: {} });
    for (const method of ["POST", "DELETE", "PATCH", "OPTIONS"]) {
      assert.deepEqual(router.match(method, "/any"), { status: 200, value: "* /any", params: {} }, method);
    }
    assert.deepEqual(router.match("PUT", "/items/3"), { status: 200, value: "* /items/:id", params: { id: "3" } });
  });

  it("add() upper-cases the method", () => {
    const router = routerOf(["post", "/messages"]);
    assert.deepEqual(router.match("POST", "/messages"), { status: 200, value: "post /messages", params: {} });
  });

  it("add() returns the router, so calls chain", () => {
    const router = new Router<string>();
    assert.equal(router.add("GET", "/a", "a").add("GET", "/b", "b"), router);
    assert.equal(router.match("GET", "/b").status, 200);
  });

  it("add() throws a TypeError when the same method and path are added twice", () => {
    const router = routerOf(["GET", "/sse"], ["GET", "/users/:id"]);
    assert.throws(() => router.add("GET", "/sse", "again"), { name: "TypeError", message: /^Cannot add route GET \/sse/ });
    assert.throws(() => router.add("get", "/sse/", "again"), TypeError);
    assert.throws(() => router.add("GET", "/users/:id", "again"), TypeError);
    router.add("POST", "/sse", "another method is fine");
    assert.deepEqual(router.match("GET", "/sse"), { status: 200, value: "GET /sse", params: {} });
  });
});

describe("Router across static and :param routes", () => {
  it("match() falls through to a :param route that has the method a static path lacks", () => {
    const router = new Router<string>();
    router.add("GET", "/users/me", "me");
    router.add("DELETE", "/users/:id", "delete");
    assert.deepEqual(router.match("DELETE", "/users/me"), { status: 200, value: "delete", params: { id: "me" } });
    assert.deepEqual(router.match("GET", "/users/me"), { status: 200, value: "me", params: {} });
    assert.deepEqual(router.match("POST", "/users/me"), { status: 405, allow: ["GET", "DELETE", "HEAD"] });
  });

  it("match() prefers the :param route that has the method", () => {
    const router = new Router<string>();
    router.add("GET", "/a/:x", "get x");
    router.add("POST", "/:y/b", "post y");
    assert.deepEqual(router.match("POST", "/a/b"), { status: 200, value: "post y", params: { y: "a" } });
  });
});
