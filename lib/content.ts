/**
 * Small pure functions that build content blocks, so a tool can
 * `return [text("…"), image(bytes, "image/png")]`.
 *
 * @module
 */
import type {
  Annotations,
  AudioContent,
  EmbeddedResource,
  ImageContent,
  ResourceContents,
  ResourceLink,
  TextContent,
} from "./types.ts";

/**
 * Encodes bytes as base64 without `Buffer`, so it runs everywhere.
 *
 * @param bytes the bytes
 * @returns standard base64 with padding
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function data(value: Uint8Array | string): string {
  return typeof value === "string" ? value : toBase64(value);
}

function annotate<T extends object>(block: T, annotations: Annotations | undefined): T {
  return annotations ? { ...block, annotations } : block;
}

/**
 * A text block.
 *
 * @example
 * ```ts
 * text("hello"); // { type: "text", text: "hello" }
 * ```
 */
export function text(value: string, annotations?: Annotations): TextContent {
  return annotate({ type: "text", text: value }, annotations);
}

/**
 * An image block.
 *
 * @param bytes raw bytes, or a string already in base64
 * @param mimeType e.g. `image/png`
 */
export function image(bytes: Uint8Array | string, mimeType: string, annotations?: Annotations): ImageContent {
  return annotate({ type: "image", data: data(bytes), mimeType }, annotations);
}

/**
 * An audio block (2025-03-26).
 *
 * @param bytes raw bytes, or a string already in base64
 * @param mimeType e.g. `audio/wav`
 */
export function audio(bytes: Uint8Array | string, mimeType: string, annotations?: Annotations): AudioContent {
  return annotate({ type: "audio", data: data(bytes), mimeType }, annotations);
}

/**
 * A link to a resource (2025-06-18); it need not appear in `resources/list`.
 *
 * @example
 * ```ts
 * resourceLink("file:///README.md", "README", { mimeType: "text/markdown" });
 * ```
 */
export function resourceLink(
  uri: string,
  name: string,
  extra: Omit<ResourceLink, "type" | "uri" | "name"> = {},
): ResourceLink {
  return { type: "resource_link", uri, name, ...extra };
}

/**
 * A resource embedded in content: text for a string, base64 `blob` for bytes.
 *
 * @example
 * ```ts
 * embeddedResource("test://doc", "# Title", "text/markdown");
 * ```
 */
export function embeddedResource(
  uri: string,
  contents: string | Uint8Array,
  mimeType?: string,
  annotations?: Annotations,
): EmbeddedResource {
  return annotate({ type: "resource", resource: resourceContents(uri, contents, mimeType) }, annotations);
}

/**
 * The contents of a resource as `resources/read` returns them.
 *
 * @param uri the resource URI
 * @param contents a string becomes `text`, bytes become base64 `blob`
 * @param mimeType defaults to `text/plain` for text and `application/octet-stream` for bytes
 */
export function resourceContents(uri: string, contents: string | Uint8Array, mimeType?: string): ResourceContents {
  return typeof contents === "string"
    ? { uri, mimeType: mimeType ?? "text/plain", text: contents }
    : { uri, mimeType: mimeType ?? "application/octet-stream", blob: toBase64(contents) };
}
