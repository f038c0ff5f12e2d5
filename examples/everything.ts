/**
 * Every feature of emcee in one server, and exactly the fixtures the
 * official MCP conformance suite expects of a server under test.
 *
 *   npx tsx examples/everything.ts
 *   Streamable HTTP (2025-03-26 … 2025-11-25):  http://127.0.0.1:3000/mcp
 *   HTTP+SSE (2024-11-05):                       http://127.0.0.1:3000/sse
 *   playground (a browser page):                 http://127.0.0.1:3000/
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { audio, createServer, embeddedResource, image, resourceContents, text } from "../mod.ts";
import type { McpServer } from "../mod.ts";

/** A 1×1 PNG and a tiny WAV, base64, as the conformance suite's reference uses. */
export const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
export const WAV = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

const NO_ARGS = { type: "object", properties: {} } as const;

/** Builds the server; exported so tests can serve it in-process. */
export function everything(): McpServer {
  const server = createServer({
    name: "emcee-everything",
    version: "1.0.0",
    title: "emcee: every feature",
    instructions: "A test server: every tool, resource and prompt here exists to exercise an MCP feature.",
    playground: true, // the browser playground at /, on loopback only
    // DEBUG=emcee prints a line per session and per request on stderr.
    logger: process.env.DEBUG?.includes("emcee") ? (line) => console.error(`[emcee] ${line}`) : undefined,
  });

  // --- Tools -------------------------------------------------------------
  server.tool("test_simple_text", {
    description: "Returns a simple text response",
    inputSchema: NO_ARGS,
  }, () => "This is a simple text response for testing.");

  server.tool("test_image_content", {
    description: "Returns an image",
    inputSchema: NO_ARGS,
  }, () => image(PNG, "image/png"));

  server.tool("test_audio_content", {
    description: "Returns audio",
    inputSchema: NO_ARGS,
  }, () => audio(WAV, "audio/wav"));

  server.tool("test_embedded_resource", {
    description: "Returns an embedded resource",
    inputSchema: NO_ARGS,
  }, () => embeddedResource("test://embedded-resource", "This is an embedded resource content.", "text/plain"));

  server.tool("test_multiple_content_types", {
    description: "Returns text, an image and a resource",
    inputSchema: NO_ARGS,
  }, () => [
    text("Multiple content types test:"),
    image(PNG, "image/png"),
    embeddedResource("test://mixed-content-resource", JSON.stringify({ test: "data", value: 123 }), "application/json"),
  ]);

  server.tool("test_tool_with_logging", {
    description: "Logs three messages while it runs",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    ctx.log("info", "Tool execution started");
    await sleep(50, ctx.signal);
    ctx.log("info", "Tool processing data");
    await sleep(50, ctx.signal);
    ctx.log("info", "Tool execution completed");
    return "Tool with logging executed successfully";
  });

  server.tool("test_tool_with_progress", {
    description: "Reports progress three times",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    ctx.progress(0, 100);
    await sleep(50, ctx.signal);
    ctx.progress(50, 100);
    await sleep(50, ctx.signal);
    ctx.progress(100, 100);
    return "Tool with progress executed successfully";
  });

  server.tool("test_error_handling", {
    description: "Always fails",
    inputSchema: NO_ARGS,
  }, () => {
    throw new Error("This tool intentionally returns an error for testing");
  });

  server.tool("test_sampling", {
    description: "Asks the client's model to answer a prompt",
    inputSchema: { type: "object", properties: { prompt: { type: "string" } }, required: ["prompt"] },
  }, async ({ prompt }: { prompt: string }, ctx) => {
    const answer = await ctx.sample({
      messages: [{ role: "user", content: { type: "text", text: prompt } }],
      maxTokens: 100,
    });
    const content = Array.isArray(answer.content) ? answer.content[0] : answer.content;
    return `LLM response: ${content?.type === "text" ? content.text : JSON.stringify(content)}`;
  });

  server.tool("test_elicitation", {
    description: "Asks the user for a name and an email address",
    inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] },
  }, async ({ message }: { message: string }, ctx) => {
    const { action, content } = await ctx.elicit({
      message,
      requestedSchema: {
        type: "object",
        properties: {
          username: { type: "string", description: "User's response" },
          email: { type: "string", description: "User's email address" },
        },
        required: ["username", "email"],
      },
    });
    return `User response: action=${action}, content=${JSON.stringify(content ?? {})}`;
  });

  server.tool("test_elicitation_sep1034_defaults", {
    description: "Elicits a form whose fields have defaults (SEP-1034)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const { action, content } = await ctx.elicit({
      message: "Please review and update the form fields with defaults",
      requestedSchema: {
        type: "object",
        properties: {
          name: { type: "string", description: "User name", default: "John Doe" },
          age: { type: "integer", description: "User age", default: 30 },
          score: { type: "number", description: "User score", default: 95.5 },
          status: {
            type: "string",
            description: "User status",
            enum: ["active", "inactive", "pending"],
            default: "active",
          },
          verified: { type: "boolean", description: "Verification status", default: true },
        },
        required: [],
      },
    });
    return `Elicitation completed: action=${action}, content=${JSON.stringify(content ?? {})}`;
  });

  server.tool("test_elicitation_sep1330_enums", {
    description: "Elicits a form with every kind of enum (SEP-1330)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const titled = (prefix: string, titles: string[]) =>
      titles.map((title, i) => ({ const: `${prefix}${i + 1}`, title }));
    const { action, content } = await ctx.elicit({
      message: "Please select options from the enum fields",
      requestedSchema: {
        type: "object",
        properties: {
          untitledSingle: { type: "string", description: "Select one option", enum: ["option1", "option2", "option3"] },
          titledSingle: {
            type: "string",
            description: "Select one option with titles",
            oneOf: titled("value", ["First Option", "Second Option", "Third Option"]),
          },
          legacyEnum: {
            type: "string",
            description: "Select one option (legacy)",
            enum: ["opt1", "opt2", "opt3"],
            enumNames: ["Option One", "Option Two", "Option Three"],
          },
          untitledMulti: {
            type: "array",
            description: "Select multiple options",
            minItems: 1,
            maxItems: 3,
            items: { type: "string", enum: ["option1", "option2", "option3"] },
          },
          titledMulti: {
            type: "array",
            description: "Select multiple options with titles",
            minItems: 1,
            maxItems: 3,
            items: { anyOf: titled("value", ["First Choice", "Second Choice", "Third Choice"]) },
          },
        },
        required: [],
      },
    });
    return `Elicitation completed: action=${action}, content=${JSON.stringify(content ?? {})}`;
  });

  server.tool("json_schema_2020_12_tool", {
    description: "Tool with JSON Schema 2020-12 features",
    inputSchema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: {
        address: {
          $anchor: "addressDef",
          type: "object",
          properties: { street: { type: "string" }, city: { type: "string" } },
        },
      },
      properties: {
        name: { type: "string" },
        address: { $ref: "#/$defs/address" },
        contactMethod: { type: "string", enum: ["phone", "email"] },
        phone: { type: "string" },
        email: { type: "string" },
      },
      allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
      if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
      then: { required: ["phone"] },
      else: { required: ["email"] },
      additionalProperties: false,
    },
  }, (args) => ({ content: [text(`Received: ${JSON.stringify(args)}`)] }));

  server.tool("test_reconnection", {
    description: "Takes a moment, so a client can be asked to reconnect before the result (SSE polling)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    // Drop the connection at once; the client resumes with Last-Event-ID and gets the result.
    ctx.closeSseStream(500);
    await sleep(100, ctx.signal);
    return "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.";
  });

  server.tool("test_roots", {
    description: "Lists the client's roots",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => JSON.stringify(await ctx.roots()));

  server.tool("add", {
    description: "Add two numbers",
    inputSchema: {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "number" } },
      required: ["a", "b"],
    },
    outputSchema: { type: "object", properties: { sum: { type: "number" } }, required: ["sum"] },
    annotations: { readOnlyHint: true, idempotentHint: true },
  }, ({ a, b }: { a: number; b: number }) => ({ sum: a + b }));

  const echoTool = server.tool("echo", {
    description: "Echo the text back",
    inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  }, ({ text }: { text: string }) => text);

  server.tool("countdown", {
    description: "Counts down, reporting progress at each step",
    inputSchema: {
      type: "object",
      properties: { n: { type: "integer", minimum: 1, maximum: 20 }, delayMs: { type: "integer", minimum: 0, maximum: 2000 } },
      required: ["n"],
    },
  }, async ({ n, delayMs = 200 }: { n: number; delayMs?: number }, ctx) => {
    for (let i = 1; i <= n; i++) {
      await sleep(delayMs, ctx.signal);
      ctx.progress(i, n, `${n - i} to go`);
    }
    return "Liftoff!";
  });

  // --- 2026-07-28 fixtures (stateless era, MRTR, headers) -----------------
  server.tool("test_missing_capability", {
    description: "Needs the client's sampling capability; without it the call is refused with -32021",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const answer = await ctx.sample({ messages: [{ role: "user", content: { type: "text", text: "Hi" } }], maxTokens: 10 });
    return `sampled ${answer.model}`;
  });

  server.tool("test_streaming_elicitation", {
    description: "Asks the user a question (a request to the client, or an input_required result in 2026-07-28)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const { action } = await ctx.elicit({
      message: "Continue?",
      requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
    });
    return `action=${action}`;
  });

  server.tool("test_logging_tool", {
    description: "Logs at every level; a 2026-07-28 request without a logLevel sees none of it",
    inputSchema: NO_ARGS,
  }, (_args, ctx) => {
    for (const level of ["debug", "info", "warning", "error"] as const) ctx.log(level, `a ${level} message`);
    return "logged";
  });

  server.tool("test_trigger_tool_change", {
    description: "Changes the tool list (and changes it back), so clients are told tools/list_changed",
    inputSchema: NO_ARGS,
  }, () => {
    echoTool.disable();
    echoTool.enable();
    return "tools/list_changed sent";
  });

  server.tool("test_trigger_prompt_change", {
    description: "Changes the prompt list (and changes it back), so clients are told prompts/list_changed",
    inputSchema: NO_ARGS,
  }, () => {
    simplePrompt.disable();
    simplePrompt.enable();
    return "prompts/list_changed sent";
  });

  server.tool("test_custom_header", {
    description: "Has an argument mirrored in the Mcp-Param-Region header (2026-07-28 x-mcp-header)",
    inputSchema: {
      type: "object",
      properties: { region: { type: "string", "x-mcp-header": "Region" }, query: { type: "string" } },
      required: ["region"],
    },
  }, ({ region, query }) => `region=${region}${query === undefined ? "" : `, query=${query}`}`);

  const nameForm = {
    message: "What is your name?",
    requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
  };
  const confirmForm = {
    message: "Please confirm",
    requestedSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
  };
  const greeting = (text: string) => ({ messages: [{ role: "user" as const, content: { type: "text" as const, text } }], maxTokens: 50 });

  server.tool("test_input_required_result_elicitation", {
    description: "Asks the user's name (MRTR: input_required, key user_name)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const { action, content } = await ctx.elicit(nameForm, { key: "user_name" });
    return action === "accept" ? `Hello, ${content?.name}!` : `No name given (${action})`;
  });

  server.tool("test_input_required_result_sampling", {
    description: "Asks the client's model a question (MRTR)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const answer = await ctx.sample({
      messages: [{ role: "user", content: { type: "text", text: "What is the capital of France?" } }],
      maxTokens: 100,
    }, { key: "capital_question" });
    const content = Array.isArray(answer.content) ? answer.content[0] : answer.content;
    return `The model said: ${content?.type === "text" ? content.text : "(not text)"}`;
  });

  server.tool("test_input_required_result_list_roots", {
    description: "Asks the client for its roots (MRTR)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => `Roots: ${JSON.stringify(await ctx.roots({ key: "client_roots" }))}`);

  server.tool("test_input_required_result_request_state", {
    description: "Asks for a confirmation, carried across the retry in requestState (MRTR)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const { action } = await ctx.elicit(confirmForm, { key: "confirm" });
    return `state-ok: ${action}`;
  });

  server.tool("test_input_required_result_multiple_inputs", {
    description: "Asks three questions at once: a form, the model and the roots (MRTR)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const [name, hello, roots] = await Promise.all([
      ctx.elicit(nameForm, { key: "user_name" }),
      ctx.sample(greeting("Generate a greeting"), { key: "greeting" }),
      ctx.roots({ key: "client_roots" }),
    ]);
    return `name=${JSON.stringify(name.content)}, model=${hello.model}, roots=${roots.length}`;
  });

  server.tool("test_input_required_result_multi_round", {
    description: "Asks two questions, one after the other (MRTR over two rounds)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const first = await ctx.elicit({
      message: "Step 1: What is your name?",
      requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
    }, { key: "step1" });
    const second = await ctx.elicit({
      message: "Step 2: What is your favorite color?",
      requestedSchema: { type: "object", properties: { color: { type: "string" } }, required: ["color"] },
    }, { key: "step2" });
    return `${first.content?.name} likes ${second.content?.color}`;
  });

  server.tool("test_input_required_result_tampered_state", {
    description: "Asks for a confirmation; a tampered requestState is refused (MRTR)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const { action } = await ctx.elicit(confirmForm, { key: "confirm" });
    return `confirmed: ${action}`;
  });

  server.tool("test_input_required_result_capabilities", {
    description: "Asks only what the client declared it can answer (MRTR)",
    inputSchema: NO_ARGS,
  }, async (_args, ctx) => {
    const caps = ctx.clientCapabilities;
    const asks: Promise<unknown>[] = [];
    if (caps.elicitation) asks.push(ctx.elicit(nameForm, { key: "user_name" }));
    if (caps.sampling) asks.push(ctx.sample(greeting("Generate a greeting"), { key: "greeting" }));
    if (caps.roots) asks.push(ctx.roots({ key: "client_roots" }));
    const answers = await Promise.all(asks);
    return `${answers.length} answers`;
  });

  // --- Resources ---------------------------------------------------------
  server.resource("test://static-text", {
    name: "Static text",
    description: "A fixed text resource",
    mimeType: "text/plain",
  }, () => "This is the content of the static text resource.");

  server.resource("test://static-binary", {
    name: "Static binary",
    description: "A fixed binary resource (a PNG)",
    mimeType: "image/png",
  }, ({ uri }) => ({ uri, mimeType: "image/png", blob: PNG }));

  server.resource("test://watched-resource", {
    name: "Watched resource",
    description: "Subscribe to it: it changes every time a client calls touch_watched_resource",
    mimeType: "text/plain",
  }, () => `Watched resource, version ${watchedVersion}`);

  let watchedVersion = 1;
  server.tool("touch_watched_resource", {
    description: "Changes test://watched-resource, notifying its subscribers",
    inputSchema: NO_ARGS,
  }, () => {
    watchedVersion++;
    server.resourceUpdated("test://watched-resource");
    return `version ${watchedVersion}`;
  });

  server.resourceTemplate("test://template/{id}/data", {
    name: "Template data",
    description: "Data for any id",
    mimeType: "application/json",
    complete: { id: (value) => ["123", "456", "789"].filter((id) => id.startsWith(value)) },
  }, ({ uri, params }) =>
    resourceContents(uri, JSON.stringify({ id: params.id, templateTest: true, data: `Data for ID: ${params.id}` }), "application/json"));

  // --- Prompts -----------------------------------------------------------
  const simplePrompt = server.prompt("test_simple_prompt", {
    description: "A simple prompt without arguments",
  }, () => "This is a simple prompt for testing.");

  server.prompt("test_prompt_with_arguments", {
    description: "A prompt with two required arguments",
    arguments: [
      {
        name: "arg1",
        description: "First test argument",
        required: true,
        complete: (value) => ["paris", "park", "party", "test", "testing"].filter((v) => v.startsWith(value)),
      },
      { name: "arg2", description: "Second test argument", required: true },
    ],
  }, ({ arg1, arg2 }: { arg1: string; arg2: string }) => `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`);

  server.prompt("test_prompt_with_embedded_resource", {
    description: "A prompt that embeds a resource",
    arguments: [{ name: "resourceUri", description: "URI of the resource to embed", required: true }],
  }, ({ resourceUri }: { resourceUri: string }) => [
    embeddedResource(resourceUri, "Embedded resource content for testing.", "text/plain"),
    text("Please process the embedded resource above."),
  ]);

  server.prompt("test_input_required_result_prompt", {
    description: "A prompt that asks the user for context first (MRTR on prompts/get)",
  }, async (_args, ctx) => {
    const { content } = await ctx.elicit({
      message: "What context should the prompt use?",
      requestedSchema: { type: "object", properties: { context: { type: "string" } }, required: ["context"] },
    }, { key: "user_context" });
    return `Use this context: ${content?.context ?? "(none)"}`;
  });

  server.prompt("test_prompt_with_image", {
    description: "A prompt with an image",
  }, () => [image(PNG, "image/png"), text("Please analyze the image above.")]);

  return server;
}

// Serve when run as a program, not when a test (or examples/everything_fetch.ts) imports `everything()`.
// A Worker has no argv: there `import.meta.main` is undefined and argv[1] too.
const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined && process.argv[1] === fileURLToPath(import.meta.url));
if (isMain) {
  const server = everything();
  const { url } = await server.listen({ port: Number(process.env.PORT ?? 3000) });
  console.log(`emcee "everything" listening: ${url}/mcp (Streamable HTTP) and ${url}/sse (HTTP+SSE)`);
  console.log(`playground: ${url}/`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void server.close({ deadline: 5000 }).then(() => process.exit(0)));
  }
}
