import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode, HttpError, httpError, JsonRpcError } from "../lib/errors.ts";
import { classify, failure, parseJson, success } from "../lib/jsonrpc.ts";

/** `[what the input is, the input, the expected kind, for invalid ones the id reported]`. */
type Row = [string, unknown, "request" | "notification" | "response" | "invalid", (string | number | null)?];

const rows: Row[] = [
  ["a request with a number id", { jsonrpc: "2.0", id: 1, method: "ping" }, "request"],
  ["a request with a string id", { jsonrpc: "2.0", id: "a-1", method: "ping" }, "request"],
  ["a request with id 0", { jsonrpc: "2.0", id: 0, method: "ping" }, "request"],
  ["a request with an empty string id", { jsonrpc: "2.0", id: "", method: "ping" }, "request"],
  // JSON-RPC 2.0 §4: numbers SHOULD NOT have fractional parts; not MUST, so a float id is accepted and echoed.
  ["a request with a float id", { jsonrpc: "2.0", id: 1.5, method: "ping" }, "request"],
  ["a request with object params", { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } }, "request"],
  ["a notification", { jsonrpc: "2.0", method: "notifications/initialized" }, "notification"],
  ["a notification with params", { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } }, "notification"],
  ["a success response", { jsonrpc: "2.0", id: 1, result: {} }, "response"],
  ["an error response", { jsonrpc: "2.0", id: "x", error: { code: -32601, message: "nope" } }, "response"],
  ["an error response with id null", { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }, "response"],
  ["a request with id null (MCP: ids are never null)", { jsonrpc: "2.0", id: null, method: "ping" }, "invalid", null],
  ["a request with an object id", { jsonrpc: "2.0", id: { n: 1 }, method: "ping" }, "invalid", null],
  ["a request with a boolean id", { jsonrpc: "2.0", id: true, method: "ping" }, "invalid", null],
  ["a request without jsonrpc", { id: 3, method: "ping" }, "invalid", 3],
  ["a request with jsonrpc 1.0", { jsonrpc: "1.0", id: "q", method: "ping" }, "invalid", "q"],
  ["a request with jsonrpc as the number 2", { jsonrpc: 2, id: 4, method: "ping" }, "invalid", 4],
  ["a request with array params (MCP params are objects)", { jsonrpc: "2.0", id: 5, method: "ping", params: [1, 2] }, "invalid", 5],
  ["a request with null params", { jsonrpc: "2.0", id: 6, method: "ping", params: null }, "invalid", 6],
  ["a request with string params", { jsonrpc: "2.0", id: 7, method: "ping", params: "x" }, "invalid", 7],
  ["a request with a number method", { jsonrpc: "2.0", id: 8, method: 42 }, "invalid", 8],
  ["a notification with a null method", { jsonrpc: "2.0", method: null }, "invalid", null],
  ["a response whose result is a number", { jsonrpc: "2.0", id: 9, result: 5 }, "invalid", 9],
  ["a response whose result is an array", { jsonrpc: "2.0", id: 10, result: [] }, "invalid", 10],
  ["a response whose result is null", { jsonrpc: "2.0", id: 11, result: null }, "invalid", 11],
  ["a response whose error is a string", { jsonrpc: "2.0", id: 12, error: "bad" }, "invalid", 12],
  ["a response with an object id", { jsonrpc: "2.0", id: {}, result: {} }, "invalid", null],
  ["a response without an id", { jsonrpc: "2.0", result: {} }, "invalid", null],
  ["an object with neither method, result nor error", { jsonrpc: "2.0", id: 13 }, "invalid", 13],
  ["an empty object", {}, "invalid", null],
  ["an array (a batch)", [{ jsonrpc: "2.0", id: 1, method: "ping" }], "invalid", null],
  ["null", null, "invalid", null],
  ["a string", "ping", "invalid", null],
  ["a number", 1, "invalid", null],
];

describe("classify()", () => {
  for (const [what, input, kind, id] of rows) {
    it(`classify() sees ${what} as ${kind === "invalid" ? "invalid" : `a ${kind}`}`, () => {
      const classified = classify(input);
      assert.equal(classified.kind, kind);
      if (classified.kind === "invalid") {
        assert.equal(classified.id, id);
        assert.ok(classified.error instanceof JsonRpcError);
        assert.equal(classified.error.code, ErrorCode.InvalidRequest);
        assert.match(classified.error.message, /^Invalid (request|response): /);
      } else {
        assert.equal(classified.message, input);
      }
    });
  }

  // JSON-RPC 2.0 §5: "Either the result member or error member MUST be included, but both members MUST NOT be included."
  it("classify() sees a response with both result and error as invalid", () => {
    const classified = classify({ jsonrpc: "2.0", id: 1, result: {}, error: { code: -32603, message: "x" } });
    assert.equal(classified.kind, "invalid");
  });

  // JSON-RPC 2.0 §5: id is null only "if there was an error in detecting the id", which a success cannot be.
  it("classify() sees a success response with id null as invalid", () => {
    const classified = classify({ jsonrpc: "2.0", id: null, result: {} });
    assert.equal(classified.kind, "invalid");
  });
});

