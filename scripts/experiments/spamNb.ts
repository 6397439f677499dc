/**
 * Tuning: semi-supervised multinomial naive Bayes with EM (Nigam et al. 2000) on SpamAssassin, 10 labels/class.
 * Usage: node --import tsx scripts/experiments/spamNb.ts [json knobs]
 */
import { loadSpam, pickPerClass, median } from './data';
import { TOKENIZE_SYMBOLS, tokenize, buildVocab, vocabIndex, encodeTokens, vocabSize } from '../../src/core/models/tokenizer';

const knobs = JSON.parse(process.argv[2] ?? '{}');
TOKENIZE_SYMBOLS.on = Boolean(knobs.symbols);
const d = loadSpam();
const pool = Array.from(d.trainIdx, (i) => tokenize(d.texts[i]).slice(0, 4000));
const test = Array.from(d.testIdx, (i) => tokenize(d.texts[i]).slice(0, 4000));
const vocab = buildVocab(pool, knobs.vocab);
const index = vocabIndex(vocab);
const V = vocabSize(vocab);
type Doc = { ids: Int32Array; cnt: Float32Array };
const toDoc = (t: string[]): Doc => {
  const m = new Map<number, number>();
  for (const id of encodeTokens(vocab, t, index)) m.set(id, (m.get(id) ?? 0) + 1);
  const ids = Int32Array.from(m.keys());
  const cnt = Float32Array.from(m.values(), (c) => (knobs.binary ? 1 : knobs.log ? 1 + Math.log(c) : c));
  return { ids, cnt };
};
const P = pool.map(toDoc);
const T = test.map(toDoc);
const yPool = Int32Array.from(d.trainIdx, (i) => d.labels[i]);
const yTest = Int32Array.from(d.testIdx, (i) => d.labels[i]);
const C = 2;
function mstep(resp: Float32Array, w: Float32Array): { logp: Float64Array; prior: Float64Array } {
  const counts = new Float64Array(C * V).fill(knobs.alpha ?? 0.1);
  const prior = new Float64Array(C).fill(1);
  P.forEach((doc, i) => {
    for (let c = 0; c < C; c++) {
      const r = resp[i * C + c] * w[i];
      if (!r) continue;
      prior[c] += r;
      for (let j = 0; j < doc.ids.length; j++) counts[c * V + doc.ids[j]] += r * doc.cnt[j];
    }
  });
  const logp = new Float64Array(C * V);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let v = 0; v < V; v++) s += counts[c * V + v];
    for (let v = 0; v < V; v++) logp[c * V + v] = Math.log(counts[c * V + v] / s);
  }
  const ps = prior[0] + prior[1];
  return { logp, prior: prior.map((x) => Math.log(x / ps)) };
}
function post(doc: Doc, m: { logp: Float64Array; prior: Float64Array }): number {
  const s = [m.prior[0], m.prior[1]];
  for (let c = 0; c < C; c++) for (let j = 0; j < doc.ids.length; j++) s[c] += doc.cnt[j] * m.logp[c * V + doc.ids[j]];
  const t = knobs.temp ?? 1;
  return 1 / (1 + Math.exp((s[0] - s[1]) / t)); // P(spam)
}
const res: Record<string, number[]> = {};
const put = (k: string, v: number) => (res[k] ??= []).push(v);
const all = Int32Array.from({ length: P.length }, (_, i) => i);
for (const seed of [1, 2, 3, 4, 5]) {
  const lab = pickPerClass(yPool, all, knobs.perClass ?? 10, 2, seed);
  const isLab = new Set(lab);
  const resp = new Float32Array(P.length * C);
  const w = new Float32Array(P.length);
  for (const i of lab) {
    resp[i * C + yPool[i]] = 1;
    w[i] = 1;
  }
  let m = mstep(resp, w);
  const acc = () => {
    let ok = 0;
    T.forEach((doc, i) => ok += ((post(doc, m) > 0.5 ? 1 : 0) === yTest[i] ? 1 : 0));
    return ok / T.length;
  };
  put('nb labelled only', acc());
  for (let it = 0; it < (knobs.iters ?? 10); it++) {
    P.forEach((doc, i) => {
      if (isLab.has(i)) return;
      let p = post(doc, m);
      if (knobs.hard) p = p > 0.5 ? 1 : 0;
      resp[i * C] = 1 - p;
      resp[i * C + 1] = p;
      w[i] = knobs.lambda ?? 0.1;
    });
    m = mstep(resp, w);
  }
  put('nb em test', acc());
  if (knobs.verbose) {
    const byG = new Map<string, [number, number]>();
    T.forEach((doc, i) => { const g = d.groups[d.testIdx[i]]; const e = byG.get(g) ?? [0, 0]; e[0]++; if ((post(doc, m) > 0.5 ? 1 : 0) !== yTest[i]) e[1]++; byG.set(g, e); });
    console.log(`seed ${seed}: ${[...byG].map(([g, [n, e]]) => `${g} ${e}/${n}`).join(', ')}`);
  }
}
for (const [k2, v] of Object.entries(res)) console.log(`${k2.padEnd(16)} median ${median(v).toFixed(4)}  [${v.map((x) => x.toFixed(4)).join(', ')}]`);
