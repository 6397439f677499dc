/**
 * Two studies of the audio head's words candidate (`shape` features, label spreading), without pretraining, 10
 * labels per class (seeded), test accuracy on the test split:
 *   1. What the spread labels are fitted with: logistic regression (λ 1e-3), the head's softmax layer and MLPs
 *      (src/core/train/net.ts fitNet, as fitSemiSupervised calls it), and an inductive kNN over the pool's spread
 *      scores (a test clip takes its k nearest pool clips' scores, weighted by similarity).
 *   2. Vocal-tract-length normalisation before the features: per clip, the frequency axis is scaled by the α that
 *      brings the clip's voiced long-term spectrum closest to the pool's mean (ALPHAS=lo,hi,steps; BANDS=a,b: the
 *      fitted bands; ITER: re-estimations of the mean), then the features are read from the warped clip.
 *   SELFLABEL_AUDIO_DATA=.bench/data node --import tsx research/audio/spreadFit.ts [audio-words|audio-speakers] [seeds=1,2,3]
 *   env NETS (default softmax:0:10,mlp256:256:30 — name:hidden sizes joined by +, 0 for none:epochs), NOVTLN=1 (the
 *   plain features only), SEGMENTS (the shape block's segments), BACKEND (default wasm).
 */
import { loadSplit, type SpecSet, knnGraph, accuracyOf, spreadFrom, seedLabels } from './data';
import { columnStats, standardizeBlocks, utteranceFeatures, UTTERANCE_DEFAULTS } from '../../src/core/modalities/audio/utterance';
import { hzToMel, melToHz } from '../../src/core/modalities/audio/melspec';
import { fitLogReg, predictLogReg, argmaxRows } from '../../src/bench/baselines/linear';
import { spreadLabels } from '../../src/core/train/graph';
import { fitNet, netLogitsSync } from '../../src/core/train/net';
import { useBackend } from '../backend';

const [aLo, aHi, aSteps] = (process.env.ALPHAS ?? '0.8,1.25,19').split(',').map(Number);
const ALPHAS = Array.from({ length: aSteps }, (_, i) => aLo * (aHi / aLo) ** (i / (aSteps - 1)));
const [B0, B1] = (process.env.BANDS ?? '4,36').split(',').map(Number);

/** For each α, the fractional band index each band reads from (the band whose centre is f / α). */
function warpMaps(mels: number): Float64Array[] {
  const hi = hzToMel(8000);
  const centre = (b: number) => melToHz((hi * (b + 1)) / (mels + 1));
  const index = (f: number) => (hzToMel(f) * (mels + 1)) / hi - 1;
  return ALPHAS.map((a) => Float64Array.from({ length: mels }, (_, b) => Math.min(mels - 1, Math.max(0, index(centre(b) / a)))));
}

function interp(row: ArrayLike<number>, x: number, off: number): number {
  const i = Math.floor(x);
  const f = x - i;
  return f > 0 ? row[off + i] * (1 - f) + row[off + i + 1] * f : row[off + i];
}

/** Each clip's voiced long-term spectrum (the `spectrum` block's means: per band, less the clip's level). */
function lts(s: SpecSet): Float64Array[] {
  const u = utteranceFeatures(s.spec, s.n, s.frames, s.mels);
  const a = u.blocks.spectrum[0];
  return Array.from({ length: s.n }, (_, i) => Float64Array.from(u.X.subarray(i * u.dim + a, i * u.dim + a + s.mels)));
}

function bestAlpha(l: Float64Array, target: Float64Array, maps: Float64Array[]): number {
  let best = 0;
  let bestCost = Infinity;
  for (let q = 0; q < maps.length; q++) {
    let mu = 0;
    const w = new Float64Array(B1 - B0);
    for (let b = B0; b < B1; b++) mu += w[b - B0] = interp(l, maps[q][b], 0) - target[b];
    mu /= B1 - B0;
    let c = 0;
    for (const v of w) c += (v - mu) ** 2;
    if (c < bestCost) {
      bestCost = c;
      best = q;
    }
  }
  return best;
}

