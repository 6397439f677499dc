/**
 * TF-IDF as scikit-learn's TfidfVectorizer defaults do it: lower-cased tokens of two or more word characters,
 * raw counts, smooth idf = ln((1 + n) / (1 + df)) + 1, rows L2-normalised. The vocabulary is fitted on the pool's
 * texts (unsupervised: no label is used) and capped to the `maxFeatures` most frequent terms (ties by term).
 */
export interface Tfidf {
  vocab: Map<string, number>;
  idf: Float64Array;
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? [];
}

export function fitTfidf(texts: readonly string[], o: { maxFeatures?: number } = {}): Tfidf {
  const df = new Map<string, number>();
  const tf = new Map<string, number>();
  for (const t of texts) {
    for (const w of new Set(tokenize(t))) df.set(w, (df.get(w) ?? 0) + 1);
    for (const w of tokenize(t)) tf.set(w, (tf.get(w) ?? 0) + 1);
  }
  let terms = [...df.keys()].sort();
  if (o.maxFeatures !== undefined && terms.length > o.maxFeatures) {
    terms = terms
      .sort((a, b) => (tf.get(b) ?? 0) - (tf.get(a) ?? 0) || (a < b ? -1 : 1))
      .slice(0, o.maxFeatures)
      .sort();
  }
  const vocab = new Map(terms.map((w, i) => [w, i]));
  const n = texts.length;
  const idf = Float64Array.from(terms, (w) => Math.log((1 + n) / (1 + (df.get(w) ?? 0))) + 1);
  return { vocab, idf };
}

/** Sparse TF-IDF rows (column indices ascending, L2-normalised values) of the texts; unknown terms are ignored. */
export function tfidfRows(model: Tfidf, texts: readonly string[]): { idx: Int32Array[]; val: Float32Array[]; n: number; dim: number } {
  const idx: Int32Array[] = [];
  const val: Float32Array[] = [];
  for (const t of texts) {
    const counts = new Map<number, number>();
    for (const w of tokenize(t)) {
      const j = model.vocab.get(w);
      if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
    }
    const cols = [...counts.keys()].sort((a, b) => a - b);
    const v = cols.map((j) => (counts.get(j) ?? 0) * model.idf[j]);
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    idx.push(Int32Array.from(cols));
    val.push(Float32Array.from(v, (x) => x / norm));
  }
  return { idx, val, n: texts.length, dim: model.idf.length };
}
