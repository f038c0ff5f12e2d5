/**
 * The playground: one self-contained HTML page (plain DOM script and CSS, no
 * build step, no CDN) for trying a server by hand. It connects over HTTP+SSE
 * (`{base}/sse`), shows every event as it arrives, lists tools, resources and
 * prompts, calls tools through forms built from their `inputSchema` (with
 * progress bars and log lines), and answers `elicitation/create` with a form
 * built from `requestedSchema`.
 *
 * Everything the server sends reaches the DOM through `textContent`,
 * `append(string)` or `setAttribute`, never as markup; images and audio use
 * `data:` URLs only after their MIME type and base64 are checked. The page is
 * kept in a TS module rather than a file so it bundles and needs no file-read
 * permission under Deno.
 *
 * @module
 */
import { ErrorCode, httpError } from "./errors.ts";
import { isLoopbackAddress } from "./guard.ts";
import { byteLength, sendError } from "./http.ts";
import type { HttpRequest, HttpResponse } from "./http.ts";

/** The `playground` option of `createServer()`, in its object form. */
export interface PlaygroundOptions {
  /** Where the page is served. Default: the `basePath`, or `/`. */
  path?: string;
  /** Serve it to requests that arrived on a non-loopback address too. Default false. */
  public?: boolean;
}

/** Escapes a string for an HTML attribute value (or text). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Serves the page, or the router's own 404 when the request arrived on a
 * non-loopback address and the page is not `public`: the check runs per
 * request, so a server bound to `0.0.0.0` shows it on 127.0.0.1 only.
 *
 * Each response carries a fresh CSP nonce: only the page's own script and
 * style run, it may connect to its own origin only, and images and audio
 * must be `data:` URLs.
 *
 * @param req the request (`GET` or `HEAD`)
 * @param res the response
 * @param options `basePath`, injected into the page for `/sse`; `public`
 *
 * @example
 * ```ts
 * http.createServer((req, res) => servePlayground(req, res, { basePath: "/tools" }));
 * ```
 */
