/**
 * Subword features of a text: hashed character n-grams of its words (n = 3…5 by default, each word padded with a
 * space at both ends, as fastText does), for texts whose classes show in word parts — inflections, compounds,
 * identifiers (snake_case, dotted names), other languages — rather than in whole words. Same sparse form and
 * hashing as ./features.ts (ids ascending, counts), with a prefix so n-grams and words never share a string.
 *
 *   charNgramFeatures(text, {buckets, minN, maxN, maxChars}) → SparseDoc
 *   mergeDocs(a, b) → the sum of two sparse documents
 */
import { fnv1a, type SparseDoc } from './features';

export interface CharNgramOptions {
  buckets: number;
  /** Shortest n-gram (default 3). */
  minN?: number;
  /** Longest n-gram (default 5). */
  maxN?: number;
  /** Characters of the text looked at (default 3,000: n-grams of long documents add little and cost much). */
  maxChars?: number;
}

export const CHAR_NGRAM_DEFAULTS = { minN: 3, maxN: 5, maxChars: 3000 };

const WORD = /[\p{L}\p{N}_]+/gu;

export function charNgramFeatures(text: string, o: CharNgramOptions): SparseDoc {
  const minN = o.minN ?? CHAR_NGRAM_DEFAULTS.minN;
  const maxN = o.maxN ?? CHAR_NGRAM_DEFAULTS.maxN;
  const maxChars = o.maxChars ?? CHAR_NGRAM_DEFAULTS.maxChars;
  const t = (text.length > maxChars ? text.slice(0, maxChars) : text).toLowerCase();
  const m = new Map<number, number>();
  for (const w of t.matchAll(WORD)) {
    if (w[0].length > 40) continue;
    const s = ` ${w[0]} `;
    for (let n = minN; n <= maxN; n++) {
      for (let i = 0; i + n <= s.length; i++) {
        const id = fnv1a(`#${s.slice(i, i + n)}`) % o.buckets;
        m.set(id, (m.get(id) ?? 0) + 1);
      }
    }
  }
  const ids = Int32Array.from(m.keys()).sort();
  return { ids, counts: Float32Array.from(ids, (id) => m.get(id)!) };
}

/** Sum of two sparse documents (ids ascending). */
export function mergeDocs(a: SparseDoc, b: SparseDoc): SparseDoc {
  const ids: number[] = [];
  const counts: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.ids.length || j < b.ids.length) {
    if (j >= b.ids.length || (i < a.ids.length && a.ids[i] < b.ids[j])) {
      ids.push(a.ids[i]);
      counts.push(a.counts[i++]);
    } else if (i >= a.ids.length || b.ids[j] < a.ids[i]) {
      ids.push(b.ids[j]);
      counts.push(b.counts[j++]);
    } else {
      ids.push(a.ids[i]);
      counts.push(a.counts[i++] + b.counts[j++]);
    }
  }
  return { ids: Int32Array.from(ids), counts: Float32Array.from(counts) };
}
