/**
 * Tuning: text representations × classifiers on SpamAssassin with 10 labels per class (5 seeds): lexical sketch
 * (binary or idf), the masked-word encoder of a checkpoint, or both; fitClassifier vs fitSemiSupervised.
 * Usage: node --import tsx scripts/experiments/spamFit.ts '<json knobs>'  (knobs: ckpt, lex, lexDim, idfPower, methods, wLearned)
 */
import { useBackend } from './backend';
import { loadSpam, pickPerClass, median } from './data';
import { tokenize, buildVocab, vocabIndex, encodeTokens, LexicalProjection } from '../../src/core/models/tokenizer';
import { embedTexts } from '../../src/core/ssl/textPretrain';
import { fitClassifier, predict } from '../../src/core/train/classifier';
import { fitSemiSupervised } from '../../src/core/train/semi';
import { expectedCalibrationError } from '../../src/core/train/calibration';

(async () => {
  await useBackend('wasm');
  const knobs = JSON.parse(process.argv[2] ?? '{}');
  const d = loadSpam();
  const poolTexts = Array.from(d.trainIdx, (i) => d.texts[i]);
  const testTexts = Array.from(d.testIdx, (i) => d.texts[i]);
  const yPool = Int32Array.from(d.trainIdx, (i) => d.labels[i]);
  const yTest = Int32Array.from(d.testIdx, (i) => d.labels[i]);
  const parts: { a: Float32Array; b: Float32Array; dim: number; w: number }[] = [];
  if (knobs.lex !== false) {
    const vocab = buildVocab(poolTexts.map((t) => tokenize(t).slice(0, 4000)));
    const index = vocabIndex(vocab);
    const D = knobs.lexDim ?? 256;
    const lp = new LexicalProjection(vocab, D, 7, knobs.idfPower ?? 1);
    const emb = (texts: string[]) => {
      const X = new Float32Array(texts.length * D);
      texts.forEach((t, i) => lp.embed(encodeTokens(vocab, tokenize(t).slice(0, 4000), index), X, i * D));
      return X;
    };
    parts.push({ a: emb(poolTexts), b: emb(testTexts), dim: D, w: 1 });
  }
  if (knobs.ckpt) {
    const a = await embedTexts({ checkpointDir: knobs.ckpt, texts: poolTexts });
    const b = await embedTexts({ checkpointDir: knobs.ckpt, texts: testTexts });
    parts.push({ a: a.embeddings, b: b.embeddings, dim: a.dim, w: knobs.wLearned ?? 1 });
  }
  const dim = parts.reduce((s, p) => s + p.dim, 0);
  const join = (which: 'a' | 'b', n: number) => {
    const X = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      let o = i * dim;
      for (const p of parts) {
        const src = p[which];
        for (let j = 0; j < p.dim; j++) X[o + j] = (src[i * p.dim + j] * p.w) / Math.sqrt(parts.length);
        o += p.dim;
      }
    }
    return X;
  };
  const A = join('a', yPool.length);
  const B = join('b', yTest.length);
  const res: Record<string, number[]> = {};
  const put = (k: string, v: number) => (res[k] ??= []).push(v);
  const all = Int32Array.from({ length: yPool.length }, (_, i) => i);
  for (const seed of knobs.seeds ?? [1, 2, 3, 4, 5]) {
    const lab = pickPerClass(yPool, all, 10, 2, seed);
    const train = { index: lab, y: Int32Array.from(lab, (i) => yPool[i]), weight: new Float32Array(lab.length).fill(1) };
    for (const method of knobs.methods ?? ['semi']) {
      const common = { X: A, n: yPool.length, dim, train, nClasses: 2, seed, l2: knobs.l2, standardize: knobs.standardize, hidden: knobs.hidden };
      const st = method === 'semi' ? await fitSemiSupervised({ ...common, keep: knobs.keep, pseudoWeight: knobs.pw, alpha: knobs.alpha, k: knobs.k }) : await fitClassifier(common);
      const p = predict(st, B, yTest.length, dim);
      let ok = 0;
      let conf = 0;
      for (let i = 0; i < yTest.length; i++) {
        if (p.labels[i] === yTest[i]) ok++;
        conf += p.confidence[i];
      }
      put(`${method} test acc`, ok / yTest.length);
      put(`${method} est acc`, st.estimatedAccuracy ?? NaN);
      put(`${method} mean conf`, conf / yTest.length);
      put(`${method} test ECE`, expectedCalibrationError(p.probs, yTest, 2));
    }
  }
  for (const [k2, v] of Object.entries(res)) console.log(`${k2.padEnd(16)} median ${median(v).toFixed(4)}  [${v.map((x) => x.toFixed(4)).join(', ')}]`);
})();