export function servePlayground(
  req: HttpRequest,
  res: HttpResponse,
  options: { basePath?: string; public?: boolean } = {},
): void {
  if (!options.public && !isLoopbackAddress(req.socket?.localAddress)) {
    const path = (req.url ?? "/").split("?")[0];
    sendError(res, httpError(404, ErrorCode.InvalidRequest, `Not found: ${req.method} ${path}`));
    return;
  }
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const body = PLAYGROUND_HTML.replaceAll("{{nonce}}", nonce).replace("{{base}}", escapeHtml(options.basePath ?? ""));
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": byteLength(body),
    "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
      "connect-src 'self'; img-src data:; media-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/**
 * The page. `{{nonce}}` and `{{base}}` are filled in per response by
 * {@linkcode servePlayground}. Written with `String.raw` so the script's
 * backslashes stay as written; the script therefore uses no template literals.
 */
export const PLAYGROUND_HTML: string = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="emcee-base" content="{{base}}">
<link rel="icon" href="data:,">
<title>emcee playground</title>
<style nonce="{{nonce}}">
:root { color-scheme: light dark; --bg: #f5f6f8; --card: #fff; --fg: #1d2330; --muted: #667085; --line: #e1e4ea;
  --accent: #2f6fde; --err: #c2352b; --errbg: #fdeeec; --ok: #1f8a4c; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171c; --card: #1c2027; --fg: #e6e8ec; --muted: #98a2b3;
  --line: #2d333d; --accent: #6ea0ff; --err: #ff7b72; --errbg: #3a1f1f; --ok: #56d364; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 12px; align-items: baseline; padding: 10px 20px; background: var(--card);
  border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 2; }
h1 { font-size: 16px; margin: 0; }
h2 { font-size: 12px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
h3 { font-size: 14px; margin: 0 0 6px; }
#status { margin-left: auto; font-size: 12px; padding: 1px 10px; border-radius: 10px; background: var(--line); }
#status.ok { background: var(--ok); color: #fff; } #status.error { background: var(--err); color: #fff; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; padding: 16px 20px; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin-bottom: 16px; }
#log-section { position: sticky; top: 60px; align-self: start; }
#log { max-height: calc(100vh - 130px); overflow: auto; font: 12px/1.4 ui-monospace, monospace; }
.entry summary { cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding: 1px 0; }
.entry.in .dir { color: var(--ok); } .entry.out .dir { color: var(--accent); }
.hint, .time { color: var(--muted); font-size: 12px; }
details.item { border: 1px solid var(--line); border-radius: 8px; margin: 6px 0; }
details.item > summary { padding: 7px 10px; cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
summary .hint { margin-left: 8px; }
details.item[open] > summary { border-bottom: 1px solid var(--line); }
.body { padding: 8px 10px 10px; }
.field { display: grid; grid-template-columns: 180px minmax(0, 1fr); gap: 10px; align-items: start; margin: 6px 0; }
.field > span { padding-top: 5px; } .field .hint { display: block; }
.req { color: var(--err); } .choices label { margin-right: 14px; }
input, select, textarea { font: inherit; padding: 5px 7px; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: inherit; width: 100%; }
input[type=checkbox] { width: auto; margin-top: 8px; justify-self: start; }
textarea { font: 12px ui-monospace, monospace; min-height: 64px; }
button { font: inherit; padding: 4px 14px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent);
  color: #fff; cursor: pointer; margin: 4px 6px 0 0; }
button.secondary { background: transparent; color: var(--accent); }
button.small { padding: 1px 8px; font-size: 12px; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--bg); padding: 7px 9px; border-radius: 6px;
  margin: 6px 0; font: 12px/1.4 ui-monospace, monospace; }
.call { margin-top: 10px; border-top: 1px dashed var(--line); padding-top: 8px; }
.result.error { border-left: 3px solid var(--err); background: var(--errbg); padding: 4px 8px; border-radius: 4px; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; color: #fff; background: var(--err); border-radius: 4px; padding: 0 6px; }
progress { width: 100%; height: 10px; }
.logline { font: 12px ui-monospace, monospace; color: var(--muted); }
.row { padding: 6px 0; border-bottom: 1px solid var(--line); } .row:last-child { border-bottom: 0; }
.ask { border: 2px solid var(--accent); border-radius: 10px; padding: 10px 12px; margin-bottom: 10px; scroll-margin-top: 60px; }
#asks { padding: 0; border: 0; background: none; } #asks:empty { display: none; }
.ask { background: var(--card); }
img { max-width: 100%; image-rendering: pixelated; border: 1px solid var(--line); min-width: 32px; }
</style>
</head>
<body>
<header><h1>emcee playground</h1><span id="server" class="hint"></span><span id="status">connecting…</span></header>
<main>
  <div>
    <section id="asks" aria-live="polite"></section>
    <p id="instructions" class="hint" hidden></p>
    <section><h2>Tools</h2><div id="tools" class="hint">none</div></section>
    <section><h2>Resources</h2><div id="resources" class="hint">none</div></section>
    <section><h2>Prompts</h2><div id="prompts" class="hint">none</div></section>
  </div>
  <section id="log-section"><h2>Live log <button type="button" class="small secondary" id="clear">clear</button></h2><div id="log"></div></section>
</main>
<script nonce="{{nonce}}">
"use strict";
const base = document.querySelector("meta[name=emcee-base]").content;
const $ = (selector) => document.querySelector(selector);
let endpoint = null;
let nextId = 1;
const pending = new Map();   // request id -> { resolve, reject }
const onProgress = new Map(); // progress token -> function
const running = [];           // tool calls in flight, newest last: they show log lines

// Builds an element. Children are appended as nodes or as text: never parsed as HTML.
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key.startsWith("data-")) el.setAttribute(key, String(value));
    else el[key] = value;
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false && child !== "") el.append(child);
  }
  return el;
}
const str = (value) => typeof value === "string" ? value : JSON.stringify(value);

function setStatus(text, kind) {
  $("#status").textContent = text;
  $("#status").className = kind || "";
}

