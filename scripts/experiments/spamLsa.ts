/**
 * Tuning probe: LSA (randomized truncated SVD of the binary·idf document-term matrix) on SpamAssassin, then the
 * same few-label evaluation (logistic regression, label spreading, nearest class mean).
 * Usage: node --import tsx scripts/experiments/spamLsa.ts [rank] [json knobs]
 */
import { useBackend } from './backend';
import { loadSpam, pickPerClass, median } from './data';
import { knnAccuracy } from './knn';
import { tokenize, buildVocab, vocabIndex, encodeTokens, vocabSize } from '../../src/core/models/tokenizer';
import { fitClassifier, predict, argmaxRows } from '../../src/core/train/classifier';
import { buildKnnGraph, spreadLabels } from '../../src/core/train/graph';
import { l2NormalizeInPlace } from '../../src/core/ssl/imagePretrain';
import { Rng } from '../../src/core/models/random';

type Sparse = { ids: Int32Array; w: Float32Array }[];

function gramSchmidt(M: Float64Array, rows: number, cols: number): void {
  // orthonormalise columns of M (rows × cols, row-major)
  for (let c = 0; c < cols; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += M[r * cols + c] * M[r * cols + p];
      for (let r = 0; r < rows; r++) M[r * cols + c] -= dot * M[r * cols + p];
    }
    let nrm = 0;
    for (let r = 0; r < rows; r++) nrm += M[r * cols + c] ** 2;
    nrm = Math.sqrt(nrm) || 1;
    for (let r = 0; r < rows; r++) M[r * cols + c] /= nrm;
  }
}

(async () => {
  await useBackend('wasm');
  const K = Number(process.argv[2] ?? 128);
  const knobs = JSON.parse(process.argv[3] ?? '{}');
  const d = loadSpam();
  const poolT = Array.from(d.trainIdx, (i) => tokenize(d.texts[i]).slice(0, 4000));
  const testT = Array.from(d.testIdx, (i) => tokenize(d.texts[i]).slice(0, 4000));
  const vocab = buildVocab(poolT, knobs.vocab);
  const index = vocabIndex(vocab);
  const V = vocabSize(vocab);
  const toSparse = (docs: string[][]): Sparse =>
    docs.map((t) => {
      const u = Int32Array.from(new Set(encodeTokens(vocab, t, index)));
      const w = Float32Array.from(u, (id) => vocab.idf[id]);
      let s = 0;
      for (const x of w) s += x * x;
      s = 1 / Math.sqrt(s || 1);
      return { ids: u, w: w.map((x) => x * s) };
    });
  const P = toSparse(poolT);
  const T = toSparse(testT);
  const n = P.length;
  const kk = K + 10;
  // Y = A Ω (n × kk), Ω: V × kk gaussian
  const rng = new Rng(3);
  const Om = new Float64Array(V * kk).map(() => rng.normal());
  const mulA = (B: Float64Array, cols: number) => { // A (n×V) · B (V×cols)
    const out = new Float64Array(n * cols);
    P.forEach((doc, i) => { for (let j = 0; j < doc.ids.length; j++) { const o = doc.ids[j] * cols; const w = doc.w[j]; for (let c = 0; c < cols; c++) out[i * cols + c] += w * B[o + c]; } });
    return out;
  };
  const mulAt = (B: Float64Array, cols: number) => { // Aᵀ (V×n) · B (n×cols)
    const out = new Float64Array(V * cols);
    P.forEach((doc, i) => { for (let j = 0; j < doc.ids.length; j++) { const o = doc.ids[j] * cols; const w = doc.w[j]; for (let c = 0; c < cols; c++) out[o + c] += w * B[i * cols + c]; } });
    return out;
  };
  let Y = mulA(Om, kk);
  gramSchmidt(Y, n, kk);
  for (let q = 0; q < 2; q++) { const Z = mulAt(Y, kk); gramSchmidt(Z, V, kk); Y = mulA(Z, kk); gramSchmidt(Y, n, kk); }
  // B = Qᵀ A (kk × V) → word vectors W = Bᵀ (V × kk); doc embedding = A W (projection onto the row space basis)
  const W = mulAt(Y, kk); // V × kk = Aᵀ Q
  // small SVD of B Bᵀ (kk × kk) skipped: use the kk-dim basis directly (same span), keep top K by column norm
  const emb = (S: Sparse) => {
    const X = new Float32Array(S.length * kk);
    S.forEach((doc, i) => { for (let j = 0; j < doc.ids.length; j++) { const o = doc.ids[j] * kk; for (let c = 0; c < kk; c++) X[i * kk + c] += doc.w[j] * W[o + c]; } });
    return l2NormalizeInPlace(X, S.length, kk);
  };
  const A = emb(P);
  const B = emb(T);
  const D = kk;
  const yPool = Int32Array.from(d.trainIdx, (i) => d.labels[i]);
  const yTest = Int32Array.from(d.testIdx, (i) => d.labels[i]);
  console.log(`LSA rank ${kk}: kNN10 all labels ${((await knnAccuracy(B, yTest, A, yPool, D, 10, 2)) * 100).toFixed(2)}%`);
  const graph = await buildKnnGraph({ X: A, n, dim: D, k: knobs.k ?? 20 });
  const res: Record<string, number[]> = {};
  const put = (k: string, v: number) => (res[k] ??= []).push(v);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (const seed of [1, 2, 3, 4, 5]) {
    const lab = pickPerClass(yPool, all, 10, 2, seed);
    const y = Int32Array.from(lab, (i) => yPool[i]);
    const w = new Float32Array(lab.length).fill(1);
    const st = await fitClassifier({ X: A, n, dim: D, train: { index: lab, y, weight: w }, nClasses: 2, seed, l2: knobs.l2, standardize: knobs.standardize });
    const p = predict(st, B, yTest.length, D);
    let ok = 0;
    for (let i = 0; i < yTest.length; i++) if (p.labels[i] === yTest[i]) ok++;
    put('logreg test', ok / yTest.length);
    // nearest class mean
    const mu = [new Float64Array(D), new Float64Array(D)];
    lab.forEach((i, j) => { for (let c = 0; c < D; c++) mu[y[j]][c] += A[i * D + c]; });
    ok = 0;
    for (let i = 0; i < yTest.length; i++) { let s0 = 0, s1 = 0; for (let c = 0; c < D; c++) { s0 += B[i * D + c] * mu[0][c]; s1 += B[i * D + c] * mu[1][c]; } if ((s1 / 10 > s0 / 10 ? 1 : 0) === yTest[i]) ok++; }
    put('ncm test', ok / yTest.length);
    const { F } = spreadLabels({ graph, nClasses: 2, seeds: { index: lab, y, weight: w } });
    const sp = argmaxRows(F, n, 2);
    ok = 0;
    for (let i = 0; i < n; i++) if (sp.labels[i] === yPool[i]) ok++;
    put('spread pool', ok / n);
  }
  for (const [k2, v] of Object.entries(res)) console.log(`${k2.padEnd(16)} median ${median(v).toFixed(4)}  [${v.map((x) => x.toFixed(4)).join(', ')}]`);
})();
