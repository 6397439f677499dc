/**
 * The plain baseline a user would write: scikit-learn's TfidfVectorizer() + LogisticRegression() defaults, in TS.
 * Tokens `\b\w\w+\b` lowercased, unigrams, raw term counts × smooth idf (ln((1+n)/(1+df)) + 1, idf fitted on the
 * whole unlabelled pool), L2-normalised; multinomial logistic regression with C = 1 (L2 penalty 1) on the labelled
 * rows only (src/core/modalities/text/lexical/linear.ts). Tokens are hashed to 2^20 buckets (collisions are negligible at these sizes).
 */
import { fnv1a, type SparseDoc } from '../../src/core/modalities/text/lexical/features';
import { fitSparseLogReg, sparseLogRegLogits } from '../../src/core/modalities/text/lexical/linear';
import type { SparseRow } from '../../src/core/modalities/text/lexical/tfidf';

const B = 1 << 20;
const TOKEN = /\b\w\w+\b/gu;

export function sklearnDoc(text: string): SparseDoc {
  const m = new Map<number, number>();
  for (const t of text.toLowerCase().matchAll(TOKEN)) {
    const id = fnv1a(t[0]) % B;
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  const ids = Int32Array.from(m.keys()).sort();
  return { ids, counts: Float32Array.from(ids, (id) => m.get(id)!) };
}

function rowsOf(docs: SparseDoc[], idf: Map<number, number>, n: number): SparseRow[] {
  const dflt = Math.log((1 + n) / 1) + 1;
  return docs.map((d) => {
    const w = Float32Array.from(d.ids, (id, j) => d.counts[j] * (idf.get(id) ?? dflt));
    let s = 0;
    for (const v of w) s += v * v;
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < w.length; j++) w[j] *= k;
    return { ids: d.ids, w };
  });
}

/** TF-IDF + LR: fitted on pool[labelled], predicts `test`; returns test logits (test × C). */
export function tfidfLogReg(pool: readonly string[], labelled: number[], y: Int32Array, C: number, test: readonly string[]): Float32Array {
  const P = pool.map(sklearnDoc);
  const df = new Map<number, number>();
  for (const d of P) for (const id of d.ids) df.set(id, (df.get(id) ?? 0) + 1);
  const idf = new Map<number, number>();
  for (const [id, f] of df) idf.set(id, Math.log((1 + P.length) / (1 + f)) + 1);
  const rows = rowsOf(
    labelled.map((i) => P[i]),
    idf,
    P.length,
  );
  const model = fitSparseLogReg({ rows, targets: Int32Array.from(labelled, (i) => y[i]), nClasses: C, l2: 1, iterations: 500 });
  return sparseLogRegLogits(model, rowsOf(test.map(sklearnDoc), idf, P.length));
}
