/**
 * Rows of line-based data files: an incremental RFC-4180 CSV parser, a JSONL line reader, and `readRawRows`, which
 * streams one JSONL/CSV file (1 MB chunks, async, cancellable) and reports every data row with its 1-based row number
 * and the 1-based line it starts on. Both the scan and `loadTexts` use it, so row numbers always agree.
 *
 * Rules (shared by scan and load):
 * - Row numbers count data rows only: the CSV header and blank lines are not counted (a malformed row IS counted, so
 *   fixing it does not renumber the rows after it).
 * - CSV: comma-separated, fields may be quoted ("a ""quoted"" word", newlines inside quotes), CRLF / LF / CR line
 *   breaks, UTF-8 (a BOM is ignored). Malformed rows — an unterminated quote, text after a closing quote, a wrong
 *   number of fields — are reported with their row, line and reason; parsing resumes on the next line.
 * - CSV text column: the header column named like the text field (exact, else case-insensitive); if there is no such
 *   column but exactly one column, that one.
 * - JSONL: one JSON object per line; a line that is not valid UTF-8, not JSON, or not an object is a bad row.
 * - The text of a row must be a non-blank string.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { ItemError, throwIfAborted } from './errors';

export type RowFormat = 'jsonl' | 'csv';

/** The row format of a file name (.jsonl/.ndjson → jsonl, .csv → csv), or undefined. */
export function rowFormatOf(file: string): RowFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  return undefined;
}

// ───────────────────────────── CSV ─────────────────────────────

/** One CSV record. `line` is the 1-based line it starts on; `error` is set for a malformed record. */
export interface CsvRecord {
  fields: string[];
  line: number;
  error?: string;
  /** An empty line (no characters at all). */
  blank: boolean;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

const enum St {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
  SkipToEol,
}

/**
 * Incremental RFC-4180 parser: `push` text chunks (any split, even inside a quoted field or a CRLF), then `end`.
 * Never throws on bad input: malformed records come out with `error` set.
 */
export class CsvParser {
  private st: St = St.FieldStart;
  private fields: string[] = [];
  private field = '';
  private quotedAny = false;
  private line = 1;
  private recLine = 1;
  private skipLf = false;
  private error: string | undefined;
  /** Raw text of the current record from chunks already consumed (for recovery from an unterminated quote). */
  private rawCarry = '';
  /** Offset, within the record's raw text, of the quote that opened the current quoted field; and its line. */
  private quoteOff = 0;
  private quoteLine = 1;
  private rawLen = 0;
  /** The previous character, inside a quoted field, was a CR (so a following LF is the same line break). */
  private quotedCR = false;

  constructor(private readonly onRecord: (r: CsvRecord) => void) {}

  push(s: string): void {
    let text: string | undefined = s;
    while (text !== undefined) text = this.pushOnce(text);
  }

