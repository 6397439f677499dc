/**
 * Tuning probe: combinations for few-label spam/ham — label spreading on a binary·idf random-projection graph,
 * then multinomial NB trained on the spread labels (confidence-weighted), then EM. Reports test accuracy.
 * Usage: node --import tsx scripts/experiments/spamCombo.ts [json knobs]
 */
import { useBackend } from './backend';
import { loadSpam, pickPerClass, median } from './data';
import { TOKENIZE_SYMBOLS, tokenize, buildVocab, vocabIndex, encodeTokens, vocabSize } from '../../src/core/models/tokenizer';
import { argmaxRows } from '../../src/core/train/classifier';
import { buildKnnGraph, spreadLabels } from '../../src/core/train/graph';
import { l2NormalizeInPlace } from '../../src/core/ssl/imagePretrain';
import { Rng } from '../../src/core/models/random';

(async () => {
  await useBackend('wasm');
  const knobs = JSON.parse(process.argv[2] ?? '{}');
TOKENIZE_SYMBOLS.on = Boolean(knobs.symbols);
  const d = loadSpam();
  const poolT = Array.from(d.trainIdx, (i) => tokenize(d.texts[i]).slice(0, 4000));
  const testT = Array.from(d.testIdx, (i) => tokenize(d.texts[i]).slice(0, 4000));
  const vocab = buildVocab(poolT, knobs.vocab);
  const index = vocabIndex(vocab);
  const V = vocabSize(vocab);
  const uniq = (t: string[]) => Int32Array.from(new Set(encodeTokens(vocab, t, index)));
  const P = poolT.map(uniq);
  const T = testT.map(uniq);
  const n = P.length;
  const D = knobs.D ?? 1024;
  const rng = new Rng(7);
  const proj = new Float32Array(V * D);
  for (let i = 0; i < proj.length; i++) proj[i] = rng.next() < 0.5 ? -1 : 1;
  const emb = (docs: Int32Array[]) => {
    const X = new Float32Array(docs.length * D);
    docs.forEach((u, r) => { for (const id of u) { const w = vocab.idf[id]; const o = id * D; for (let k = 0; k < D; k++) X[r * D + k] += w * proj[o + k]; } });
    return l2NormalizeInPlace(X, docs.length, D);
  };
  const A = emb(P);
  const yPool = Int32Array.from(d.trainIdx, (i) => d.labels[i]);
  const yTest = Int32Array.from(d.testIdx, (i) => d.labels[i]);
  const graph = await buildKnnGraph({ X: A, n, dim: D, k: knobs.k ?? 20 });
  const C = 2;
  const nbFit = (resp: Float32Array, w: Float32Array) => {
    const counts = new Float64Array(C * V).fill(knobs.alpha ?? 0.1);
    const docs = new Float64Array(C).fill(knobs.alpha ?? 0.1);
    const prior = new Float64Array(C).fill(1);
    P.forEach((u, i) => { for (let c = 0; c < C; c++) { const r = resp[i * C + c] * w[i]; if (!r) continue; prior[c] += r; docs[c] += r; for (const id of u) counts[c * V + id] += r; } });
    // Bernoulli NB: p(word present | c)
    const lp = new Float64Array(C * V), lq = new Float64Array(C * V);
    for (let c = 0; c < C; c++) for (let v = 0; v < V; v++) { const p = Math.min(0.999, counts[c * V + v] / (docs[c] + 2 * (knobs.alpha ?? 0.1))); lp[c * V + v] = Math.log(p); lq[c * V + v] = Math.log(1 - p); }
    const base = new Float64Array(C);
    for (let c = 0; c < C; c++) for (let v = 0; v < V; v++) base[c] += lq[c * V + v];
    const ps = prior[0] + prior[1];
    return { lp, lq, base, prior: [Math.log(prior[0] / ps), Math.log(prior[1] / ps)] };
  };
  const mnFit = (resp: Float32Array, w: Float32Array) => {
    const counts = new Float64Array(C * V).fill(knobs.alpha ?? 0.1);
    const prior = new Float64Array(C).fill(1);
    P.forEach((u, i) => { for (let c = 0; c < C; c++) { const r = resp[i * C + c] * w[i]; if (!r) continue; prior[c] += r; for (const id of u) counts[c * V + id] += r; } });
    const lp = new Float64Array(C * V);
    for (let c = 0; c < C; c++) { let s = 0; for (let v = 0; v < V; v++) s += counts[c * V + v]; for (let v = 0; v < V; v++) lp[c * V + v] = Math.log(counts[c * V + v] / s); }
    const ps = prior[0] + prior[1];
    return { lp, prior: [Math.log(prior[0] / ps), Math.log(prior[1] / ps)] };
  };
  type M = ReturnType<typeof mnFit> & { lq?: Float64Array; base?: Float64Array };
  const fit = (resp: Float32Array, w: Float32Array): M => (knobs.bernoulli ? nbFit(resp, w) : mnFit(resp, w));
  const post = (u: Int32Array, m: M) => {
    const s = [m.prior[0], m.prior[1]];
    for (let c = 0; c < C; c++) {
      if (m.base) { s[c] += m.base[c]; for (const id of u) s[c] += m.lp[c * V + id] - m.lq![c * V + id]; }
      else for (const id of u) s[c] += m.lp[c * V + id];
    }
    return 1 / (1 + Math.exp(s[0] - s[1]));
  };
  const testAcc = (m: M) => { let ok = 0; T.forEach((u, i) => (ok += (post(u, m) > 0.5 ? 1 : 0) === yTest[i] ? 1 : 0)); return ok / T.length; };
  const res: Record<string, number[]> = {};
  const put = (k: string, v: number) => (res[k] ??= []).push(v);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (const seed of [1, 2, 3, 4, 5]) {
    const lab = pickPerClass(yPool, all, 10, 2, seed);
    const y = Int32Array.from(lab, (i) => yPool[i]);
    const { F } = spreadLabels({ graph, nClasses: 2, seeds: { index: lab, y, weight: new Float32Array(lab.length).fill(1) } });
    const sp = argmaxRows(F, n, 2);
    let ok = 0;
    for (let i = 0; i < n; i++) if (sp.labels[i] === yPool[i]) ok++;
    put('spread pool', ok / n);
    const resp = new Float32Array(n * C);
    const w = new Float32Array(n);
    const isLab = new Set(lab);
    for (let i = 0; i < n; i++) { resp[i * C + sp.labels[i]] = 1; w[i] = isLab.has(i) ? 1 : (knobs.wPseudo ?? 1) * (knobs.conf ? sp.confidence[i] : 1); }
    lab.forEach((i, j) => { resp[i * C] = 0; resp[i * C + 1] = 0; resp[i * C + y[j]] = 1; w[i] = knobs.wLab ?? 1; });
    let m = fit(resp, w);
    put('nb on spread', testAcc(m));
    for (let it = 0; it < (knobs.iters ?? 5); it++) {
      P.forEach((u, i) => { if (isLab.has(i)) return; const p = post(u, m); resp[i * C] = 1 - p; resp[i * C + 1] = p; w[i] = knobs.lambda ?? 1; });
      m = fit(resp, w);
    }
    put('nb em', testAcc(m));
  }
  for (const [k2, v] of Object.entries(res)) console.log(`${k2.padEnd(16)} median ${median(v).toFixed(4)}  [${v.map((x) => x.toFixed(4)).join(', ')}]`);
})();
