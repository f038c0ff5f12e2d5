/**
 * Every feature of emcee in one server, and exactly the fixtures the
 * official MCP conformance suite expects of a server under test.
 *
 *   npx tsx examples/everything.ts
 *   Streamable HTTP (2025-03-26 … 2025-11-25):  http://127.0.0.1:3000/mcp
 *   HTTP+SSE (2024-11-05):                       http://127.0.0.1:3000/sse
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

  server.tool("echo", {
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
  server.prompt("test_simple_prompt", {
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

  server.prompt("test_prompt_with_image", {
    description: "A prompt with an image",
  }, () => [image(PNG, "image/png"), text("Please analyze the image above.")]);

  return server;
}

// Serve when run as a program, not when a test imports `everything()`.
const isMain = (import.meta as { main?: boolean }).main ?? process.argv[1] === fileURLToPath(import.meta.url);
if (isMain) {
  const server = everything();
  const { url } = await server.listen({ port: Number(process.env.PORT ?? 3000) });
  console.log(`emcee "everything" listening: ${url}/mcp (Streamable HTTP) and ${url}/sse (HTTP+SSE)`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void server.close({ deadline: 5000 }).then(() => process.exit(0)));
  }
}
