/**
 * Spoken words by dynamic time warping: each clip's voiced span as a sequence of MFCC frames (c1…cK of the 40-mel
 * log-mel, less the span's mean), test clips classified by their nearest labelled clips (1-NN, or the sum of the
 * three nearest per class). 10 labels per class (seeded), test accuracy.
 *   node --import tsx research/audio/dtw.ts [audio-words] [seeds=1,2,3]
 */
import { loadSplit, type SpecSet } from './data';
import { dctMatrix } from '../../src/core/modalities/audio/mfcc';
import { mulberry32, sample } from '../../src/bench/rng';

interface Seq {
  X: Float32Array;
  T: number;
}

function sequences(s: SpecSet, K: number, voicedNats: number, step: number): Seq[] {
  const { frames, mels } = s;
  const D = dctMatrix(K + 1, mels);
  const out: Seq[] = [];
  const level = new Float64Array(frames);
  for (let i = 0; i < s.n; i++) {
    const base = i * frames * mels;
    for (let t = 0; t < frames; t++) {
      let lv = 0;
      for (let m = 0; m < mels; m++) lv += s.spec[base + t * mels + m];
      level[t] = lv / mels;
    }
    const sorted = Float64Array.from(level).sort();
    const nq = Math.max(1, Math.round(frames / 5));
    let quiet = 0;
    for (let q = 0; q < nq; q++) quiet += sorted[q] / nq;
    let a = 0;
    while (a < frames - 1 && level[a] <= quiet + voicedNats) a++;
    let b = frames - 1;
    while (b > a && level[b] <= quiet + voicedNats) b--;
    if (b - a < 4) {
      a = Math.max(0, a - 2);
      b = Math.min(frames - 1, b + 2);
    }
    const T = Math.floor((b - a) / step) + 1;
    const X = new Float32Array(T * K);
    const mean = new Float64Array(K);
    for (let q = 0; q < T; q++) {
      const t = a + q * step;
      for (let k = 1; k <= K; k++) {
        let v = 0;
        for (let m = 0; m < mels; m++) v += D[k * mels + m] * s.spec[base + t * mels + m];
        X[q * K + k - 1] = v;
        mean[k - 1] += v / T;
      }
    }
    for (let q = 0; q < T; q++) for (let k = 0; k < K; k++) X[q * K + k] -= mean[k];
    out.push({ X, T });
  }
  return out;
}

const cost = new Float64Array(200 * 200);
function dtw(a: Seq, b: Seq, K: number): number {
  const n = a.T;
  const m = b.T;
  const INF = 1e30;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let d = 0;
      for (let k = 0; k < K; k++) {
        const v = a.X[i * K + k] - b.X[j * K + k];
        d += v * v;
      }
      d = Math.sqrt(d);
      let best: number;
      if (i === 0 && j === 0) best = 0;
      else {
        best = INF;
        if (i > 0) best = Math.min(best, cost[(i - 1) * m + j]);
        if (j > 0) best = Math.min(best, cost[i * m + j - 1]);
        if (i > 0 && j > 0) best = Math.min(best, cost[(i - 1) * m + j - 1]);
      }
      cost[i * m + j] = best + d;
    }
  }
  return cost[n * m - 1] / (n + m);
}

async function main(): Promise<void> {
  const set = process.argv[2] ?? 'audio-words';
  const seeds = (process.argv[3] ?? '1,2,3').split(',').map(Number);
  const K = Number(process.env.K ?? 12);
  const step = Number(process.env.STEP ?? 2);
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  const C = pool.classes.length;
  const sp = sequences(pool, K, 2.3, step);
  const st = sequences(test, K, 2.3, step);
  const res: Record<string, number[]> = {};
  for (const seed of seeds) {
    const rand = mulberry32(seed);
    const byClass: number[][] = Array.from({ length: C }, () => []);
    for (let i = 0; i < pool.n; i++) byClass[pool.y[i]].push(i);
    const lab = byClass.flatMap((l) => sample(l, 10, rand));
    let ok1 = 0;
    let ok3 = 0;
    for (let i = 0; i < test.n; i++) {
      const d = lab.map((j) => dtw(st[i], sp[j], K));
      let b = 0;
      for (let q = 1; q < d.length; q++) if (d[q] < d[b]) b = q;
      if (pool.y[lab[b]] === test.y[i]) ok1++;
      const per: number[][] = Array.from({ length: C }, () => []);
      d.forEach((v, q) => per[pool.y[lab[q]]].push(v));
      let bc = 0;
      let bv = Infinity;
      for (let c = 0; c < C; c++) {
        const v = per[c]
          .sort((x, y) => x - y)
          .slice(0, 3)
          .reduce((s, x) => s + x, 0);
        if (v < bv) {
          bv = v;
          bc = c;
        }
      }
      if (bc === test.y[i]) ok3++;
    }
    (res['dtw 1-NN'] ??= []).push(ok1 / test.n);
    (res['dtw 3-per-class'] ??= []).push(ok3 / test.n);
    console.error(`seed ${seed} done`);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (const [k, v] of Object.entries(res))
    console.log(
      `${set} K${K} step${step}\t${k.padEnd(20)}\t${v.map((x) => (100 * x).toFixed(1)).join(' / ')}\tmedian ${(100 * med(v)).toFixed(1)}`,
    );
}

void main();
