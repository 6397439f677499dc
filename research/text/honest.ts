/**
 * Session 8: which estimate of the proposals' precision is honest with few held-out labels, and does averaging the
 * candidates beat choosing one. Per dataset and seed (K random labels/class, one fit with every default candidate, no
 * review): round 1's proposals at the threshold under several confidence estimates, expected vs measured precision,
 * from the chosen candidate's state:
 *   none   temperature scaling only (the code before session 8);
 *   R      mixture with the uniform distribution down to the rule of succession on the held-out labels ≥ threshold;
 *   all    the same, down to the rule of succession on every held-out label (K+1)/(N+2) of their mean confidence;
 *   smooth a second temperature (only softer) fitted on the held-out labels with Laplace label smoothing 1/(N+2)
 *          (what the head does since session 8: head.ts withSoftening; `none` undoes it);
 * and the test accuracy of each candidate, the chosen one, and averages of the candidates' calibrated probabilities.
 * Usage: node --import tsx research/text/honest.ts DATASET[,…] [--seeds 1,2,3] [--k 10] [--threshold 0.9]
 */
import { fitTextHead, predictTextHead, type TextHeadState } from '../../src/core/modalities/text/lexical/head';
import { fitTemperature, softmaxRows } from '../../src/core/train/calibration';
import { propose } from '../../src/core/proposals';
import { tfidfLogReg } from './baseline';
import { accuracy, loadTextDataset, median, seedLabels, humanTrainSet } from './data';
import { args, opt } from '../args';

const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const threshold = Number(opt('threshold', '0.9'));
const CANDS = ['linear-lsa', 'linear-subword', 'spread-nb'] as const;
const COMBOS: Record<string, readonly string[]> = {
  all3: CANDS,
  'lsa+nb': ['linear-lsa', 'spread-nb'],
  'lsa+subword': ['linear-lsa', 'linear-subword'],
};
const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '—');

function mean(ps: Float32Array[]): Float32Array {
  const out = new Float32Array(ps[0].length);
  for (const p of ps) for (let i = 0; i < p.length; i++) out[i] += p[i] / ps.length;
  return out;
}

function topMean(p: Float32Array, n: number, C: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let c = 0; c < C; c++) t = Math.max(t, p[i * C + c]);
    s += t / n;
  }
  return s;
}

const logOf = (p: ArrayLike<number>) => Float32Array.from(p, (x) => Math.log(Math.max(x, 1e-38)));

/** p ← mix·p + (1 − mix)/C (argmax and order kept). */
function mixUniform(p: Float32Array, n: number, C: number, mix: number): Float32Array {
  if (!(mix < 1)) return p;
  for (let i = 0; i < n * C; i++) p[i] = mix * p[i] + (1 - mix) / C;
  return p;
}

/** The mixture weight bringing the mean top confidence of the held-out rows ≥ threshold to (right + 1)/(above + 2). */
function successionMix(probs: Float32Array, y: Int32Array, C: number, t: number) {
  let above = 0;
  let right = 0;
  let sum = 0;
  for (let j = 0; j < y.length; j++) {
    const b = argmax(probs, j, C);
    if (!(probs[j * C + b] >= t)) continue;
    above++;
    sum += probs[j * C + b];
    if (b === y[j]) right++;
  }
  const mean = above ? sum / above : 0;
  const u = (right + 1) / (above + 2);
  return { above, right, mean, mix: above && mean > u ? (u - 1 / C) / (mean - 1 / C) : 1 };
}

/** The state before head.ts withSoftening (its temperature and out-of-fold probabilities unsoftened). */
function unsoftened(st: TextHeadState): TextHeadState {
  const f = st.softened?.factor ?? 1;
  if (f === 1 || !st.oof) return st;
  const C = st.nClasses;
  const probs = Array.from(
    softmaxRows(
      logOf(st.oof.probs).map((x) => x * f),
      st.oof.index.length,
      C,
      1,
    ),
  );
  return { ...st, temperature: st.temperature / f, oof: { index: st.oof.index, probs }, softened: undefined };
}