function warp(s: SpecSet, alphaIdx: Int32Array, maps: Float64Array[]): Float32Array {
  const out = new Float32Array(s.spec.length);
  for (let i = 0; i < s.n; i++) {
    const m = maps[alphaIdx[i]];
    for (let t = 0; t < s.frames; t++) {
      const off = (i * s.frames + t) * s.mels;
      for (let b = 0; b < s.mels; b++) out[off + b] = interp(s.spec, m[b] + off, 0);
    }
  }
  return out;
}

async function main(): Promise<void> {
  await useBackend(process.env.BACKEND ?? 'wasm');
  const set = process.argv[2] ?? 'audio-words';
  const seeds = (process.argv[3] ?? '1,2,3').split(',').map(Number);
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  const C = pool.classes.length;
  const maps = warpMaps(pool.mels);
  const lp = lts(pool);
  const lt = lts(test);
  const unit = ALPHAS.findIndex((a) => Math.abs(a - 1) < 1e-9);
  let ap = new Int32Array(pool.n).fill(unit < 0 ? Math.floor(ALPHAS.length / 2) : unit);
  let at = new Int32Array(test.n).fill(ap[0]);
  for (let it = 0; it < Number(process.env.ITER ?? 2); it++) {
    // The pool's mean spectrum, each clip read at its current α.
    const target = new Float64Array(pool.mels);
    for (let i = 0; i < pool.n; i++) for (let b = 0; b < pool.mels; b++) target[b] += interp(lp[i], maps[ap[i]][b], 0) / pool.n;
    ap = Int32Array.from(lp, (l) => bestAlpha(l, target, maps));
    at = Int32Array.from(lt, (l) => bestAlpha(l, target, maps));
  }
  const hist = new Array(ALPHAS.length).fill(0);
  for (const q of ap) hist[q]++;
  console.error(`α histogram: ${ALPHAS.map((a, q) => `${a.toFixed(2)}:${hist[q]}`).join(' ')}`);
  const res: Record<string, number[]> = {};
  const add = (k: string, v: number) => (res[k] ??= []).push(v);
  const variants = [
    { name: 'plain', p: pool.spec, t: test.spec },
    { name: 'vtln', p: warp(pool, ap, maps), t: warp(test, at, maps) },
  ].filter((v) => v.name === 'plain' || !process.env.NOVTLN);
  const segs = (process.env.SEGMENTS ?? String(UTTERANCE_DEFAULTS.segments)).split(',').map(Number);
  const feats = variants.flatMap((v) =>
    segs.map((segments) => {
      const o = { ...UTTERANCE_DEFAULTS, segments };
      const up = utteranceFeatures(v.p, pool.n, pool.frames, pool.mels, o);
      const ut = utteranceFeatures(v.t, test.n, test.frames, test.mels, o);
      const st = columnStats(up.X, up.n, up.dim);
      const w = { mfcc: 0, stats: 0, shape: 1, spectrum: 0 };
      const P = standardizeBlocks(up, st, w);
      const T = standardizeBlocks(ut, st, w);
      return { name: `${v.name} s${segments}`, P, T, g: knnGraph(P.X, pool.n, P.dim, Number(process.env.K ?? 20)) };
    }),
  );
  for (const seed of seeds) {
    const { lab, ly } = seedLabels(pool.y, C, 10, seed);
    for (const f of feats) {
      const rp = { kind: 'dense' as const, X: f.P.X, n: pool.n, dim: f.P.dim };
      const rt = { kind: 'dense' as const, X: f.T.X, n: test.n, dim: f.T.dim };
      const m = fitLogReg(rp, lab, ly, C, { lambda: 1e-3, maxIterations: 400 });
      add(`${f.name} LR`, accuracyOf(predictLogReg(m, rt), test.y, C));
      const { F, labels: sl } = spreadFrom(f.g, C, lab, ly);
      add(`${f.name} spread(pool)`, accuracyOf(F, pool.y, C));
      // SPREAD2=share,…: spread again from the labels plus the first spread's most confident share of the pool.
      for (const share of (process.env.SPREAD2 ?? '').split(',').filter(Boolean).map(Number)) {
        const conf = Array.from({ length: pool.n }, (_, i) => {
          let z = 0;
          for (let c = 0; c < C; c++) z += F[i * C + c];
          return z > 0 ? F[i * C + sl[i]] / z : 0;
        });
        const inLab = new Set(lab);
        const order = Array.from(conf.keys())
          .filter((i) => !inLab.has(i))
          .sort((a, b) => conf[b] - conf[a])
          .slice(0, Math.round(share * pool.n));
        let right = 0;
        for (const i of order) if (sl[i] === pool.y[i]) right++;
        const idx2 = [...lab, ...order];
        const sp2 = spreadLabels({
          graph: f.g,
          nClasses: C,
          seeds: {
            index: Int32Array.from(idx2),
            y: Int32Array.from(idx2, (i, k) => (k < lab.length ? pool.y[i] : sl[i])),
            weight: Float32Array.from(idx2, (_, k) => (k < lab.length ? 1 : 0.5)),
          },
        });
        const sl2 = argmaxRows(Float64Array.from(sp2.F), pool.n, C);
        let ok2 = 0;
        for (let i = 0; i < pool.n; i++) if (sl2[i] === pool.y[i]) ok2++;
        add(`${f.name} spread2 ${share} seeds-prec`, right / Math.max(1, order.length));
        add(`${f.name} spread2 ${share} (pool)`, ok2 / pool.n);
      }
      const m2 = fitLogReg(rp, Array.from(sl.keys()), sl, C, { lambda: 1e-3, maxIterations: 300 });
      add(`${f.name} spread→LR`, accuracyOf(predictLogReg(m2, rt), test.y, C));
      for (const [hname, hidden, epochs] of (process.env.NETS ?? 'softmax:0:10,mlp256:256:30').split(',').map((q) => {
        const [a, h, e] = q.split(':');
        return [a, h === '0' ? [] : h.split('+').map(Number), Number(e)] as const;
      })) {
        if (process.env.NOMLP && hidden.length) continue;
        const rows = Int32Array.from(sl.keys());
        const targets = new Float32Array(pool.n * C);
        for (let i = 0; i < pool.n; i++) targets[i * C + sl[i]] = 1;
        const net = await fitNet({
          X: f.P.X,
          n: pool.n,
          dim: f.P.dim,
          rows,
          targets,
          nClasses: C,
          hidden: [...hidden],
          l2: 1e-3,
          epochs,
          batchSize: 512,
          seed,
        });
        const lg = netLogitsSync(net, f.T.X, test.n, f.T.dim);
        add(`${f.name} spread→${hname}`, accuracyOf(Float64Array.from(lg), test.y, C));
      }
      // Inductive spreading: a test clip takes its pool neighbours' spread scores, weighted by similarity.
      for (const kk of [10, 20]) {
        const P = new Float64Array(test.n * C);
        const row = new Float32Array(pool.n);
        for (let i = 0; i < test.n; i++) {
          for (let j = 0; j < pool.n; j++) {
            let s = 0;
            for (let d = 0; d < f.T.dim; d++) s += f.T.X[i * f.T.dim + d] * f.P.X[j * f.P.dim + d];
            row[j] = s;
          }
          const order = Array.from(row.keys())
            .sort((a, b) => row[b] - row[a])
            .slice(0, kk);
          for (const j of order) {
            let z = 0;
            for (let c = 0; c < C; c++) z += F[j * C + c];
            for (let c = 0; c < C; c++) P[i * C + c] += Math.max(0, row[j]) * (z > 0 ? F[j * C + c] / z : 0);
          }
        }
        add(`${f.name} spread→kNN${kk}`, accuracyOf(P, test.y, C));
      }
    }
    console.error(`seed ${seed} done`);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (const [k, v] of Object.entries(res))
    console.log(`${set}\t${k.padEnd(24)}\t${v.map((x) => (100 * x).toFixed(1)).join(' / ')}\tmedian ${(100 * med(v)).toFixed(1)}`);
}

void main();
