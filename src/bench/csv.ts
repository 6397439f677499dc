/**
 * A small RFC 4180 CSV reader for the benchmark's own needs: truth CSVs (`path,label`) and cutting a subset of rows
 * out of a CSV data file. It keeps each record's raw source text, so a subset file can be written byte-for-byte.
 * Quoted fields may hold commas, doubled quotes and line breaks; CRLF and LF both end records; a UTF-8 BOM is
 * dropped. Empty lines produce no record (a line of spaces does, as in the engine's CSV reader).
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts (for error messages). */
  line: number;
  /** The record's raw text without its line ending. */
  raw: string;
}

export class CsvError extends Error {
  override name = 'CsvError';
}

/** Splits CSV text into records. Throws CsvError on an unterminated quoted field. */
export function parseCsv(text: string): CsvRecord[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = i;
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let wasQuoted = false;
    for (;;) {
      if (i >= n) {
        if (quoted) throw new CsvError(`line ${startLine}: unterminated quoted field`);
        break;
      }
      const ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
          }
        } else {
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
        continue;
      }
      if (ch === '"' && field === '' && !wasQuoted) {
        quoted = true;
        wasQuoted = true;
        i++;
      } else if (ch === ',') {
        fields.push(field);
        field = '';
        wasQuoted = false;
        i++;
      } else if (ch === '\r' || ch === '\n') {
        break;
      } else {
        field += ch;
        i++;
      }
    }
    fields.push(field);
    let end = i;
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    if (i > end) line++;
    if (end > start && text[end - 1] === '\r') end--;
    const raw = text.slice(start, end);
    if (raw === '' && fields.length === 1) continue;
    out.push({ fields, line: startLine, raw });
  }
  return out;
}

/** Quotes a field when it needs it. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}
