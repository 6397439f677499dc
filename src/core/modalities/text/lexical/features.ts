/**
 * Sparse lexical features of a text document, for the text heads (src/core/modalities/text/lexical/nbem.ts): hashed counts of
 *
 *   - words (lowercase letters/digits with inner ' _ - . @, the same word shape as tokenizer.ts plus dotted names),
 *   - word bigrams,
 *   - "field" tokens: in lines shaped `Name: value` (and their indented continuation lines) — headers of e-mails,
 *     HTTP or MIME parts, YAML-like front matter, log records — every word of the value also counts as
 *     `name=word`, and the field name itself as `name:`. Nothing here knows which fields exist; any document with
 *     such lines gets them, any other document gets words and bigrams only.
 *
 * Each feature is hashed (FNV-1a) into `buckets` ids; a document is a sparse vector (ids ascending, counts).
 * Deterministic and pure: the same text always gives the same vector, so it needs no fitted state beyond
 * `buckets` and can be recomputed for any folder (e.g. a held-out test set) without a vocabulary.
 */

export interface SparseDoc {
  /** Feature ids, ascending, distinct. */
  ids: Int32Array;
  /** Count of each id (same length as ids). */
  counts: Float32Array;
}

export interface TextFeatureOptions {
  /** Hash buckets (default 2^18). */
  buckets?: number;
  /** Add word bigrams (default true). */
  bigrams?: boolean;
  /** Add `name=word` / `name:` tokens for `Name: value` lines (default true). */
  fields?: boolean;
  /** Characters of a document looked at (default 100,000). */
  maxChars?: number;
  /**
   * Which part of the document: 'all' (default); 'fields': only the `Name: value` lines (as `name:`, `name=word`);
   * 'body': only the other lines (words and bigrams) — two views of one document, for co-training.
   */
  view?: 'all' | 'fields' | 'body';
}

export const TEXT_FEATURE_DEFAULTS = { buckets: 1 << 18, bigrams: true, fields: true, maxChars: 100_000 };

const WORD_RE = /[\p{L}\p{N}](?:[\p{L}\p{N}'_@-]|\.(?=[\p{L}\p{N}]))*/gu;
const FIELD_RE = /^([A-Za-z][A-Za-z0-9_-]{0,40}):[ \t]/;

export { fnv1a } from '../../../util/hash';
import { fnv1a } from '../../../util/hash';

/** Words of a line (lowercased, at most 40 chars each; dotted names are also split into their parts). */
export function wordsOf(line: string): string[] {
  const out: string[] = [];
  for (const m of line.toLowerCase().matchAll(WORD_RE)) {
    const w = m[0];
    if (w.length > 40) continue;
    out.push(w);
    if (w.includes('.') || w.includes('@')) for (const part of w.split(/[.@]/)) if (part && part !== w) out.push(part);
  }
  return out;
}

/** The string features of a text (before hashing); exported for tests and inspection. */
export function textFeatureStrings(text: string, o: TextFeatureOptions = {}): string[] {
  const maxChars = o.maxChars ?? TEXT_FEATURE_DEFAULTS.maxChars;
  const bigrams = o.bigrams ?? TEXT_FEATURE_DEFAULTS.bigrams;
  const fields = o.fields ?? TEXT_FEATURE_DEFAULTS.fields;
  const t = text.length > maxChars ? text.slice(0, maxChars) : text;
  const out: string[] = [];
  const view = o.view ?? 'all';
  let field: string | undefined;
  let prev: string | undefined;
  for (const line of t.split(/\r?\n/)) {
    let body = line;
    if (fields) {
      const m = FIELD_RE.exec(line);
      if (m) {
        field = m[1].toLowerCase();
        if (view !== 'body') out.push(`${field}:`);
        body = line.slice(m[0].length);
      } else if (!(field && /^[ \t]/.test(line))) {
        field = undefined;
      }
    }
    if (view === 'fields' && !field) continue;
    if (view === 'body' && field) continue;
    const ws = wordsOf(body);
    for (const w of ws) {
      if (view === 'all' || !field) out.push(w);
      if (field) out.push(`${field}=${w}`);
      if (bigrams && prev !== undefined && !w.includes('.')) out.push(`${prev} ${w}`);
      if (!w.includes('.')) prev = w;
    }
    if (line.trim() === '') prev = undefined;
  }
  return out;
}

/** The hashed sparse vector (ids ascending, counts) of a text. */
export function textFeatures(text: string, o: TextFeatureOptions = {}): SparseDoc {
  const B = o.buckets ?? TEXT_FEATURE_DEFAULTS.buckets;
  const m = new Map<number, number>();
  for (const f of textFeatureStrings(text, o)) {
    const id = fnv1a(f) % B;
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  const ids = Int32Array.from(m.keys()).sort();
  const counts = Float32Array.from(ids, (id) => m.get(id)!);
  return { ids, counts };
}