  /** Parses one chunk; returns text to parse again after recovering from a bad multi-line quoted field. */
  private pushOnce(s: string): string | undefined {
    let seg = 0; // start of the pending literal segment (Unquoted / Quoted states)
    let rec = 0; // start of the current record within s
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const ch = s.charCodeAt(i);
      if (this.skipLf) {
        this.skipLf = false;
        if (ch === LF) {
          rec = i + 1;
          continue;
        }
      }
      switch (this.st) {
        case St.FieldStart:
          if (ch === QUOTE) {
            this.st = St.Quoted;
            this.quotedAny = true;
            this.quoteOff = this.rawLen + (i - rec);
            this.quoteLine = this.line;
            this.quotedCR = false;
            seg = i + 1;
          } else if (ch === COMMA) {
            this.fields.push('');
          } else if (ch === LF || ch === CR) {
            this.fields.push('');
            this.endRecord(ch);
            rec = i + 1;
          } else {
            this.st = St.Unquoted;
            seg = i;
          }
          break;
        case St.Unquoted:
          if (ch === COMMA) {
            this.fields.push(this.field + s.slice(seg, i));
            this.field = '';
            this.st = St.FieldStart;
          } else if (ch === LF || ch === CR) {
            this.fields.push(this.field + s.slice(seg, i));
            this.field = '';
            this.endRecord(ch);
            rec = i + 1;
          }
          // a quote inside an unquoted field is kept literally (lenient, as most spreadsheets do)
          break;
        case St.Quoted:
          if (ch === QUOTE) {
            this.field += s.slice(seg, i);
            this.st = St.QuoteInQuoted;
          } else if (ch === LF) {
            if (!this.quotedCR) this.line++;
          } else if (ch === CR) {
            this.line++;
          }
          this.quotedCR = ch === CR;
          break;
        case St.QuoteInQuoted:
          if (ch === QUOTE) {
            this.field += '"';
            this.st = St.Quoted;
            seg = i + 1;
          } else if (ch === COMMA) {
            this.fields.push(this.field);
            this.field = '';
            this.st = St.FieldStart;
          } else if (ch === LF || ch === CR) {
            this.fields.push(this.field);
            this.field = '';
            this.endRecord(ch);
            rec = i + 1;
          } else if (this.quoteLine < this.line) {
            // The quoted field ran over line breaks and then went wrong: most likely a stray quote swallowed the
            // next lines. Report the record and parse again from the line after the opening quote.
            return this.recover(
              this.rawCarry + s.slice(rec),
              `bad quoted field (quote opened on line ${this.quoteLine} is closed on line ${this.line} and followed by text)`,
            );
          } else {
            this.error = `unexpected character after a closing quote (line ${this.line})`;
            this.st = St.SkipToEol;
          }
          break;
        case St.SkipToEol:
          if (ch === LF || ch === CR) {
            this.endRecord(ch);
            rec = i + 1;
          }
          break;
      }
    }
    // Carry the unfinished literal segment and the record's raw text over to the next chunk.
    if (this.st === St.Unquoted || this.st === St.Quoted) this.field += s.slice(seg);
    if (rec < n) {
      this.rawCarry += s.slice(rec);
      this.rawLen += n - rec;
    }
    return undefined;
  }

  /**
   * Reports the current (bad) record and resets the parser to the line after the quote that opened its quoted
   * field. `raw` is the record's raw text from its start; returns the part of it to parse again.
   */
  private recover(raw: string, error: string): string | undefined {
    const qLine = this.quoteLine;
    this.onRecord({ fields: this.fields, line: this.recLine, error, blank: false });
    this.fields = [];
    this.field = '';
    this.quotedAny = false;
    this.quotedCR = false;
    this.error = undefined;
    this.rawCarry = '';
    this.rawLen = 0;
    this.st = St.FieldStart;
    this.skipLf = false;
    this.line = qLine + 1;
    this.recLine = this.line;
    for (let i = this.quoteOff; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c === LF || c === CR) {
        if (c === CR && i + 1 === raw.length) this.skipLf = true;
        return raw.slice(i + (c === CR && raw.charCodeAt(i + 1) === LF ? 2 : 1));
      }
    }
    return undefined;
  }

  /** Ends a record at a line break character (CR or LF). */
  private endRecord(ch: number): void {
    const blank = this.fields.length === 1 && this.fields[0] === '' && !this.quotedAny && !this.error;
    this.onRecord({ fields: this.fields, line: this.recLine, error: this.error, blank });
    this.fields = [];
    this.field = '';
    this.quotedAny = false;
    this.error = undefined;
    this.rawCarry = '';
    this.rawLen = 0;
    this.st = St.FieldStart;
    this.line++;
    this.recLine = this.line;
    if (ch === CR) this.skipLf = true;
  }

  /** Flushes the last record (a file need not end with a line break). */
  end(): void {
    while (this.st === St.Quoted) {
      // Unterminated quote: report the record, then parse again from the line after the opening quote.
      const replay = this.recover(this.rawCarry, `unterminated quoted field (quote opened on line ${this.quoteLine})`);
      if (replay === undefined) return;
      this.push(replay);
    }
    if (this.st === St.Unquoted || this.st === St.QuoteInQuoted) this.fields.push(this.field);
    if (this.fields.length > 0 || this.st === St.SkipToEol) {
      const blank = this.fields.length === 1 && this.fields[0] === '' && !this.quotedAny && !this.error;
      this.onRecord({ fields: this.fields, line: this.recLine, error: this.error, blank });
    }
    this.fields = [];
    this.field = '';
    this.st = St.FieldStart;
  }
}

