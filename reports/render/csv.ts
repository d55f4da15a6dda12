/**
 * Deterministic CSV for report data files (csv-stringify's quoting), in its
 * own module so that what only writes files does not load csv-stringify.
 *
 * @module
 */

import { stringify } from "csv-stringify/sync";

/** Options of {@link toCsv}. */
export interface CsvOptions {
  /**
   * Columns, in order. @default the keys of the rows in order of first
   * appearance (the first row's keys, then keys only later rows have)
   */
  columns?: readonly string[];
  /** Line ending. @default "\n" */
  lineEnding?: "\n" | "\r\n";
}

/**
 * Formats rows as CSV: a header line, then one line per row, each line
 * ending in `lineEnding` (the last one too). A cell is quoted when it holds
 * a comma, a double quote, a carriage return or a line feed, with inner
 * quotes doubled (RFC 4180); `true` and `false` are written as words, null
 * and undefined as empty cells, and any other object is a TypeError. The
 * quoting is csv-stringify's.
 *
 * @example
 * ```ts
 * import { toCsv } from "./csv.ts";
 * const csv = toCsv([{ policy: "cfs", note: 'a "b", c' }, { policy: "sol", note: null }]);
 * if (csv !== 'policy,note\ncfs,"a ""b"", c"\nsol,\n') throw new Error(csv);
 * ```
 */
export function toCsv<Row extends object>(rows: readonly Row[], options: CsvOptions = {}): string {
  const columns = options.columns ?? columnsOf(rows);
  // csv-stringify prints nothing without columns: an empty header and an empty line per row.
  if (columns.length === 0) return (options.lineEnding ?? "\n").repeat(rows.length + 1);
  return stringify(rows as unknown as Record<string, unknown>[], {
    header: true,
    columns: [...columns],
    record_delimiter: options.lineEnding ?? "\n",
    // Its default quotes a line feed only as part of the record delimiter.
    quoted_match: /[\r\n]/,
    cast: {
      boolean: (value) => String(value),
      object: (_, context) => {
        throw new TypeError(
          `CSV column "${context.column ?? ""}" holds an object: expected a string, number or ` +
            "boolean",
        );
      },
    },
  });
}

function columnsOf(rows: readonly object[]): string[] {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return columns;
}
