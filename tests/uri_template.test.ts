import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseUriTemplate } from "../lib/uri_template.ts";

type Vars = Record<string, string | string[]>;

const MATCHES: [string, string, Vars | undefined, string][] = [
  ["test://template/{id}/data", "test://template/123/data", { id: "123" }, "extracts a simple variable between literals"],
  ["test://template/{id}/data", "test://other/123/data", undefined, "rejects a different literal"],
  ["test://template/{id}/data", "test://template/1/2/data", undefined, "rejects an extra segment in a simple variable"],
  ["test://template/{id}/data", "test://template//data", undefined, "rejects an empty simple variable"],
  ["test://template/{id}/data", "test://template/123/data/", undefined, "rejects trailing text"],
  ["TEST://template/{id}", "test://template/1", undefined, "compares literals case-sensitively"],
  ["file:///{+path}", "file:///a/b/c", { path: "a/b/c" }, "extracts {+path} across slashes"],
  ["file:///{+path}", "file:///", undefined, "rejects an empty {+path}"],
  ["{+base}/x", "a/b/x", { base: "a/b" }, "ends {+var} at the literal that follows it"],
  ["db://{table}/{id}.json", "db://t/a.b.json", { table: "t", id: "a.b" }, "ends {var} at the first occurrence of the following literal"],
  ["repo{/seg*}", "repo/a/b/c", { seg: ["a", "b", "c"] }, "returns an exploded {/seg*} as an array"],
  ["repo{/seg*}", "repo/a", { seg: ["a"] }, "returns a one-segment {/seg*} as a one-item array"],
  ["repo{/seg*}", "repo", undefined, "requires at least one segment for {/seg*}"],
  ["repo{/seg*}/edit", "repo/a/b/edit", { seg: ["a", "b"] }, "stops {/seg*} before a following literal"],
  ["repo{/seg*}/", "repo/a/b/", { seg: ["a", "b"] }, "lets {/seg*} run to a literal that ends the template"],
  ["{+path}.json", "a.json/b.json", { path: "a.json/b" }, "matches a literal that ends the template only at the end"],
  ["x/{+p}/{?q}", "x/a/b/?q=1", { p: "a/b", q: "1" }, "matches a final literal before a parameter list"],
  ["x{/a,b}/{c}", "x/1/2/3", { a: "1", b: "2", c: "3" }, "splits a fixed number of path segments before a literal /"],
  ["{+dir}/{file}", "a/b/c", undefined, "stops {+dir} at the first / when a variable follows (documented limit)"],
  ["repo{/owner,name}", "repo/me/it", { owner: "me", name: "it" }, "extracts several path segments"],
  ["repo{/owner,name}", "repo/me", undefined, "requires every variable of a multi-variable path expression"],
  ["users/{id}{?fields,sort}", "users/7?fields=a,b&sort=asc", { id: "7", fields: "a,b", sort: "asc" }, "extracts both query parameters"],
  ["users/{id}{?fields,sort}", "users/7?sort=asc&fields=name", { id: "7", fields: "name", sort: "asc" }, "extracts reordered query parameters"],
  ["users/{id}{?fields,sort}", "users/7?sort=asc", { id: "7", sort: "asc" }, "leaves out a missing query parameter"],
  ["users/{id}{?fields,sort}", "users/7", { id: "7" }, "matches without a query string"],
  ["users/{id}{?fields,sort}", "users/7?page=2&sort=asc", { id: "7", sort: "asc" }, "ignores unknown query parameters"],
  ["users/{id}{?fields,sort}", "users/7?fields=&sort", { id: "7", fields: "", sort: "" }, "reads empty query values"],
  ["users/{id}{?fields,sort}", "users/7/x?sort=asc", undefined, "rejects a path that does not match before the query"],
  ["search{?q}{&page}", "search?page=2&q=x", { q: "x", page: "2" }, "reads {?q}{&page} as one parameter list"],
  ["search?type=all{&q}", "search?type=all&q=x", { q: "x" }, "reads {&q} after a literal query"],
  ["tags{?tag*}", "tags?tag=a&tag=b", { tag: ["a", "b"] }, "collects an exploded query variable into an array"],
  ["tags{?tag}", "tags?tag=a&tag=b", { tag: "a" }, "keeps the first occurrence of a repeated query variable"],
  ["notes/{id}", "notes/a%20b", { id: "a b" }, "percent-decodes values"],
  ["notes/{id}{?q}", "notes/x?q=%E2%9C%93%26", { id: "x", q: "\u2713&" }, "percent-decodes query values"],
  ["notes/{id}{?q}", "notes/x?q=a+b", { id: "x", q: "a+b" }, "keeps + in query values"],
  ["repo{/seg*}", "repo/a%2Fb/c", { seg: ["a/b", "c"] }, "decodes each exploded item after splitting"],
  ["notes/{id}", "notes/%E0%A4%A", undefined, "treats a malformed percent escape as no match"],
  ["notes/{id}{?q}", "notes/x?q=%zz", undefined, "treats a malformed escape in a query value as no match"],
  ["file{.ext}", "file.json", { ext: "json" }, "extracts a {.ext} label"],
  ["{name}{.ext}", "archive.tar.gz", { name: "archive", ext: "tar.gz" }, "ends {var} before a following {.ext}"],
  ["file{.ext}", "file", undefined, "rejects a missing {.ext} label"],
  ["host{.parts*}", "host.a.b", { parts: ["a", "b"] }, "returns exploded {.parts*} labels as an array"],
  ["page{#frag}", "page#sec/1,2", { frag: "sec/1,2" }, "extracts {#frag} with reserved characters"],
  ["page{#frag}", "page", undefined, "rejects a missing {#frag}"],
  ["doc/{id}{#x,y}", "doc/1#a,b", { id: "1", x: "a", y: "b" }, "splits {#x,y} on commas"],
  ["map{;x,y}", "map;x=1024;y=768", { x: "1024", y: "768" }, "extracts {;x,y} path parameters"],
  ["map{;x,y}", "map;y=768;x", { x: "", y: "768" }, "extracts reordered {;x,y} with an empty value"],
  ["map{;x,y}/end", "map/end", {}, "matches {;x,y} with no parameters"],
  ["map?{x,y}", "map?1024,768", { x: "1024", y: "768" }, "splits {x,y} on commas"],
  ["map?{x,y}", "map?1024", undefined, "requires every variable of {x,y}"],
  ["map?{x,y}", "map?1,2,3", undefined, "rejects surplus items for {x,y}"],
  ["{list*}", "a,b,c", { list: ["a", "b", "c"] }, "returns an exploded simple variable as an array"],
  ["{first,rest*}", "a,b,c", { first: "a", rest: ["b", "c"] }, "gives the surplus items to the exploded variable"],
  ["{id}", "a,b", { id: "a,b" }, "keeps commas in a lone simple variable"],
  ["{id}", "a&b", undefined, "rejects & in a simple variable"],
  ["x/{a}{b}", "x/ab", undefined, "never matches two adjacent expressions"],
  ["x/{__proto__}", "x/1", Object.fromEntries([["__proto__", "1"]]), "returns a variable named __proto__ as an own property"],
  ["my notes/{id}", "my%20notes/1", { id: "1" }, "matches percent-encoded template literals"],
  ["v/{id:3}", "v/abcdef", { id: "abcdef" }, "ignores prefix modifiers"],
  ["{a}/{a}", "x/y", { a: "x" }, "keeps the first value of a repeated variable"],
];