async function main() {
  for (const name of args[0].split(',')) {
    const ds = loadTextDataset(name);
    const C = ds.classes.length;
    const n = ds.pool.texts.length;
    const acc: Record<string, number[]> = {};
    const gaps: Record<string, number[]> = {};
    const add = (r: Record<string, number[]>, k: string, v: number) => (r[k] ??= []).push(v);
    for (const seed of seeds) {
      const human = seedLabels(ds.pool.y, C, K, seed);
      add(acc, 'tfidf-LR', accuracy(tfidfLogReg(ds.pool.texts, human, ds.pool.y, C, ds.test.texts), ds.test.y, C));
      const train = humanTrainSet(human, ds.pool.y);
      const states = new Map<string, TextHeadState>();
      const t0 = Date.now();
      const s = await fitTextHead({
        texts: ds.pool.texts,
        train,
        nClasses: C,
        seed,
        candidates: CANDS,
        onCandidate: (nm, st) => states.set(nm, st),
      });
      const sec = (Date.now() - t0) / 1000;
      const test = new Map([...states].map(([nm, st]) => [nm, predictTextHead(st, ds.test.texts)]));
      const parts: string[] = [];
      for (const nm of CANDS) {
        const a = accuracy(test.get(nm)!, ds.test.y, C);
        add(acc, nm, a);
        parts.push(`${nm} ${pct(a)} (oof ${pct(states.get(nm)!.estimatedAccuracy ?? NaN)})`);
      }
      add(acc, 'chosen', accuracy(test.get(s.chosen!)!, ds.test.y, C));
      for (const [k, members] of Object.entries(COMBOS)) {
        const a = accuracy(mean(members.map((m) => test.get(m)!)), ds.test.y, C);
        add(acc, k, a);
        parts.push(`${k} ${pct(a)}`);
      }
      console.log(`${name} seed ${seed} (${sec.toFixed(0)}s) chose ${s.chosen}: ${parts.join(', ')}`);
      // Estimators of the chosen state's round 1 proposals.
      const st = unsoftened(states.get(s.chosen!)!);
      const yOf = new Map(human.map((i) => [i, ds.pool.y[i]]));
      const oofP = Float32Array.from(st.oof!.probs);
      const oofY = Int32Array.from(st.oof!.index, (r) => yOf.get(r)!);
      const N = oofY.length;
      const raw = predictTextHead(st, ds.pool.texts);
      const cands = Int32Array.from([...Array(n).keys()].filter((i) => !yOf.has(i)));
      const est: Record<string, Float32Array> = { none: raw };
      const sR = successionMix(oofP, oofY, C, threshold);
      est.R = mixUniform(Float32Array.from(raw), n, C, sR.mix);
      const right = oofY.reduce((a, y, j) => a + (argmax(oofP, j, C) === y ? 1 : 0), 0);
      const u = 1 / C;
      const mAll = topMean(oofP, N, C);
      const uAll = (right + 1) / (N + 2);
      est.all = mixUniform(Float32Array.from(raw), n, C, mAll > uAll ? (uAll - u) / (mAll - u) : 1);
      const sT = fitTemperature(logOf(oofP), oofY, C, { minT: 1, maxT: 1000, smoothing: 1 / (N + 2) });
      est.smooth = softmaxRows(logOf(raw), n, C, sT);
      const line: string[] = [];
      for (const [k, p] of Object.entries(est)) {
        const r = propose({ probs: p, n, nClasses: C, classes: ds.classes, candidates: cands, threshold });
        let ok = 0;
        for (const q of r.proposals) if (ds.classes.indexOf(q.label) === ds.pool.y[q.index]) ok++;
        const m = r.proposals.length ? ok / r.proposals.length : NaN;
        if (r.proposals.length >= 30) add(gaps, k, Math.abs(r.expectedPrecision - m));
        line.push(`${k}: ${r.proposals.length} at ${pct(r.proposals.length ? r.expectedPrecision : NaN)} / ${pct(m)}`);
      }
      console.log(
        `  held-out ${right}/${N} (≥ ${threshold}: ${sR.right}/${sR.above}, mean ${pct(sR.mean)}), T ${st.temperature.toFixed(3)}, smooth ×${sT.toFixed(2)}; ${line.join('; ')}`,
      );
    }
    console.log(
      `${name} medians: ${Object.entries(acc)
        .map(([k, v]) => `${k} ${pct(median(v))}`)
        .join(', ')}`,
    );
    console.log(
      `${name} gaps (≥ 30 proposals): ${Object.entries(gaps)
        .map(([k, v]) => `${k} median ${pct(median(v))} [${v.map(pct).join(', ')}]`)
        .join('; ')}`,
    );
  }
}

function argmax(p: Float32Array, j: number, C: number): number {
  let b = 0;
  for (let c = 1; c < C; c++) if (p[j * C + c] > p[j * C + b]) b = c;
  return b;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
