/**
 * Where the words head's errors are: test accuracy by the clip's noise (sources.csv: SNR, or clean), for logistic
 * regression on the utterance features with every pool label (the features' ceiling) and with 10 labels per class.
 *   SELFLABEL_AUDIO_DATA=.bench/data node --import tsx research/audio/snr.ts [audio-words|audio-speakers] [seed=1]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATA, loadSplit, seedLabels } from './data';
import { columnStats, standardizeBlocks, utteranceFeatures, UTTERANCE_DEFAULTS } from '../../src/core/modalities/audio/utterance';
import { fitLogReg, predictLogReg, argmaxRows } from '../../src/bench/baselines/linear';
import { logMelClip } from '../../src/core/modalities/audio/melspec';
import { mulberry32 } from '../../src/bench/rng';

/** Noise spectrograms (power, frames × mels) of the data script's white and pink-ish noise, made the same way. */
function noiseBank(count: number, frames: number, mels: number, seed: number): Float32Array[] {
  const r = mulberry32(seed);
  const out: Float32Array[] = [];
  for (let k = 0; k < count; k++) {
    const pink = k % 2 === 1;
    const x = new Float32Array(16000);
    let prev = 0;
    for (let i = 0; i < x.length; i++) {
      const u = Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
      prev = pink ? 0.95 * prev + 0.31 * u : u;
      x[i] = 0.05 * prev;
    }
    const m = logMelClip(x, 1, { nMels: mels });
    if (m.frames !== frames) throw new Error(`noise frames ${m.frames} ≠ ${frames}`);
    out.push(Float32Array.from(m.data, (v) => Math.exp(v)));
  }
  return out;
}

/** The clip's log-mel with noise N mixed in the power domain at \`snrDb\` relative to its loud frames' power. */
function mixSpec(S: Float32Array, N: Float32Array, frames: number, mels: number, snrDb: number, out: Float32Array): void {
  const e = new Float64Array(frames);
  let max = 0;
  let pn = 0;
  for (let t = 0; t < frames; t++) {
    for (let m = 0; m < mels; m++) {
      e[t] += Math.exp(S[t * mels + m]);
      pn += N[t * mels + m];
    }
    max = Math.max(max, e[t]);
  }
  pn /= frames;
  let ps = 0,
    c = 0;
  for (let t = 0; t < frames; t++)
    if (e[t] > 0.1 * max) {
      ps += e[t];
      c++;
    }
  ps /= Math.max(1, c);
  const g = ps / (pn * 10 ** (snrDb / 10));
  for (let q = 0; q < frames * mels; q++) out[q] = Math.log(Math.exp(S[q]) + g * N[q] + 1e-6);
}

function snrOf(set: string, split: string): (number | null)[] {
  const lines = fs
    .readFileSync(path.join(DATA, set, 'sources.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return lines
    .filter((l) => l.startsWith(split + ','))
    .map((l) => {
      const s = l.split(',')[8];
      return s === '' || s === 'null' ? null : Number(s);
    });
}

function bucket(s: number | null): string {
  if (s === null) return 'clean';
  if (s >= 30) return '30-40';
  if (s >= 20) return '20-30';
  if (s >= 10) return '10-20';
  return '5-10';
}

async function main(): Promise<void> {
  const set = process.argv[2] ?? 'audio-words';
  const seed = Number(process.argv[3] ?? 1);
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  const snr = snrOf(set, 'test');
  if (snr.length !== test.n) throw new Error(`sources: ${snr.length} test rows, truth ${test.n}`);
  const C = pool.classes.length;
  const up = utteranceFeatures(pool.spec, pool.n, pool.frames, pool.mels, UTTERANCE_DEFAULTS);
  const ut = utteranceFeatures(test.spec, test.n, test.frames, test.mels, UTTERANCE_DEFAULTS);
  const st = columnStats(up.X, up.n, up.dim);
  const w = { mfcc: 1, stats: 1, shape: 1, spectrum: 1 };
  const { X: Xp, dim } = standardizeBlocks(up, st, w);
  const { X: Xt } = standardizeBlocks(ut, st, w);
  const rp = { kind: 'dense' as const, X: Xp, n: pool.n, dim };
  const rt = { kind: 'dense' as const, X: Xt, n: test.n, dim };
  const runs: [string, number[], Int32Array][] = [
    ['all pool labels', Array.from(pool.y.keys()), pool.y],
    ['10 / class', ...(Object.values(seedLabels(pool.y, C, 10, seed)) as [number[], Int32Array])],
  ];
  // AUG=K: K noisy copies of each labelled clip (SNR uniform in [LO, HI] dB) join its rows, for the 10 / class run.
  const K = Number(process.env.AUG ?? 0);
  if (K > 0) {
    const [lo, hi] = (process.env.SNR ?? '0,30').split(',').map(Number);
    const { lab } = seedLabels(pool.y, C, 10, seed);
    const per = pool.frames * pool.mels;
    const bank = noiseBank(16, pool.frames, pool.mels, 7);
    const r = mulberry32(seed * 31 + 5);
    const spec = new Float32Array(lab.length * (K + 1) * per);
    const y2 = new Int32Array(lab.length * (K + 1));
    let q = 0;
    for (const i of lab) {
      const S = pool.spec.subarray(i * per, (i + 1) * per);
      spec.set(S, q * per);
      y2[q++] = pool.y[i];
      for (let k = 0; k < K; k++) {
        mixSpec(
          S,
          bank[Math.floor(r() * bank.length)],
          pool.frames,
          pool.mels,
          lo + (hi - lo) * r(),
          spec.subarray(q * per, (q + 1) * per),
        );
        y2[q++] = pool.y[i];
      }
    }
    const ua = utteranceFeatures(spec, q, pool.frames, pool.mels, UTTERANCE_DEFAULTS);
    const { X: Xa } = standardizeBlocks(ua, st, w);
    const ra = { kind: 'dense' as const, X: Xa, n: q, dim };
    const m = fitLogReg(ra, Array.from(y2.keys()), y2, C, { lambda: 1e-3, maxIterations: 400 });
    report(`10 / class + ${K} noisy copies`, argmaxRows(Float64Array.from(predictLogReg(m, rt)), test.n, C));
  }
  function report(name: string, pred: ArrayLike<number>): void {
    const by = new Map<string, [number, number]>();
    for (let i = 0; i < test.n; i++) {
      const b = by.get(bucket(snr[i])) ?? [0, 0];
      b[0] += pred[i] === test.y[i] ? 1 : 0;
      b[1]++;
      by.set(bucket(snr[i]), b);
    }
    const tot = [...by.values()].reduce((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);
    console.log(
      `${set} ${name}: ${((100 * tot[0]) / tot[1]).toFixed(1)}% — ` +
        ['clean', '30-40', '20-30', '10-20', '5-10']
          .map((k) => {
            const b = by.get(k) ?? [0, 1];
            return `${k} ${((100 * b[0]) / b[1]).toFixed(1)}% (${b[1]})`;
          })
          .join(', '),
    );
  }
  for (const [name, lab, ly] of runs) {
    if (K > 0 && name === 'all pool labels') continue;
    const m = fitLogReg(rp, lab, ly, C, { lambda: 1e-3, maxIterations: 400 });
    report(name, argmaxRows(Float64Array.from(predictLogReg(m, rt)), test.n, C));
  }
}

void main();