describe("parseJson()", () => {
  it("parseJson() returns the parsed value of a JSON text", () => {
    assert.deepEqual(parseJson('{"jsonrpc":"2.0","id":1,"method":"ping"}'), { jsonrpc: "2.0", id: 1, method: "ping" });
    assert.equal(parseJson("null"), null);
  });

  it("parseJson() throws a JsonRpcError -32700 for text that is not JSON", () => {
    for (const text of ["", "{", "{'a':1}", "[1,]", "undefined", '{"a":1}x']) {
      assert.throws(() => parseJson(text), (error: unknown) => {
        assert.ok(error instanceof JsonRpcError, JSON.stringify(text));
        assert.equal(error.code, ErrorCode.ParseError);
        assert.equal(error.code, -32700);
        assert.match(error.message, /^Parse error/);
        return true;
      });
    }
  });
});

describe("success() and failure()", () => {
  it("success() builds a result response with the id", () => {
    assert.deepEqual(success(7, { ok: true }), { jsonrpc: "2.0", id: 7, result: { ok: true } });
  });

  it("failure() sends a JsonRpcError's code, message and data as they are", () => {
    const error = new JsonRpcError(ErrorCode.InvalidParams, 'Unknown tool "nope"', { name: "nope" });
    assert.deepEqual(failure("r1", error), {
      jsonrpc: "2.0",
      id: "r1",
      error: { code: -32602, message: 'Unknown tool "nope"', data: { name: "nope" } },
    });
  });

  it("failure() keeps id null for a request whose id could not be read", () => {
    assert.deepEqual(failure(null, new JsonRpcError(-32700, "Parse error")), {
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error" },
    });
  });

  it("failure() hides anything that is not a JsonRpcError as -32603 Internal error with no data", () => {
    const secret = Object.assign(new Error("ENOENT: /etc/secret"), { code: -32602, data: { path: "/etc/secret" } });
    const thrown: unknown[] = [
      secret,
      new TypeError("x is not a function"),
      new HttpError(404, new JsonRpcError(-32601, "nope")),
      "a string",
      { code: -32602, message: "looks like one" },
      undefined,
    ];
    for (const error of thrown) {
      const response = failure(1, error);
      assert.deepEqual(response, { jsonrpc: "2.0", id: 1, error: { code: -32603, message: "Internal error" } });
      assert.equal("data" in response.error, false);
    }
  });
});

describe("JsonRpcError", () => {
  it("JsonRpcError is an Error with a name, code, message and data", () => {
    const error = new JsonRpcError(ErrorCode.ResourceNotFound, "Resource not found", { uri: "file:///x" });
    assert.ok(error instanceof Error);
    assert.equal(error.name, "JsonRpcError");
    assert.equal(error.code, -32002);
    assert.equal(error.message, "Resource not found");
    assert.deepEqual(error.data, { uri: "file:///x" });
  });

  it("toJSON() leaves out data when there is none", () => {
    const json = new JsonRpcError(ErrorCode.MethodNotFound, "Method not found").toJSON();
    assert.deepEqual(json, { code: -32601, message: "Method not found" });
    assert.equal("data" in json, false);
    assert.equal(JSON.stringify(new JsonRpcError(-32601, "Method not found")), '{"code":-32601,"message":"Method not found"}');
  });

  it("toJSON() includes data when there is some, even null or zero", () => {
    assert.deepEqual(new JsonRpcError(-32602, "Bad", { at: "/a" }).toJSON(), { code: -32602, message: "Bad", data: { at: "/a" } });
    assert.deepEqual(new JsonRpcError(-32602, "Bad", null).toJSON(), { code: -32602, message: "Bad", data: null });
    assert.deepEqual(new JsonRpcError(-32602, "Bad", 0).toJSON(), { code: -32602, message: "Bad", data: 0 });
  });

  it("ErrorCode holds the JSON-RPC and MCP codes", () => {
    assert.deepEqual(
      [ErrorCode.ParseError, ErrorCode.InvalidRequest, ErrorCode.MethodNotFound, ErrorCode.InvalidParams, ErrorCode.InternalError],
      [-32700, -32600, -32601, -32602, -32603],
    );
    assert.equal(ErrorCode.ResourceNotFound, -32002);
    assert.equal(ErrorCode.UrlElicitationRequired, -32042);
  });
});

describe("HttpError", () => {
  it("HttpError carries the status, the JSON-RPC error, the headers and its message", () => {
    const rpc = new JsonRpcError(ErrorCode.InvalidRequest, "Method not allowed");
    const error = new HttpError(405, rpc, { allow: "GET, HEAD" });
    assert.ok(error instanceof Error);
    assert.equal(error.name, "HttpError");
    assert.equal(error.status, 405);
    assert.equal(error.rpc, rpc);
    assert.deepEqual(error.headers, { allow: "GET, HEAD" });
    assert.equal(error.message, "Method not allowed");
  });

  it("HttpError without a JSON-RPC error has no rpc, no headers and says the status", () => {
    const error = new HttpError(204);
    assert.equal(error.status, 204);
    assert.equal(error.rpc, undefined);
    assert.deepEqual(error.headers, {});
    assert.equal(error.message, "HTTP 204");
  });

  it("httpError() builds an HttpError whose body is a JSON-RPC error", () => {
    const error = httpError(413, ErrorCode.InvalidRequest, "Body too large", { connection: "close" });
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 413);
    assert.ok(error.rpc instanceof JsonRpcError);
    assert.deepEqual(error.rpc.toJSON(), { code: -32600, message: "Body too large" });
    assert.deepEqual(error.headers, { connection: "close" });
    assert.equal(error.message, "Body too large");
    assert.deepEqual(httpError(400, -32700, "Parse error").headers, {});
  });
});