function log(dir, label, data) {
  const box = $("#log");
  const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  let pretty = data;
  let summary = data;
  try {
    const msg = JSON.parse(data);
    pretty = JSON.stringify(msg, null, 2);
    summary = msg.method || (msg.error ? "error #" + msg.id : "result #" + msg.id);
  } catch {}
  box.append(h("details", { class: "entry " + dir, "data-event": label },
    h("summary", null, h("span", { class: "time" }, new Date().toLocaleTimeString()), " ",
      h("span", { class: "dir" }, dir === "in" ? "↓ " + label : "↑ sent"), " ", summary),
    h("pre", null, pretty)));
  while (box.children.length > 500) box.firstElementChild.remove();
  if (atEnd) box.scrollTop = box.scrollHeight;
}

// --- JSON-RPC over HTTP+SSE ------------------------------------------------
function connect() {
  const events = new EventSource(base + "/sse");
  events.addEventListener("endpoint", (e) => {
    log("in", "endpoint", e.data);
    const url = new URL(e.data, location.href);
    if (url.origin !== location.origin) return setStatus("refused an endpoint on another origin", "error");
    endpoint = url.href;
    initialize().catch((err) => setStatus("initialize failed: " + err.message, "error"));
  });
  events.addEventListener("message", (e) => {
    log("in", "message", e.data);
    try {
      receive(JSON.parse(e.data));
    } catch (err) {
      console.warn("bad message", err);
    }
  });
  events.onerror = () => {
    setStatus(events.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…", "error");
    for (const { reject } of pending.values()) reject(new Error("the connection was lost"));
    pending.clear();
  };
}

async function post(message) {
  const body = JSON.stringify(message);
  log("out", "post", body);
  const res = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body });
  if (!res.ok) throw new Error("POST answered " + res.status + ": " + (await res.text()).slice(0, 300));
}

function request(method, params) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    post({ jsonrpc: "2.0", id, method, params }).catch((err) => {
      pending.delete(id);
      reject(err);
    });
  });
}

function receive(msg) {
  if (msg.method === undefined) {
    const waiting = pending.get(msg.id);
    if (!waiting) return;
    pending.delete(msg.id);
    if (msg.error) waiting.reject(Object.assign(new Error(str(msg.error.message)), { code: msg.error.code, data: msg.error.data }));
    else waiting.resolve(msg.result || {});
  } else if (msg.id !== undefined) {
    answer(msg);
  } else {
    notified(msg.method, msg.params || {});
  }
}

function notified(method, params) {
  if (method === "notifications/progress") onProgress.get(params.progressToken)?.(params);
  else if (method === "notifications/message") running[running.length - 1]?.log(params);
  else if (method === "notifications/tools/list_changed") listTools();
  else if (method === "notifications/resources/list_changed") listResources();
  else if (method === "notifications/prompts/list_changed") listPrompts();
}

function answer(msg) {
  const reply = (result) => post({ jsonrpc: "2.0", id: msg.id, result }).catch(showError);
  if (msg.method === "ping") reply({});
  else if (msg.method === "elicitation/create") elicit(msg.params || {}, reply);
  else {
    post({ jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "Method not found: the playground does not answer " + msg.method } })
      .catch(showError);
  }
}

function showError(err) {
  setStatus(err.message, "error");
}

async function initialize() {
  const init = await request("initialize", {
    protocolVersion: "2025-11-25",
    capabilities: { elicitation: {} },
    clientInfo: { name: "emcee-playground", version: "1.0.0" },
  });
  await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  const info = init.serverInfo || {};
  $("#server").textContent = str(info.title || info.name || "") + " " + str(info.version || "") + " · protocol " + str(init.protocolVersion);
  $("#instructions").textContent = init.instructions ? str(init.instructions) : "";
  $("#instructions").hidden = !init.instructions;
  setStatus("connected", "ok");
  const caps = init.capabilities || {};
  await Promise.all([caps.tools && listTools(), caps.resources && listResources(), caps.prompts && listPrompts()]);
}

