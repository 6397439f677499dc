/**
 * Tuning baseline: SpamAssassin with tf-idf bags projected to a dense vector (seeded random ±1 projection, or the
 * hashed bag directly), then the same few-label evaluation as spamSsl.ts.
 * Usage: node --import tsx scripts/experiments/spamTfidf.ts [dim] [maxTokens]
 */
import { useBackend } from './backend';
import { loadSpam, pickPerClass, median } from './data';
import { knnAccuracy } from './knn';
import { TOKENIZE_SYMBOLS, tokenize, buildVocab, vocabIndex, encodeTokens, bagOf, vocabSize } from '../../src/core/models/tokenizer';
import { fitClassifier, predict, argmaxRows } from '../../src/core/train/classifier';
import { buildKnnGraph, spreadLabels } from '../../src/core/train/graph';
import { l2NormalizeInPlace } from '../../src/core/ssl/imagePretrain';
import { Rng } from '../../src/core/models/random';

(async () => {
  await useBackend('wasm');
  const D = Number(process.argv[2] ?? 512);
  const L = Number(process.argv[3] ?? 256);
  const knobs = JSON.parse(process.argv[4] ?? '{}');
  TOKENIZE_SYMBOLS.on = Boolean(knobs.symbols);
  const d = loadSpam();
  const prep = (t: string) => (knobs.body ? t.slice(Math.max(0, t.indexOf('\n\n'))) : t);
  const pool = Array.from(d.trainIdx, (i) => tokenize(prep(d.texts[i])).slice(0, 4000));
  const test = Array.from(d.testIdx, (i) => tokenize(prep(d.texts[i])).slice(0, 4000));
  const vocab = buildVocab(pool, knobs.vocab);
  const index = vocabIndex(vocab);
  const V = vocabSize(vocab);
  // random ±1/sqrt(D) projection per id
  const rng = new Rng(7);
  const P = new Float32Array(V * D);
  for (let i = 0; i < P.length; i++) P[i] = rng.next() < 0.5 ? -1 : 1;
  const emb = (docs: string[][]) => {
    const X = new Float32Array(docs.length * D);
    const ids = new Int32Array(Math.max(L, 5000));
    const w = new Float32Array(Math.max(L, 5000));
    docs.forEach((t, r) => {
      let cnt = 0;
      if (knobs.binary) {
        const u = [...new Set(encodeTokens(vocab, t, index))];
        cnt = u.length;
        u.forEach((id, j) => { ids[j] = id; w[j] = knobs.binary === 'idf' ? vocab.idf[id] : 1; });
      } else cnt = bagOf(vocab, encodeTokens(vocab, t, index), L, ids, w, 0);
      for (let j = 0; j < cnt; j++) {
        const o = ids[j] * D;
        for (let k = 0; k < D; k++) X[r * D + k] += w[j] * P[o + k];
      }
    });
    return l2NormalizeInPlace(X, docs.length, D);
  };
  const A = emb(pool);
  const B = emb(test);
  const yPool = Int32Array.from(d.trainIdx, (i) => d.labels[i]);
  const yTest = Int32Array.from(d.testIdx, (i) => d.labels[i]);
  console.log(`vocab ${V}, kNN10 all labels ${((await knnAccuracy(B, yTest, A, yPool, D, 10, 2)) * 100).toFixed(2)}%`);
  const graph = await buildKnnGraph({ X: A, n: yPool.length, dim: D, k: knobs.k ?? 20 });
  const res: Record<string, number[]> = {};
  const put = (k: string, v: number) => (res[k] ??= []).push(v);
  const all = Int32Array.from({ length: yPool.length }, (_, i) => i);
  for (const seed of [1, 2, 3, 4, 5]) {
    const lab = pickPerClass(yPool, all, 10, 2, seed);
    const y = Int32Array.from(lab, (i) => yPool[i]);
    const w = new Float32Array(lab.length).fill(1);
    const st = await fitClassifier({ X: A, n: yPool.length, dim: D, train: { index: lab, y, weight: w }, nClasses: 2, seed, l2: knobs.l2, hidden: knobs.hidden, standardize: knobs.standardize });
    const p = predict(st, B, yTest.length, D);
    let ok = 0;
    for (let i = 0; i < yTest.length; i++) if (p.labels[i] === yTest[i]) ok++;
    put('logreg test', ok / yTest.length);
    const { F } = spreadLabels({ graph, nClasses: 2, seeds: { index: lab, y, weight: w }, alpha: knobs.alpha, gamma: knobs.gamma });
    const sp = argmaxRows(F, yPool.length, 2);
    ok = 0;
    for (let i = 0; i < yPool.length; i++) if (sp.labels[i] === yPool[i]) ok++;
    put('spread pool', ok / yPool.length);
    const conf = [0, 0, 0, 0];
    for (let i = 0; i < yPool.length; i++) conf[yPool[i] * 2 + sp.labels[i]]++;
    if (knobs.verbose) {
      const byG = new Map<string, [number, number]>();
      for (let i = 0; i < yPool.length; i++) { const g = d.groups[d.trainIdx[i]]; const e = byG.get(g) ?? [0, 0]; e[0]++; if (sp.labels[i] !== yPool[i]) e[1]++; byG.set(g, e); }
      console.log(`seed ${seed} errors by group: ${[...byG].map(([g, [n, e]]) => `${g} ${e}/${n}`).join(', ')}; labelled groups: ${Array.from(lab, (i) => d.groups[d.trainIdx[i]].replace(/-\d$/, '')).join(' ')}`);
    }
    if (knobs.verbose) console.log(`seed ${seed} confusion (true,pred) hh ${conf[0]} hs ${conf[1]} sh ${conf[2]} ss ${conf[3]}`);
    // class-mass normalisation: scale columns of F so the predicted class masses match the labelled prior (0.5/0.5)
    const mass = [0, 0];
    for (let i = 0; i < yPool.length; i++) { mass[0] += F[i * 2]; mass[1] += F[i * 2 + 1]; }
    let ok2 = 0;
    for (let i = 0; i < yPool.length; i++) { const p1 = F[i * 2 + 1] / mass[1] > F[i * 2] / mass[0] ? 1 : 0; if (p1 === yPool[i]) ok2++; }
    put('spread cmn', ok2 / yPool.length);
  }
  for (const [k2, v] of Object.entries(res)) console.log(`${k2.padEnd(16)} median ${median(v).toFixed(4)}  [${v.map((x) => x.toFixed(4)).join(', ')}]`);
})();