describe("parseUriTemplate()", () => {
  for (const [template, uri, expected, sentence] of MATCHES) {
    it(`match() ${sentence}: ${template} ~ ${uri}`, () => {
      const actual = parseUriTemplate(template).match(uri);
      if (expected === undefined) assert.equal(actual, undefined);
      else assert.deepEqual({ ...actual }, { ...expected });
      if (expected && Object.hasOwn(expected, "__proto__")) assert.ok(Object.hasOwn(actual!, "__proto__"));
    });
  }

  // RFC 6570 §1.2, levels 1–4 (associative-array `keys` examples omitted: unsupported).
  const rfc = { var: "value", hello: "Hello World!", path: "/foo/bar", list: ["red", "green", "blue"], x: "1024", y: "768", empty: "" };
  const EXPANSIONS: [string, string][] = [
    ["{var}", "value"], ["{hello}", "Hello%20World%21"],
    ["{+var}", "value"], ["{+hello}", "Hello%20World!"], ["{+path}/here", "/foo/bar/here"], ["here?ref={+path}", "here?ref=/foo/bar"],
    ["X{#var}", "X#value"], ["X{#hello}", "X#Hello%20World!"],
    ["map?{x,y}", "map?1024,768"], ["{x,hello,y}", "1024,Hello%20World%21,768"],
    ["{+x,hello,y}", "1024,Hello%20World!,768"], ["{+path,x}/here", "/foo/bar,1024/here"],
    ["{#x,hello,y}", "#1024,Hello%20World!,768"], ["{#path,x}/here", "#/foo/bar,1024/here"],
    ["X{.var}", "X.value"], ["X{.x,y}", "X.1024.768"], ["{/var}", "/value"], ["{/var,x}/here", "/value/1024/here"],
    ["{;x,y}", ";x=1024;y=768"], ["{;x,y,empty}", ";x=1024;y=768;empty"],
    ["{?x,y}", "?x=1024&y=768"], ["{?x,y,empty}", "?x=1024&y=768&empty="],
    ["?fixed=yes{&x}", "?fixed=yes&x=1024"], ["{&x,y,empty}", "&x=1024&y=768&empty="],
    ["{var:3}", "val"], ["{var:30}", "value"], ["{list}", "red,green,blue"], ["{list*}", "red,green,blue"],
    ["{+path:6}/here", "/foo/b/here"], ["{+list}", "red,green,blue"], ["{+list*}", "red,green,blue"],
    ["{#path:6}/here", "#/foo/b/here"], ["{#list}", "#red,green,blue"], ["{#list*}", "#red,green,blue"],
    ["X{.var:3}", "X.val"], ["X{.list}", "X.red,green,blue"], ["X{.list*}", "X.red.green.blue"],
    ["{/var:1,var}/here", "/v/value/here"], ["{/list}", "/red,green,blue"], ["{/list*}", "/red/green/blue"],
    ["{/list*,path:4}", "/red/green/blue/%2Ffoo"], ["{;hello:5}", ";hello=Hello"], ["{;list}", ";list=red,green,blue"],
    ["{;list*}", ";list=red;list=green;list=blue"], ["{?var:3}", "?var=val"], ["{?list}", "?list=red,green,blue"],
    ["{?list*}", "?list=red&list=green&list=blue"], ["{&var:3}", "&var=val"], ["{&list}", "&list=red,green,blue"],
    ["{&list*}", "&list=red&list=green&list=blue"],
    // §3.2: undefined variables are omitted, empty strings are not.
    ["{x,empty}", "1024,"], ["{x,undef}", "1024"], ["{undef}", ""], ["{?undef}", ""], ["{/undef,x}", "/1024"],
  ];
  for (const [template, expected] of EXPANSIONS) {
    it(`expand() follows RFC 6570: ${template} → ${expected}`, () => {
      assert.equal(parseUriTemplate(template).expand(rfc), expected);
    });
  }

  it("expand() percent-encodes everything but unreserved characters in {var}", () => {
    assert.equal(parseUriTemplate("{v}").expand({ v: "a/b?c#d&e=f é!*'()~._-" }), "a%2Fb%3Fc%23d%26e%3Df%20%C3%A9%21%2A%27%28%29~._-");
  });
  it("expand() keeps reserved characters and %XX triplets in {+var} but encodes a lone %", () => {
    assert.equal(parseUriTemplate("{+v}").expand({ v: "a/b?c#d %41 100% é" }), "a/b?c#d%20%41%20100%25%20%C3%A9");
  });
  it("expand() stringifies numbers and booleans and omits empty lists", () => {
    assert.equal(parseUriTemplate("x{?n,b,l}").expand({ n: 1.5, b: false, l: [] }), "x?n=1.5&b=false");
  });
  it("expand() counts prefix lengths in code points", () => {
    assert.equal(parseUriTemplate("{v:2}").expand({ v: "😀😀😀" }), "%F0%9F%98%80%F0%9F%98%80");
  });
  it("expand() ignores inherited properties of the values object", () => {
    assert.equal(parseUriTemplate("{toString}").expand({}), "");
  });
  it("expand() throws TypeError for an object value", () => {
    assert.throws(() => parseUriTemplate("{v}").expand({ v: { a: "1" } as unknown as string }), TypeError);
  });
  it("expand() encodes characters that a URI cannot hold in literals", () => {
    assert.equal(parseUriTemplate("my notes/{id}").expand({ id: "1" }), "my%20notes/1");
  });

  const ROUND_TRIPS: [string, Record<string, string | string[]>][] = [
    ["test://{a}/{+b}{?c,d}{#e}", { a: "x y/z", b: "p/q r", c: "1&2=3", d: "", e: "f#g" }],
    ["x{/seg*}{.ext}", { seg: ["a b", "c,d", "é"], ext: "json" }],
    ["x{;p,q}/{r}", { p: "1;2", q: "", r: "?" }],
  ];
  for (const [template, values] of ROUND_TRIPS) {
    it(`match() inverts expand() for ${template}`, () => {
      const t = parseUriTemplate(template);
      assert.deepEqual({ ...t.match(t.expand(values)) }, values);
    });
  }

  it("variables lists each name once in order of appearance", () => {
    assert.deepEqual(parseUriTemplate("{/a}/{b,a}{?c*}{&d:2}").variables, ["a", "b", "c", "d"]);
    assert.equal(parseUriTemplate("users/{id}").template, "users/{id}");
  });

  const ERRORS: [string, string][] = [
    ["x{", 'Cannot parse URI template "x{": unclosed expression at 1'],
    ["x}", 'Cannot parse URI template "x}": unexpected "}" at 1'],
    ["{}", 'Cannot parse URI template "{}": empty expression at 0'],
    ["a{=x}", 'Cannot parse URI template "a{=x}": reserved operator "=" at 2'],
    ["{x,y-z}", 'Cannot parse URI template "{x,y-z}": invalid variable "y-z" at 3'],
    ["{+}", 'Cannot parse URI template "{+}": invalid variable "" at 2'],
    ["{x,}", 'Cannot parse URI template "{x,}": invalid variable "" at 3'],
    ["{a{b}", 'Cannot parse URI template "{a{b}": invalid variable "a{b" at 1'],
    ["{x:0}", 'Cannot parse URI template "{x:0}": invalid variable "x:0" at 1'],
    ["{x:10000}", 'Cannot parse URI template "{x:10000}": invalid variable "x:10000" at 1'],
    ["{x*:3}", 'Cannot parse URI template "{x*:3}": invalid variable "x*:3" at 1'],
    ["{a..b}", 'Cannot parse URI template "{a..b}": invalid variable "a..b" at 1'],
  ];
  for (const [template, message] of ERRORS) {
    it(`throws TypeError for the malformed template ${template}`, () => {
      assert.throws(() => parseUriTemplate(template), { name: "TypeError", message });
    });
  }
  it("accepts dotted and percent-encoded variable names", () => {
    assert.deepEqual(parseUriTemplate("{a.b,%41_1}").variables, ["a.b", "%41_1"]);
  });

  it("match() stays fast on 50,000-character URIs that almost match (no ReDoS)", () => {
    const cases: [string, string][] = [
      ["x://{a}-{b}-{c}/end", `x://${"a-".repeat(25_000)}/nope`],
      ["x://{a}.{b}.{c}{?q,r}", `x://${"a.".repeat(25_000)}?q=1#`],
      ["x://{+a}/{+b}/{+c}.json", `x://${"a/".repeat(25_000)}.jsonx`],
      ["x:{/a*}{/b*}/end", `x:${"/a".repeat(25_000)}/en`],
      ["x:{#a,b,c}!", `x:#${",".repeat(50_000)}`],
      ["x:{;a,b}{?c}", `x:${";a=".repeat(16_000)}/`],
    ];
    for (const [template, uri] of cases) {
      const t = parseUriTemplate(template);
      const start = performance.now();
      assert.equal(t.match(uri), undefined);
      const elapsed = performance.now() - start;
      assert.ok(elapsed < 200, `${template} took ${elapsed.toFixed(1)} ms`);
    }
  });
});
