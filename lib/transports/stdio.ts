/**
 * The stdio transport: one JSON-RPC message per line on stdin and stdout
 * (2024-11-05 onward), for clients that launch the server as a command.
 * Logs belong on stderr; stdout carries MCP only.
 *
 * Dual-era, as 2026-07-28 §stdio asks: a `server/discover` probe (or any
 * request whose `_meta` names a protocol version) is served statelessly;
 * `initialize` starts the one session-era session of the process. The probe
 * does not fix the era; an `initialize` after 2026-07-28 requests is
 * refused with -32022, and the server ends when stdin does.
 *
 * @module
 */
import type { Readable, Writable } from "node:stream";
import { dispatchNotification, dispatchRequest } from "../dispatcher.ts";
import { ErrorCode, JsonRpcError } from "../errors.ts";
import { classify, failure, parseJson, serialize } from "../jsonrpc.ts";
import {
  claimsModern,
  openListen,
  prepareModern,
  requestSession,
  runModern,
  unsupportedVersion,
  validateModernBody,
} from "../modern.ts";
import type { ModernHost } from "../modern.ts";
import { Session } from "../session.ts";
import type { JsonRpcMessage, JsonRpcRequest, RequestId } from "../types.ts";

/** Options of {@linkcode serveStdio}. */
export interface StdioOptions {
  /** Where messages arrive. Default `process.stdin`. */
  stdin?: Readable;
  /** Where messages go. Default `process.stdout`. */
  stdout?: Writable;
}

/** A running stdio transport. */
export interface StdioServing {
  /** Resolves when stdin ends (or {@linkcode StdioServing.close} is called) and everything is closed. */
  closed: Promise<void>;
  /** Stops reading and ends every session. */
  close(): void;
}

/**
 * Serves MCP over a pair of streams.
 *
 * @param host the server
 * @param options the streams (default: this process's stdin and stdout)
 */
export function serveStdio(host: ModernHost, options: Required<StdioOptions>): StdioServing {
  const { stdin, stdout } = options;
  const write = (message: JsonRpcMessage) => {
    if (!stdout.writableEnded) stdout.write(serialize(message) + "\n");
  };
  const session = new Session("stdio", write);
  host.track(session);
  const modern = new Map<RequestId, Session>();
  let era: "modern" | "legacy" | undefined;
  let buffer = "";
  let finish!: () => void;
  const closed = new Promise<void>((resolve) => (finish = resolve));

  const onRequest = (request: JsonRpcRequest, value: unknown) => {
    const { id, method } = request;
    if (claimsModern(value)) {
      let validated;
      try {
        validated = validateModernBody(host, request);
      } catch (error) {
        write(failure(id, error));
        return;
      }
      // A discover probe does not fix the era; any other 2026-07-28 request does.
      if (method !== "server/discover") era ??= "modern";
      const own = requestSession(validated.envelope, request.params ?? {}, undefined);
      host.track(own);
      modern.set(id, own);
      own.onClose(() => modern.delete(id));
      if (method === "subscriptions/listen") {
        try {
          openListen(host, request, own, write);
        } catch (error) {
          write(failure(id, error));
          own.close();
        }
        return;
      }
      void prepareModern(host, own, request).then(
        () => runModern(host, own, request, validated.handler, { send: write }).then((response) => response && write(response)),
        (error) => write(failure(id, error)),
      ).finally(() => own.close());
      return;
    }
    if (method === "initialize") {
      if (era === "modern") {
        write(failure(id, unsupportedVersion(request.params?.protocolVersion)));
        return;
      }
      era = "legacy";
    }
    void dispatchRequest(host, session, request, { send: write }).then((response) => response && write(response));
  };

  const onLine = (line: string) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = parseJson(line);
    } catch (error) {
      write(failure(null, error));
      return;
    }
    if (Array.isArray(value)) {
      write(failure(null, new JsonRpcError(ErrorCode.InvalidRequest, "Invalid request: batches are not accepted on stdio")));
      return;
    }
    const message = classify(value);
    if (message.kind === "invalid") write(failure(message.id, message.error));
    else if (message.kind === "response") session.receive(message.message);
    else if (message.kind === "request") onRequest(message.message, value);
    else {
      const requestId = message.message.params?.requestId;
      const own = message.message.method === "notifications/cancelled" && (typeof requestId === "string" || typeof requestId === "number")
        ? modern.get(requestId)
        : undefined;
      if (own) {
        // 2026-07-28 stdio: cancellation stops a call or a listen, and nothing more is sent for it.
        own.cancelled = true;
        own.close();
      } else dispatchNotification(session, message.message, host);
    }
  };

  const onData = (chunk: Buffer | string) => {
    buffer += chunk.toString();
    if (buffer.length > host.maxBodyBytes && !buffer.includes("\n")) {
      buffer = "";
      write(failure(null, new JsonRpcError(ErrorCode.InvalidRequest, `Invalid request: a line longer than ${host.maxBodyBytes} bytes`)));
      return;
    }
    let newline: number;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      onLine(line);
    }
  };

  const close = () => {
    stdin.off("data", onData);
    stdin.off("end", close);
    for (const own of modern.values()) own.close();
    session.close();
    finish();
  };
  stdin.setEncoding?.("utf8");
  stdin.on("data", onData);
  stdin.once("end", close);
  return { closed, close };
}
