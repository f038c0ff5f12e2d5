/**
 * The playground page: its HTTP face on every runtime, and a real browser
 * (Debian's Chromium driven by playwright-core, never a downloaded one)
 * against examples/everything.ts under Node.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { BrowserContext } from "playwright-core";
import { everything } from "../examples/everything.ts";
import { escapeHtml, PLAYGROUND_HTML } from "../lib/playground.ts";
import { createServer } from "../mod.ts";
import { CHROMIUM, systemSkip } from "./_system.ts";
import type { McpServer, ServerOptions } from "../mod.ts";

const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const XSS = "<img src=x onerror=window.__xss=1>";

/** Why the browser test cannot run here, or false. */
function browserSkip(): string | false {
  if ((globalThis as { Deno?: unknown }).Deno) return "the browser test runs under Node only, where playwright-core is supported (this is Deno)";
  if (process.versions.bun) return "the browser test runs under Node only, where playwright-core is supported (this is Bun)";
  // tests/_setup.ts installs Chromium before npm test: a missing browser is a failure unless the switch is set.
  return systemSkip("Chromium");
}

/** Starts a server with `options` on a loopback port; closes it after the test. */
async function serve(options: Partial<ServerOptions>, setup?: (s: McpServer) => void): Promise<{ url: string; server: McpServer }> {
  const server = createServer({ name: "pg", version: "1.0.0", ...options });
  setup?.(server);
  const { url } = await server.listen({ port: 0 });
  return { url, server };
}