async function listAll(method, key) {
  let items = [];
  let cursor;
  do {
    const page = await request(method, cursor ? { cursor } : {});
    items = items.concat(page[key] || []);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

// --- Forms from JSON Schema --------------------------------------------------
function typeOf(schema) {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
}

function deref(root, schema) {
  if (!schema || typeof schema.$ref !== "string" || !schema.$ref.startsWith("#/")) return schema || {};
  let target = root;
  for (const part of schema.$ref.slice(2).split("/")) target = target && target[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return target || schema;
}

// [{ value, label }] for enum, enum + enumNames, or oneOf/anyOf of { const, title }; else null.
function choicesOf(schema) {
  if (Array.isArray(schema.enum)) {
    const names = Array.isArray(schema.enumNames) ? schema.enumNames : [];
    return schema.enum.map((value, i) => ({ value, label: str(names[i] ?? value) }));
  }
  const alternatives = schema.oneOf || schema.anyOf;
  if (Array.isArray(alternatives) && alternatives.length && alternatives.every((a) => a && "const" in a)) {
    return alternatives.map((a) => ({ value: a.const, label: str(a.title ?? a.const) }));
  }
  return null;
}

// One input for one property: { name, row, read() } where read() gives the value or undefined to leave it out.
function field(name, schema, required) {
  const type = typeOf(schema);
  const choices = choicesOf(schema);
  const fallback = schema.default;
  let input;
  let read;
  let control;
  if (choices) {
    input = h("select", { name, required },
      !required && h("option", { value: "" }, "—"),
      choices.map((c, i) => h("option", { value: String(i), defaultSelected: JSON.stringify(c.value) === JSON.stringify(fallback) }, c.label)));
    read = () => input.value === "" ? undefined : choices[Number(input.value)].value;
  } else if (type === "array" && schema.items && choicesOf(schema.items)) {
    const options = choicesOf(schema.items);
    const boxes = options.map((c) => h("input", { type: "checkbox", defaultChecked: Array.isArray(fallback) && fallback.includes(c.value) }));
    control = h("div", { class: "choices" }, options.map((c, i) => h("label", null, boxes[i], " ", c.label)));
    read = () => {
      const picked = options.filter((_, i) => boxes[i].checked).map((c) => c.value);
      return picked.length || required ? picked : undefined;
    };
  } else if (type === "boolean") {
    input = h("input", { type: "checkbox", name, defaultChecked: fallback === true });
    read = () => input.checked;
  } else if (type === "number" || type === "integer") {
    input = h("input", { type: "number", name, required, step: type === "integer" ? "1" : "any",
      min: schema.minimum, max: schema.maximum, value: typeof fallback === "number" ? String(fallback) : "" });
    read = () => input.value === "" ? undefined : Number(input.value);
  } else if (type === "string") {
    input = h("input", { type: "text", name, required, placeholder: schema.format ? str(schema.format) : "",
      value: typeof fallback === "string" ? fallback : "" });
    read = () => input.value === "" && !required ? undefined : input.value;
  } else {
    input = h("textarea", { name, required, placeholder: type === "array" ? "[ … ] as JSON" : "{ … } as JSON",
      value: fallback === undefined ? "" : JSON.stringify(fallback, null, 2) });
    read = () => {
      if (input.value.trim() === "") return undefined;
      try {
        return JSON.parse(input.value);
      } catch {
        throw new Error(name + ": not valid JSON");
      }
    };
  }
  const row = h(control ? "div" : "label", { class: "field" },
    h("span", null, h("code", null, name), required && h("span", { class: "req", title: "required" }, " *"),
      (schema.title || schema.description) && h("span", { class: "hint" }, str(schema.title || schema.description))),
    control || input);
  return { name, row, read };
}

function formFields(schema) {
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(schema.properties || {}).map(([name, s]) => field(name, deref(schema, s), required.includes(name)));
}

function readFields(fields) {
  const values = {};
  for (const f of fields) {
    const value = f.read();
    if (value !== undefined) values[f.name] = value;
  }
  return values;
}

// --- Rendering what the server returns ---------------------------------------
function dataUrl(mimeType, data, kind) {
  const typeOk = typeof mimeType === "string" && new RegExp("^" + kind + "/[\\w.+-]+$").test(mimeType);
  const dataOk = typeof data === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(data);
  return typeOk && dataOk ? "data:" + mimeType + ";base64," + data : null;
}

function contents(c) {
  const head = h("div", { class: "hint" }, str(c.uri ?? ""), c.mimeType && " · " + str(c.mimeType));
  if (typeof c.text === "string") return h("div", { class: "resource" }, head, h("pre", null, c.text));
  if (typeof c.blob === "string") {
    const url = dataUrl(c.mimeType, c.blob, "image");
    return h("div", { class: "resource" }, head,
      url ? h("img", { src: url, alt: str(c.uri) }) : h("pre", null, "(" + Math.floor(c.blob.length * 3 / 4) + " bytes, base64)"));
  }
  return h("pre", null, JSON.stringify(c, null, 2));
}

function block(b) {
  const type = b && b.type;
  if (type === "text") return h("pre", { class: "text" }, str(b.text));
  if (type === "image" || type === "audio") {
    const url = dataUrl(b.mimeType, b.data, type);
    if (!url) return h("pre", { class: "hint" }, type + " with an unexpected mimeType or data");
    return type === "image" ? h("img", { src: url, alt: "image (" + b.mimeType + ")" }) : h("audio", { controls: true, src: url });
  }
  if (type === "resource_link") {
    const out = h("div");
    return h("div", { class: "link" }, "🔗 ", h("code", null, str(b.uri)), b.name && " " + str(b.name), " ",
      h("button", { type: "button", class: "small secondary", onclick: () => readInto(b.uri, out) }, "read"), out);
  }
  if (type === "resource") return contents(b.resource || {});
  return h("pre", null, JSON.stringify(b, null, 2));
}

function errorBox(err) {
  return h("div", { class: "result error" }, h("span", { class: "badge" }, "error" + (err.code !== undefined ? " " + err.code : "")), " ", err.message);
}

function renderResult(result) {
  return h("div", { class: "result" + (result.isError ? " error" : "") },
    result.isError && h("span", { class: "badge" }, "isError"),
    (Array.isArray(result.content) ? result.content : []).map(block),
    result.structuredContent !== undefined && [h("div", { class: "hint" }, "structuredContent"),
      h("pre", { class: "structured" }, JSON.stringify(result.structuredContent, null, 2))]);
}

// --- Tools ---------------------------------------------------------------------
let nextToken = 1;

async function listTools() {
  const tools = await listAll("tools/list", "tools");
  $("#tools").replaceChildren(...tools.map(toolItem));
}

function toolItem(tool) {
  const fields = formFields(tool.inputSchema || {});
  const out = h("div");
  const form = h("form", { class: "body", onsubmit: (e) => { e.preventDefault(); callTool(tool, fields, out); } },
    fields.map((f) => f.row),
    h("button", { type: "submit" }, "Call"),
    out);
  return h("details", { class: "item", "data-tool": tool.name },
    h("summary", { title: str(tool.description ?? "") }, h("code", null, str(tool.name)), tool.title && " — " + str(tool.title),
      tool.description && h("span", { class: "hint" }, str(tool.description))), form);
}

async function callTool(tool, fields, out) {
  const call = h("div", { class: "call" });
  out.replaceChildren(call);
  let args;
  try {
    args = readFields(fields);
  } catch (err) {
    return call.append(errorBox(err));
  }
  const state = h("div", { class: "hint" }, "running…");
  const bar = h("progress");
  const barLabel = h("div", { class: "hint" });
  const lines = h("div");
  call.append(state, lines);
  const token = "playground-" + nextToken++;
  onProgress.set(token, (p) => {
    if (!bar.isConnected) call.insertBefore(h("div", { class: "progress" }, bar, barLabel), lines);
    if (typeof p.total === "number" && p.total > 0) bar.max = p.total;
    if (typeof p.progress === "number") bar.value = p.progress;
    barLabel.textContent = str(p.progress) + (p.total !== undefined ? " / " + str(p.total) : "") + (p.message ? " — " + str(p.message) : "");
  });
  const entry = {
    log: (p) => lines.append(h("div", { class: "logline", "data-level": p.level },
      "[" + str(p.level) + "] " + (p.logger ? str(p.logger) + ": " : "") + str(p.data))),
  };
  running.push(entry);
  const started = performance.now();
  try {
    call.append(renderResult(await request("tools/call", { name: tool.name, arguments: args, _meta: { progressToken: token } })));
  } catch (err) {
    call.append(errorBox(err));
  } finally {
    onProgress.delete(token);
    running.splice(running.indexOf(entry), 1);
    state.textContent = "done in " + Math.round(performance.now() - started) + " ms";
  }
}

// --- Resources and prompts ------------------------------------------------------
async function readInto(uri, out) {
  try {
    const result = await request("resources/read", { uri });
    out.replaceChildren(...(result.contents || []).map(contents));
  } catch (err) {
    out.replaceChildren(errorBox(err));
  }
}

async function listResources() {
  const [resources, templates] = await Promise.all([
    listAll("resources/list", "resources"),
    listAll("resources/templates/list", "resourceTemplates").catch(() => []),
  ]);
  const row = (label, detail, description, uriInput) => {
    const out = h("div");
    return h("div", { class: "row", "data-resource": label },
      h("code", null, str(label)), " ", h("span", { class: "hint" }, detail),
      description && h("div", { class: "hint" }, str(description)),
      uriInput,
      h("button", { type: "button", class: "small secondary", onclick: () => readInto(uriInput ? uriInput.value : label, out) }, "read"),
      out);
  };
  $("#resources").replaceChildren(
    ...resources.map((r) => row(r.uri, str(r.name || "") + (r.mimeType ? " · " + str(r.mimeType) : ""), r.description)),
    ...templates.map((t) => row(t.uriTemplate, "template", t.description, h("input", { type: "text", value: str(t.uriTemplate) }))));
}

async function listPrompts() {
  const prompts = await listAll("prompts/list", "prompts");
  $("#prompts").replaceChildren(...prompts.map((p) => {
    const fields = (Array.isArray(p.arguments) ? p.arguments : [])
      .map((a) => field(str(a.name), { type: "string", description: a.description }, a.required === true));
    const out = h("div");
    const get = async (e) => {
      e.preventDefault();
      try {
        const result = await request("prompts/get", { name: p.name, arguments: readFields(fields) });
        out.replaceChildren(...(result.messages || []).map((m) =>
          h("div", { class: "message" }, h("div", { class: "hint" }, str(m.role)), [].concat(m.content).map(block))));
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    };
    return h("details", { class: "item", "data-prompt": p.name },
      h("summary", null, h("code", null, str(p.name)), p.title && " — " + str(p.title),
        p.description && h("span", { class: "hint" }, str(p.description))),
      h("form", { class: "body", onsubmit: get }, fields.map((f) => f.row), h("button", { type: "submit" }, "Get"), out));
  }));
}

// --- Elicitation ------------------------------------------------------------------
function elicit(params, reply) {
  const fields = formFields(params.requestedSchema || {});
  const problem = h("div", { class: "hint" });
  const done = (action) => {
    let content;
    try {
      if (action === "accept") content = readFields(fields);
    } catch (err) {
      problem.textContent = err.message;
      return;
    }
    form.remove();
    reply(action === "accept" ? { action, content } : { action });
  };
  const form = h("form", { class: "ask", onsubmit: (e) => { e.preventDefault(); done("accept"); } },
    h("h3", null, "The server asks"),
    h("p", { class: "message" }, str(params.message ?? "")),
    params.url && h("p", null, "URL: ", h("code", null, str(params.url))),
    fields.map((f) => f.row),
    problem,
    h("button", { type: "submit" }, "Accept"),
    h("button", { type: "button", class: "secondary", onclick: () => done("decline") }, "Decline"),
    h("button", { type: "button", class: "secondary", onclick: () => done("cancel") }, "Cancel"));
  $("#asks").append(form);
  form.scrollIntoView({ block: "nearest" });
  form.querySelector("input, select, textarea, button").focus();
}

$("#clear").addEventListener("click", () => $("#log").replaceChildren());
connect();
</script>
</body>
</html>
`;
