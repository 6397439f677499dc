/**
 * Text → tokens → ids → weighted bags, for the text encoder.
 *
 * - `tokenize`: lowercase word tokens (letters/digits, inner ' _ - kept), at most 40 chars each; an over-long text
 *   is cut at `maxChars` first so a huge file cannot stall a worker.
 * - `buildVocab`: the `maxVocab` tokens with the highest document frequency (df ≥ minDf), plus `hashBuckets` ids
 *   for out-of-vocabulary tokens (FNV-1a hash), with idf weights. Id 0 is padding. JSON-serialisable (vocab.json).
 * - `bagOf`: a document as at most `maxTokens` distinct ids with sublinear tf-idf weights (1 + ln tf)·idf, keeping
 *   the highest-weighted ones, L2-normalised weights — the input of the bag-of-embeddings encoder.
 */
import { fnv1a } from '../../util/hash';

export interface Vocab {
  version: 1;
  tokens: string[];
  /** idf of ids 0..size-1 (index 0 = padding, 0). */
  idf: number[];
  hashBuckets: number;
  /** Documents the vocabulary was built from. */
  docs: number;
  /** Unigram^0.75 sampling weights for negatives are derived from this document frequency per id. */
  df: number[];
}

export const TOKEN_RE = /[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu;
/** Lower-cased words (letters and digits, with inner ' _ -) of at most 40 characters. */
export function tokenize(text: string, maxChars = 200_000): string[] {
  const t = (text.length > maxChars ? text.slice(0, maxChars) : text).toLowerCase();
  const out: string[] = [];
  for (const m of t.matchAll(TOKEN_RE)) if (m[0].length <= 40) out.push(m[0]);
  return out;
}

/** Number of ids (padding + vocabulary + hash buckets). */
export function vocabSize(v: Vocab): number {
  return 1 + v.tokens.length + v.hashBuckets;
}

export interface BuildVocabOptions {
  maxVocab?: number;
  minDf?: number;
  hashBuckets?: number;
}

export function buildVocab(docs: string[][], o: BuildVocabOptions = {}): Vocab {
  const maxVocab = o.maxVocab ?? 20000;
  const minDf = o.minDf ?? 2;
  const hashBuckets = o.hashBuckets ?? 1024;
  const df = new Map<string, number>();
  for (const d of docs) for (const w of new Set(d)) df.set(w, (df.get(w) ?? 0) + 1);
  const kept = [...df.entries()]
    .filter(([, c]) => c >= minDf)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxVocab);
  const tokens = kept.map(([w]) => w);
  const N = docs.length;
  const size = 1 + tokens.length + hashBuckets;
  const dfArr = new Array<number>(size).fill(0);
  kept.forEach(([, c], i) => (dfArr[1 + i] = c));
  // Hash buckets: document frequency of the OOV tokens falling in them.
  const index = new Map(tokens.map((w, i) => [w, 1 + i]));
  if (hashBuckets > 0) {
    for (const d of docs) {
      const seen = new Set<number>();
      for (const w of d) if (!index.has(w)) seen.add(1 + tokens.length + (fnv1a(w) % hashBuckets));
      for (const id of seen) dfArr[id]++;
    }
  }
  const idf = dfArr.map((c, i) => (i === 0 ? 0 : Math.log((1 + N) / (1 + c)) + 1));
  return { version: 1, tokens, idf, hashBuckets, docs: N, df: dfArr };
}

/** Token ids of a document (OOV → hash bucket, or dropped when there are no buckets). */
export function encodeTokens(v: Vocab, tokens: string[], index: Map<string, number>): Int32Array {
  const out = new Int32Array(tokens.length);
  let k = 0;
  for (const w of tokens) {
    const id = index.get(w);
    if (id !== undefined) out[k++] = id;
    else if (v.hashBuckets > 0) out[k++] = 1 + v.tokens.length + (fnv1a(w) % v.hashBuckets);
  }
  return out.subarray(0, k);
}

/** token → id map of a vocabulary. */
export function vocabIndex(v: Vocab): Map<string, number> {
  return new Map(v.tokens.map((w, i) => [w, 1 + i]));
}

/**
 * Writes the bag of `ids` (a token id sequence, or part of one) into row `row` of (outIds, outW), each row
 * `maxTokens` wide: distinct ids with weight (1 + ln tf)·idf, the `maxTokens` highest kept, weights L2-normalised.
 * `keep` (optional) decides per token position whether it is used (word dropout).
 */
export function bagOf(
  v: Vocab,
  ids: ArrayLike<number>,
  maxTokens: number,
  outIds: Int32Array,
  outW: Float32Array,
  row: number,
  keep?: (pos: number) => boolean,
): number {
  const tf = new Map<number, number>();
  for (let p = 0; p < ids.length; p++) {
    if (keep && !keep(p)) continue;
    const id = ids[p];
    tf.set(id, (tf.get(id) ?? 0) + 1);
  }
  let entries = [...tf.entries()].map(([id, c]) => [id, (1 + Math.log(c)) * v.idf[id]] as [number, number]);
  if (entries.length > maxTokens) entries = entries.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, maxTokens);
  let norm = 0;
  for (const [, w] of entries) norm += w * w;
  norm = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  const o = row * maxTokens;
  outIds.fill(0, o, o + maxTokens);
  outW.fill(0, o, o + maxTokens);
  entries.forEach(([id, w], j) => {
    outIds[o + j] = id;
    outW[o + j] = w * norm;
  });
  return entries.length;
}

/**
 * A fixed "lexical" embedding: the document's distinct ids (weights `idf^power`), projected by a seeded random
 * ±1 matrix to `dim` dimensions and L2-normalised — a Johnson–Lindenstrauss sketch of the binary bag of words
 * whose dot products approximate the cosine similarity of the bags. Deterministic given (vocabulary, dim, seed).
 */
export class LexicalProjection {
  private readonly signs: Int8Array;
  constructor(
    readonly vocab: Vocab,
    readonly dim: number,
    readonly seed = 7,
    readonly idfPower = 1,
  ) {
    const V = vocabSize(vocab);
    this.signs = new Int8Array(V * dim);
    let s = (seed * 2654435761) >>> 0 || 1;
    for (let i = 0; i < this.signs.length; i += 32) {
      // xorshift32: 32 signs per draw.
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      for (let b = 0; b < 32 && i + b < this.signs.length; b++) this.signs[i + b] = (s >>> b) & 1 ? 1 : -1;
    }
  }

  /** Writes the sketch of the token-id sequence `ids` into out[offset .. offset + dim). */
  embed(ids: ArrayLike<number>, out: Float32Array, offset: number): void {
    const D = this.dim;
    out.fill(0, offset, offset + D);
    const seen = new Set<number>();
    for (let p = 0; p < ids.length; p++) {
      const id = ids[p];
      if (id <= 0 || seen.has(id)) continue;
      seen.add(id);
      const w = this.idfPower === 0 ? 1 : Math.pow(this.vocab.idf[id], this.idfPower);
      const o = id * D;
      for (let k = 0; k < D; k++) out[offset + k] += w * this.signs[o + k];
    }
    let s = 0;
    for (let k = 0; k < D; k++) s += out[offset + k] * out[offset + k];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let k = 0; k < D; k++) out[offset + k] *= inv;
    }
  }
}