/** Parses a whole CSV text into records (blank lines included, flagged `blank`). */
export function parseCsv(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  const p = new CsvParser((r) => out.push(r));
  p.push(text);
  p.end();
  return out;
}

/** RFC-4180 quoting of one field: quoted when it holds a comma, quote, CR or LF (or starts/ends with a space). */
export function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (with CRLF line ending, as RFC 4180 says). */
export function csvLine(fields: string[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

/**
 * The index of the text column in a CSV header, or a reason the file has none: the column named `textField`
 * (exact, then case-insensitive); else the only column.
 */
export function csvTextColumn(header: string[], textField: string): number | { reason: string } {
  const names = header.map((h) => h.trim());
  let i = names.indexOf(textField);
  if (i < 0) {
    const lower = textField.toLowerCase();
    i = names.findIndex((h) => h.toLowerCase() === lower);
  }
  if (i >= 0) return i;
  if (names.length === 1) return 0;
  const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ', …' : '');
  return { reason: `no column named "${textField}" (columns: ${shown}); set the text field` };
}

// ───────────────────────────── JSONL ─────────────────────────────

/** Parses one JSONL line into an object, or gives the reason it is a bad row. */
export function parseJsonlLine(line: string): { value: Record<string, unknown> } | { reason: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    const msg = (e as Error).message;
    return { reason: `invalid JSON (${msg.length > 80 ? msg.slice(0, 80) + '…' : msg})` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return { reason: `not a JSON object (${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v})` };
  }
  return { value: v as Record<string, unknown> };
}

/** The text of a JSONL row: the string in `field`, non-blank. */
export function jsonRowText(value: Record<string, unknown>, field: string): { text: string } | { reason: string } {
  const v = value[field];
  if (v === undefined) return { reason: `no "${field}" field` };
  if (typeof v !== 'string')
    return { reason: `"${field}" is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`}, not text` };
  if (v.trim() === '') return { reason: `empty "${field}"` };
  return { text: v };
}

/** The text of a CSV row in column `col`, non-blank. */
export function csvRowText(fields: string[], col: number, header: string[]): { text: string } | { reason: string } {
  const v = fields[col] ?? '';
  if (v.trim() === '') return { reason: `empty "${header[col]?.trim() ?? col}" column` };
  return { text: v };
}

// ───────────────────────────── streaming a row file ─────────────────────────────

/** One data row as read from the file, before picking its text. */
export type RawRow =
  | { row: number; line: number; kind: 'json'; value: Record<string, unknown> }
  | { row: number; line: number; kind: 'csv'; fields: string[] }
  | { row: number; line: number; kind: 'bad'; reason: string };

export interface RowFileStats {
  /** Bytes read. */
  bytes: number;
  /** sha256 of the file bytes, hex, truncated to 32 characters. */
  hash: string;
  /** CSV: the header row (undefined for JSONL, or a CSV with no rows at all). */
  header?: string[];
  /** Data rows seen (including bad ones). */
  rows: number;
}

export interface ReadRowsOptions {
  signal?: AbortSignal;
  /** Called with the CSV header before any row; may throw (an ItemError) to stop reading the file. */
  onHeader?: (header: string[]) => void;
  /** Chunk size for reading, default 1 MB. */
  chunkBytes?: number;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Streams a JSONL or CSV file, calling `onRow` for every data row in order. Throws ItemError for problems with the
 * whole file (a CSV that is not UTF-8, a missing file …) and an AbortError when `signal` fires.
 */
export async function readRawRows(
  absPath: string,
  format: RowFormat,
  onRow: (r: RawRow) => void,
  opts: ReadRowsOptions = {},
): Promise<RowFileStats> {
  const hasher = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  let header: string[] | undefined;
  const stream = fs.createReadStream(absPath, { highWaterMark: opts.chunkBytes ?? 1 << 20 });
  try {
    if (format === 'jsonl') {
      let parts: Buffer[] = []; // an unfinished line, kept as pieces (no quadratic copying of very long lines)
      let line = 0;
      let first = true;
      const handleLine = (buf: Buffer) => {
        line++;
        let end = buf.length;
        if (end > 0 && buf[end - 1] === CR) end--;
        let start = 0;
        if (first) {
          first = false;
          if (buf.subarray(0, 3).equals(BOM)) start = 3;
        }
        const b = buf.subarray(start, end);
        // blank lines (spaces/tabs only) are not rows
        let blank = true;
        for (let k = 0; k < b.length; k++) {
          const c = b[k];
          if (c !== 32 && c !== 9 && c !== CR) {
            blank = false;
            break;
          }
        }
        if (blank) return;
        rows++;
        if (!isUtf8(b)) {
          onRow({ row: rows, line, kind: 'bad', reason: 'not valid UTF-8' });
          return;
        }
        const r = parseJsonlLine(b.toString('utf8'));
        if ('reason' in r) onRow({ row: rows, line, kind: 'bad', reason: r.reason });
        else onRow({ row: rows, line, kind: 'json', value: r.value });
      };
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        throwIfAborted(opts.signal, 'reading rows');
        hasher.update(chunk);
        bytes += chunk.length;
        let nl = chunk.indexOf(LF);
        if (nl < 0) {
          parts.push(chunk);
          continue;
        }
        handleLine(parts.length ? Buffer.concat([...parts, chunk.subarray(0, nl)]) : chunk.subarray(0, nl));
        parts = [];
        let from = nl + 1;
        while ((nl = chunk.indexOf(LF, from)) >= 0) {
          handleLine(chunk.subarray(from, nl));
          from = nl + 1;
        }
        if (from < chunk.length) parts.push(chunk.subarray(from));
      }
      if (parts.length) handleLine(Buffer.concat(parts));
    } else {
      const decoder = new TextDecoder('utf-8', { fatal: true });
      const parser = new CsvParser((r) => {
        if (r.blank) return;
        if (!header) {
          if (r.error) throw new ItemError(`malformed CSV header (line ${r.line}: ${r.error})`);
          header = r.fields;
          opts.onHeader?.(header);
          return;
        }
        rows++;
        if (r.error) onRow({ row: rows, line: r.line, kind: 'bad', reason: r.error });
        else if (r.fields.length !== header.length) {
          onRow({
            row: rows,
            line: r.line,
            kind: 'bad',
            reason: `expected ${header.length} field${header.length === 1 ? '' : 's'}, found ${r.fields.length}`,
          });
        } else onRow({ row: rows, line: r.line, kind: 'csv', fields: r.fields });
      });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        throwIfAborted(opts.signal, 'reading rows');
        hasher.update(chunk);
        let text: string;
        try {
          text = decoder.decode(chunk, { stream: true });
        } catch {
          throw new ItemError(`not valid UTF-8 text (near byte ${bytes}); save the file as UTF-8`);
        }
        bytes += chunk.length;
        parser.push(text);
      }
      let rest: string;
      try {
        rest = decoder.decode();
      } catch {
        throw new ItemError('not valid UTF-8 text (the file ends inside a character); save the file as UTF-8');
      }
      if (rest) parser.push(rest);
      parser.end();
    }
  } finally {
    stream.destroy();
  }
  return { bytes, hash: hasher.digest('hex').slice(0, 32), header, rows };
}