describe("playground over HTTP", () => {
  const servers: McpServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const start = async (options: Partial<ServerOptions>, setup?: (s: McpServer) => void) => {
    const started = await serve(options, setup);
    servers.push(started.server);
    return started.url;
  };

  it("GET / serves the page as UTF-8 HTML with a per-response CSP nonce and nosniff", async () => {
    const url = await start({ playground: true });
    const res = await fetch(`${url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("cache-control"), "no-store");
    const csp = res.headers.get("content-security-policy")!;
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const body = await res.text();
    assert.ok(body.includes(`<script nonce="${nonce}">`));
    assert.ok(body.includes(`<style nonce="${nonce}">`));
    assert.ok(!body.includes("{{nonce}}"));
    assert.ok(body.includes('<meta name="emcee-base" content="">'));
    const again = (await fetch(`${url}/`)).headers.get("content-security-policy");
    assert.notEqual(again, csp, "a fresh nonce per response");
    const head = await fetch(`${url}/`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  it("the page is off by default in the library (404)", async () => {
    const url = await start({});
    assert.equal((await fetch(`${url}/`)).status, 404);
  });

  it("a route of the user's on the same path wins", async () => {
    const url = await start({ playground: true }, (s) => s.route("GET", "/", () => "mine"));
    const res = await fetch(`${url}/`);
    assert.equal(await res.text(), "mine");
  });

  it("{ path } moves the page; basePath is its default and is injected escaped", async () => {
    const moved = await start({ playground: { path: "/play/" } });
    assert.equal((await fetch(`${moved}/play`)).status, 200);
    assert.equal((await fetch(`${moved}/`)).status, 404);
    assert.equal((await fetch(`${moved}/play`, { method: "POST" })).status, 404);

    const based = await start({ basePath: "/tools", playground: true });
    assert.equal((await fetch(`${based}/`)).status, 404);
    const body = await (await fetch(`${based}/tools/`)).text();
    assert.ok(body.includes('<meta name="emcee-base" content="/tools">'));

    const hostile = '/a"><script>alert(1)</script>';
    const odd = await start({ basePath: hostile, playground: { path: "/" } });
    const page = await (await fetch(`${odd}/`)).text();
    assert.ok(!page.includes(hostile));
    assert.ok(page.includes(`content="${escapeHtml(hostile)}"`));
    assert.equal(escapeHtml(`<a href="x">'&`), "&#60;a href=&#34;x&#34;&#62;&#39;&#38;");
  });

  it("is not served on a non-loopback local address unless public: true", async () => {
    // The request really crosses a socket; only the address it arrived on is made to look public.
    const check = async (playground: ServerOptions["playground"]) => {
      const server = createServer({ name: "pg", version: "1.0.0", playground });
      const front = http.createServer((req, res) => {
        Object.defineProperty(req.socket, "localAddress", { value: "192.0.2.10", configurable: true });
        server.handler(req, res);
      });
      await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
      try {
        const res = await fetch(`http://127.0.0.1:${(front.address() as AddressInfo).port}/`);
        await res.arrayBuffer();
        return res.status;
      } finally {
        front.closeAllConnections();
        await new Promise((resolve) => front.close(resolve));
        await server.close();
      }
    };
    assert.equal(await check(true), 404);
    assert.equal(await check({ public: false }), 404);
    assert.equal(await check({ public: true }), 200);
  });

  it("refuses a foreign Host like the MCP endpoints (DNS rebinding)", async () => {
    const url = await start({ playground: true });
    const port = new URL(url).port;
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: "127.0.0.1", port, path: "/", headers: { host: "evil.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on("error", reject);
    });
    assert.equal(status, 403);
  });

  it("createServer() refuses the playground with eras: \"modern\" (no /sse)", () => {
    assert.throws(() => createServer({ name: "pg", version: "1.0.0", eras: "modern", playground: true }), TypeError);
  });

  it("the page is small and builds its DOM without HTML parsing of data", () => {
    assert.ok(Buffer.byteLength(PLAYGROUND_HTML) < 32 * 1024, `${Buffer.byteLength(PLAYGROUND_HTML)} bytes`);
    assert.doesNotMatch(PLAYGROUND_HTML, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    assert.doesNotMatch(PLAYGROUND_HTML, /<script[^>]+src=|<link[^>]+stylesheet|https?:\/\//);
  });
});

describe("playground in a real browser", () => {
  // Skipped at the test, not the suite: Deno and Bun then still list it as skipped, and the hook prints why.
  const skip = browserSkip();
  let server: McpServer;
  let url: string;
  let userDataDir: string;
  let context: BrowserContext | undefined;
  const outDir = fileURLToPath(new URL("../test-output/", import.meta.url));

  before(async () => {
    if (skip) return console.log(`skipping the browser test: ${skip}`);
    server = everything();
    // Hostile names, descriptions and logs, to be shown as text.
    server.tool("xss_probe", {
      title: "<b onmouseover=window.__xss=2>title</b>",
      description: "<img src=x onerror=window.__xss=3>",
      inputSchema: { type: "object", properties: { "<i>k</i>": { type: "string", description: "<svg onload=window.__xss=4>" } } },
    }, (_args, ctx) => {
      ctx.log("info", "<img src=x onerror=window.__xss=5>");
      return { content: [{ type: "image", data: "AAAA\"><img src=x onerror=window.__xss=6>", mimeType: "image/png" }] };
    });
    ({ url } = await server.listen({ port: 0 }));
    userDataDir = await mkdtemp(join(tmpdir(), "emcee-chromium-"));
    await mkdir(outDir, { recursive: true });
    const { chromium } = await import("playwright-core");
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  it("connects, calls tools with progress, answers an elicitation and shows hostile text as text", { skip }, async () => {
    const page = await context!.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(`console: ${message.text()}`);
    });

    await page.goto(`${url}/`);
    // The endpoint event is in the live log, and the session is initialized.
    const endpointEntry = page.locator('#log [data-event="endpoint"]');
    await endpointEntry.waitFor();
    assert.match(await endpointEntry.textContent() ?? "", /\/messages\?sessionId=/);
    await page.locator("#status.ok").waitFor();
    assert.match(await page.locator("#server").textContent() ?? "", /emcee: every feature 1\.0\.0/);

    // countdown n=4, delayMs=50: record every value the <progress> shows.
    // (Browser-side code is passed as source text: tsconfig has no DOM lib.)
    await page.evaluate(`{
      const seen = window.__progress = [];
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.target instanceof HTMLProgressElement) seen.push(r.target.value);
          for (const node of r.addedNodes) {
            if (node instanceof Element) node.querySelectorAll("progress").forEach((p) => seen.push(p.value));
          }
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["value", "max"] });
    }`);
    const countdown = page.locator('[data-tool="countdown"]');
    await countdown.locator("summary").click();
    await countdown.locator('input[name="n"]').fill("4");
    await countdown.locator('input[name="delayMs"]').fill("50");
    assert.equal(await countdown.locator('input[name="n"]').getAttribute("step"), "1");
    await countdown.getByRole("button", { name: "Call" }).click();
    await countdown.locator(".result pre", { hasText: "Liftoff!" }).waitFor();
    const seen = await page.evaluate("window.__progress") as number[];
    const distinct = [...new Set(seen.filter((v) => v > 0))];
    assert.ok(distinct.length >= 3, `progress values seen: ${JSON.stringify(seen)}`);
    assert.deepEqual(distinct, [...distinct].sort((a, b) => a - b), "progress only increases");
    const bar = countdown.locator("progress");
    assert.deepEqual([await bar.getAttribute("value"), await bar.getAttribute("max")], ["4", "4"]);

    // Log lines arrive in the running call.
    const logging = page.locator('[data-tool="test_tool_with_logging"]');
    await logging.locator("summary").click();
    await logging.getByRole("button", { name: "Call" }).click();
    await logging.locator(".result", { hasText: "executed successfully" }).waitFor();
    assert.equal(await logging.locator(".logline").count(), 3);

    // An image is a data: URL that the CSP lets load; an error result is highlighted.
    const imageTool = page.locator('[data-tool="test_image_content"]');
    await imageTool.locator("summary").click();
    await imageTool.getByRole("button", { name: "Call" }).click();
    const img = imageTool.locator(".result img");
    await img.waitFor();
    assert.match(await img.getAttribute("src") ?? "", /^data:image\/png;base64,iVBOR/);
    const loaded = `(async (img) => { await img.decode(); return img.naturalWidth; })(
      document.querySelector('[data-tool="test_image_content"] .result img'))`;
    assert.equal(await page.evaluate(loaded), 1, "the CSP lets data: images load");
    const failing = page.locator('[data-tool="test_error_handling"]');
    await failing.locator("summary").click();
    await failing.getByRole("button", { name: "Call" }).click();
    await failing.locator(".result.error .badge", { hasText: "isError" }).waitFor();

    // Elicitation: the server asks, the generated form answers, the result reflects it.
    const elicitation = page.locator('[data-tool="test_elicitation"]');
    await elicitation.locator("summary").click();
    await elicitation.locator('input[name="message"]').fill("Who is there?");
    await elicitation.getByRole("button", { name: "Call" }).click();
    const ask = page.locator("#asks form.ask");
    await ask.waitFor();
    assert.equal(await ask.locator(".message").textContent(), "Who is there?");
    await ask.locator('input[name="username"]').fill("ada");
    await ask.locator('input[name="email"]').fill("ada@example.com");
    await page.screenshot({ path: join(outDir, "playground-elicitation.png") });
    await ask.getByRole("button", { name: "Accept" }).click();
    await elicitation.locator(".result pre", { hasText: "action=accept" }).waitFor();
    assert.equal(await elicitation.locator(".result pre").textContent(),
      'User response: action=accept, content={"username":"ada","email":"ada@example.com"}');
    assert.equal(await ask.count(), 0, "the form is gone once answered");

    // Declining sends no content.
    await elicitation.getByRole("button", { name: "Call" }).click();
    await ask.waitFor();
    await ask.getByRole("button", { name: "Decline" }).click();
    await elicitation.locator(".result pre", { hasText: "action=decline" }).waitFor();

    // Enums: plain, titled (oneOf const/title), legacy enumNames, and multi-selects.
    const enums = page.locator('[data-tool="test_elicitation_sep1330_enums"]');
    await enums.locator("summary").click();
    await enums.getByRole("button", { name: "Call" }).click();
    await ask.waitFor();
    await ask.locator('select[name="untitledSingle"]').selectOption({ label: "option3" });
    await ask.locator('select[name="titledSingle"]').selectOption({ label: "Second Option" });
    await ask.locator('select[name="legacyEnum"]').selectOption({ label: "Option Two" });
    await ask.getByLabel("option1", { exact: true }).check();
    await ask.getByLabel("Third Choice", { exact: true }).check();
    await ask.getByRole("button", { name: "Accept" }).click();
    await enums.locator(".result pre", { hasText: "action=accept" }).waitFor();
    assert.equal(await enums.locator(".result pre").textContent(), "Elicitation completed: action=accept, content=" +
      '{"untitledSingle":"option3","titledSingle":"value2","legacyEnum":"opt2","untitledMulti":["option1"],"titledMulti":["value3"]}');

    // A resource and a prompt, by button.
    const staticText = page.locator('[data-resource="test://static-text"]');
    await staticText.getByRole("button", { name: "read" }).click();
    await staticText.locator("pre", { hasText: "This is the content of the static text resource." }).waitFor();
    const prompt = page.locator('[data-prompt="test_prompt_with_arguments"]');
    await prompt.locator("summary").click();
    await prompt.locator('input[name="arg1"]').fill("a<b>");
    await prompt.locator('input[name="arg2"]').fill("c");
    await prompt.getByRole("button", { name: "Get" }).click();
    await prompt.locator("pre", { hasText: "Prompt with arguments: arg1='a<b>', arg2='c'" }).waitFor();

    // XSS: echo renders its text as text; hostile names, descriptions, logs and image data stay inert.
    const echo = page.locator('[data-tool="echo"]');
    await echo.locator("summary").click();
    await echo.locator('input[name="text"]').fill(XSS);
    await echo.getByRole("button", { name: "Call" }).click();
    const echoed = echo.locator(".result pre");
    await echoed.waitFor();
    assert.equal(await echoed.textContent(), XSS);
    const probe = page.locator('[data-tool="xss_probe"]');
    await probe.locator("summary").click();
    assert.match(await probe.locator("summary").textContent() ?? "", /<b onmouseover=window.__xss=2>title<\/b><img src=x onerror=window.__xss=3>/);
    await probe.getByRole("button", { name: "Call" }).click();
    await probe.locator(".result").waitFor();
    assert.equal(await probe.locator(".logline").textContent(), "[info] <img src=x onerror=window.__xss=5>");
    assert.equal(await probe.locator(".result img").count(), 0, "bad base64 is not made into a data: URL");
    await page.waitForTimeout(200); // give any injected handler the chance to run
    assert.equal(await page.evaluate("typeof window.__xss"), "undefined");
    assert.equal(await page.locator('img[src="x"], svg, b, i').count(), 0);

    await countdown.scrollIntoViewIfNeeded();
    await page.evaluate("window.scrollBy(0, -120)");
    await page.screenshot({ path: join(outDir, "playground.png") });
    assert.deepEqual(problems, []);
    await page.close();
  });
});
