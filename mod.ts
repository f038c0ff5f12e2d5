/**
 * emcee: MCP servers from plain async functions, over HTTP+SSE, Streamable
 * HTTP and stdio, with zero runtime dependencies.
 *
 * @example
 * ```ts
 * import { createServer } from "./mod.ts";
 *
 * const server = createServer({ name: "demo", version: "1.0.0" });
 * server.tool("add", {
 *   description: "Add two numbers",
 *   inputSchema: {
 *     type: "object",
 *     properties: { a: { type: "number" }, b: { type: "number" } },
 *     required: ["a", "b"],
 *   },
 * }, async ({ a, b }) => a + b);
 * const { url } = await server.listen({ port: 3000 });
 * console.log(`${url}/sse`);
 * ```
 *
 * @module
 */
export { createServer, McpServer } from "./lib/server.ts";
export type { CloseOptions, ListenOptions, Listening, RouteHandler, ServerOptions } from "./lib/server.ts";
export { AuthError } from "./lib/auth.ts";
export type { StdioOptions, StdioServing } from "./lib/transports/stdio.ts";
export { MODERN_VERSIONS } from "./lib/modern.ts";
export type { CacheHint } from "./lib/resources.ts";
export type { Authenticate, AuthErrorOptions, ResourceMetadata } from "./lib/auth.ts";
export type { CorsOptions } from "./lib/cors.ts";
export type { PlaygroundOptions } from "./lib/playground.ts";
export type { AskOptions, Context, ElicitRequest, ElicitResult, Root, SamplingRequest, SamplingResult } from "./lib/context.ts";
export type { ToolDefinition, ToolFunction } from "./lib/tools.ts";
export type { FromSchema, PromptArgs, ToolArgs, ToolHandler, ToolResult } from "./lib/infer.ts";
export type { Prompt, PromptArgument, PromptDefinition, PromptFunction, PromptMessage } from "./lib/prompts.ts";
export type { ResourceDefinition, ResourceReader, ResourceRequest, ResourceTemplateDefinition } from "./lib/resources.ts";
export type { Completer, Completion } from "./lib/completion.ts";
export { audio, embeddedResource, image, resourceContents, resourceLink, text, toBase64 } from "./lib/content.ts";
export { parseUriTemplate } from "./lib/uri_template.ts";
export type { UriTemplate } from "./lib/uri_template.ts";
export type { Registered } from "./lib/registry.ts";
export { ClientError, ErrorCode, HttpError, JsonRpcError } from "./lib/errors.ts";
export { MemoryBus } from "./lib/cluster/bus.ts";
export type { BusListener, SessionBus } from "./lib/cluster/bus.ts";
export { RedisBus } from "./lib/cluster/redis.ts";
export type { RedisBusOptions, RedisCommands, RedisSubscriber } from "./lib/cluster/redis.ts";
export { RedisEventStore } from "./lib/cluster/redis_event_store.ts";
export type { RedisEventStoreOptions } from "./lib/cluster/redis_event_store.ts";
export type { ClusterOptions } from "./lib/cluster/cluster.ts";
export { MemoryEventStore } from "./lib/event_store.ts";
export type { EventStore, Replay, StoredEvent } from "./lib/event_store.ts";
export type { GuardOptions } from "./lib/guard.ts";
export { Router } from "./lib/router.ts";
export type { RouteMatch } from "./lib/router.ts";
export { encodeComment, encodeEvent, SseWriter } from "./lib/sse.ts";
export type { SseEvent, SseWriterOptions } from "./lib/sse.ts";
export { compileSchema, formatProblems } from "./lib/schema.ts";
export type { JsonSchema, SchemaProblem, Validator } from "./lib/schema.ts";
export { LATEST_LEGACY_VERSION, LEGACY_VERSIONS } from "./lib/versions.ts";
export { LOG_LEVELS } from "./lib/types.ts";
export type * from "./lib/types.ts";
