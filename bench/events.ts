/**
 * An incremental `text/event-stream` parser (WHATWG HTML §9.2.6, the parts
 * MCP servers use): lines end in CR, LF or CRLF; `:` lines are comments; an
 * empty line dispatches the event; several `data:` lines join with LF.
 *
 * @module
 */

/** One dispatched event. `event` defaults to `message`. */
export interface ServerEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Feeds text in any slicing and calls `onEvent` for each complete event.
 *
 * @example
 * ```ts
 * const parser = new EventParser((e) => console.log(e.event, e.data));
 * parser.feed("event: endpoint\ndata: /messages?sessionId=1\n");
 * parser.feed("\n"); // → endpoint /messages?sessionId=1
 * ```
 */
export class EventParser {
  #onEvent: (event: ServerEvent) => void;
  #rest = "";
  #event = "";
  #data: string[] = [];
  #id: string | undefined;

  /** @param onEvent called once per dispatched event */
  constructor(onEvent: (event: ServerEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Parses a slice of the stream. */
  feed(text: string): void {
    const buf = this.#rest + text;
    let start = 0;
    for (;;) {
      const lf = buf.indexOf("\n", start);
      const cr = buf.indexOf("\r", start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      // A CR at the very end may be the first half of a CRLF: wait for more.
      if (end === cr && cr === buf.length - 1) break;
      this.#line(buf.slice(start, end));
      start = end + (end === cr && buf[cr + 1] === "\n" ? 2 : 1);
    }
    this.#rest = buf.slice(start);
  }

  #line(line: string): void {
    if (line === "") {
      // One empty data line is a priming event (2025-11-25): nothing to dispatch.
      if (this.#data.length > 1 || (this.#data.length === 1 && this.#data[0] !== "")) {
        this.#onEvent({ event: this.#event || "message", data: this.#data.join("\n"), id: this.#id });
      }
      this.#event = "";
      this.#data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id") this.#id = value;
  }
}

/** Every event of a complete event-stream body. */
export function parseEvents(body: string): ServerEvent[] {
  const events: ServerEvent[] = [];
  const parser = new EventParser((event) => events.push(event));
  parser.feed(body.endsWith("\n\n") ? body : body + "\n\n");
  return events;
}
