/**
 * Medians and a plain-text table: one block per transport, one column per
 * server, each cell the median and its ratio to the first column (the bare
 * floor, 1.00×). Pure: strings in, a string out.
 *
 * @module
 */

/** One row of a block: a metric's median per server. */
export interface Row {
  label: string;
  /** Median per server name; undefined when not measured. */
  values: Record<string, number | undefined>;
  /** Digits after the point. Default 0. */
  digits?: number;
  /** Whether to print the ratio to the floor. Default true. */
  ratio?: boolean;
}

/** One block: a title (the transport) and its rows. */
export interface Block {
  title: string;
  rows: Row[];
}

/** The median of the finite numbers in `values` (NaN when there are none). */
export function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function formatNumber(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatRatio(value: number | undefined, floor: number | undefined): string {
  // A floor near zero, or a negative value (a bare session's few bytes inside RSS noise), gives no meaningful ratio.
  if (value === undefined || floor === undefined || !(value >= 0) || !Number.isFinite(value) || !(floor > 0.05)) return "";
  return `${(value / floor).toFixed(2)}×`;
}

/**
 * Renders blocks side by side in columns.
 *
 * @param blocks one per transport
 * @param servers column order; the first is the floor the ratios divide by
 * @returns the table, lines joined with LF
 * @example
 * ```ts
 * renderTable([{ title: "HTTP+SSE", rows: [{ label: "calls/s", values: { bare: 2e4, emcee: 1e4 } }] }], ["bare", "emcee"]);
 * // HTTP+SSE  bare           emcee
 * // calls/s   20,000 1.00×   10,000 0.50×
 * ```
 */
export function renderTable(blocks: Block[], servers: string[]): string {
  const lines: string[][] = [];
  for (const block of blocks) {
    lines.push([block.title, ...servers]);
    for (const row of block.rows) {
      const floor = row.values[servers[0]!];
      lines.push([row.label, ...servers.map((server) => {
        const value = row.values[server];
        const number = formatNumber(value, row.digits ?? 0);
        return row.ratio === false ? number : `${number} ${formatRatio(value, floor)}`.trimEnd();
      })]);
    }
    lines.push([]);
  }
  const widths: number[] = [];
  for (const line of lines) line.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return lines.map((line) =>
    line.map((cell, i) => i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]!)).join("   ").trimEnd()
  ).join("\n").trimEnd();
}
