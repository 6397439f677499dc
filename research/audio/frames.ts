/**
 * Speaker identity from frames (text-independent): each voiced frame of a labelled clip is a training row (MFCCs of
 * the 40-mel log-mel, optionally their deltas and the frame's log2 F0 by YIN), a logistic regression on the frames,
 * and a clip's class the sum of its voiced frames' log-probabilities. Against the clip-level rows (utterance timbre +
 * voice features). 10 labels per class (seeded), test accuracy.
 *   node --import tsx research/audio/frames.ts [audio-speakers|audio-words] [seeds=1,2,3]
 */
import { clipRows, loadSplit, type SpecSet } from './data';
import { resample } from '../../src/core/modalities/audio/resample';
import { VOICE_OPTIONS, yinTrack } from '../../src/core/modalities/audio/voice';
import { dctMatrix } from '../../src/core/modalities/audio/mfcc';
import { fitLogReg, predictLogReg } from '../../src/bench/baselines/linear';
import { mulberry32, sample } from '../../src/bench/rng';

/** Per clip per log-mel frame: log2 F0 (0: unvoiced by YIN). */
function f0Rows(set: string, split: string, frames: number): Promise<Float32Array> {
  return clipRows(set, split, `f0x${frames}`, frames, (x) => {
    const { f0, dip } = yinTrack(resample(x, 16000, VOICE_OPTIONS.pitchRate), VOICE_OPTIONS.pitchRate);
    return Float32Array.from({ length: frames }, (_, t) => {
      const f = Math.min(f0.length - 1, t);
      return f0[f] > 0 && dip[f] < VOICE_OPTIONS.threshold ? Math.log2(f0[f]) : 0;
    });
  });
}

interface FrameSet {
  X: Float32Array;
  dim: number;
  clip: Int32Array;
  n: number;
}

function frameRows(
  s: SpecSet,
  f0: Float32Array,
  clips: number[],
  o: { K: number; delta: boolean; pitch: boolean; voicedNats: number },
): FrameSet {
  const { frames, mels } = s;
  const D = dctMatrix(o.K, mels);
  const dim = o.K * (o.delta ? 2 : 1) + (o.pitch ? 2 : 0);
  const rows: number[] = [];
  const clip: number[] = [];
  const cep = new Float64Array(frames * o.K);
  const level = new Float64Array(frames);
  for (const i of clips) {
    const base = i * frames * mels;
    for (let t = 0; t < frames; t++) {
      let lv = 0;
      for (let m = 0; m < mels; m++) lv += s.spec[base + t * mels + m];
      level[t] = lv / mels;
      for (let k = 0; k < o.K; k++) {
        let a = 0;
        for (let m = 0; m < mels; m++) a += D[k * mels + m] * s.spec[base + t * mels + m];
        cep[t * o.K + k] = a;
      }
    }
    const sorted = Float64Array.from(level).sort();
    const quiet = sorted.slice(0, Math.max(1, Math.round(frames / 5))).reduce((a, b) => a + b, 0) / Math.max(1, Math.round(frames / 5));
    for (let t = 1; t < frames - 1; t++) {
      if (level[t] <= quiet + o.voicedNats) continue;
      const r: number[] = [];
      for (let k = 0; k < o.K; k++) r.push(cep[t * o.K + k]);
      if (o.delta) for (let k = 0; k < o.K; k++) r.push((cep[(t + 1) * o.K + k] - cep[(t - 1) * o.K + k]) / 2);
      if (o.pitch) {
        const p = f0[i * frames + t];
        r.push(p > 0 ? p : 0, p > 0 ? 1 : 0);
      }
      rows.push(...r);
      clip.push(i);
    }
  }
  return { X: Float32Array.from(rows), dim, clip: Int32Array.from(clip), n: clip.length };
}

async function main(): Promise<void> {
  const set = process.argv[2] ?? 'audio-speakers';
  const seeds = (process.argv[3] ?? '1,2,3').split(',').map(Number);
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  const fp = await f0Rows(set, 'pool', pool.frames);
  const ft = await f0Rows(set, 'test', test.frames);
  const C = pool.classes.length;
  const res: Record<string, number[]> = {};
  const variants = (process.env.VARIANTS ?? 'mfcc20:20,0,0;mfcc20+f0:20,0,1;mfcc20+d+f0:20,1,1;mfcc13+d+f0:13,1,1').split(';').map((v) => {
    const [name, a] = v.split(':');
    const [K, d, p] = a.split(',').map(Number);
    return { name, o: { K, delta: d === 1, pitch: p === 1, voicedNats: 2.3 } };
  });
  const testAll = Array.from({ length: test.n }, (_, i) => i);
  for (const seed of seeds) {
    const rand = mulberry32(seed);
    const byClass: number[][] = Array.from({ length: C }, () => []);
    for (let i = 0; i < pool.n; i++) byClass[pool.y[i]].push(i);
    const lab = byClass.flatMap((l) => sample(l, 10, rand));
    for (const v of variants) {
      const tr = frameRows(pool, fp, lab, v.o);
      const te = frameRows(test, ft, testAll, v.o);
      // z-score by the training frames.
      const mean = new Float64Array(tr.dim);
      const sd = new Float64Array(tr.dim);
      for (let r = 0; r < tr.n; r++) for (let d = 0; d < tr.dim; d++) mean[d] += tr.X[r * tr.dim + d] / tr.n;
      for (let r = 0; r < tr.n; r++) for (let d = 0; d < tr.dim; d++) sd[d] += (tr.X[r * tr.dim + d] - mean[d]) ** 2 / tr.n;
      for (const F of [tr, te]) for (let q = 0; q < F.X.length; q++) F.X[q] = (F.X[q] - mean[q % F.dim]) / Math.sqrt(sd[q % F.dim] + 1e-9);
      const y = Int32Array.from(tr.clip, (i) => pool.y[i]);
      for (const lam of (process.env.LAMBDAS ?? '1e-4').split(',').map(Number)) {
        const m = fitLogReg(
          { kind: 'dense', X: tr.X, n: tr.n, dim: tr.dim },
          Array.from({ length: tr.n }, (_, r) => r),
          y,
          C,
          {
            lambda: lam,
            maxIterations: 300,
          },
        );
        const P = predictLogReg(m, { kind: 'dense', X: te.X, n: te.n, dim: te.dim });
        const score = new Float64Array(test.n * C);
        for (let r = 0; r < te.n; r++) for (let c = 0; c < C; c++) score[te.clip[r] * C + c] += Math.log(Math.max(1e-12, P[r * C + c]));
        let ok = 0;
        for (let i = 0; i < test.n; i++) {
          let b = 0;
          for (let c = 1; c < C; c++) if (score[i * C + c] > score[i * C + b]) b = c;
          if (b === test.y[i]) ok++;
        }
        (res[`${v.name} λ${lam}`] ??= []).push(ok / test.n);
      }
    }
    console.error(`seed ${seed} done`);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (const [k, v] of Object.entries(res))
    console.log(`${set}\t${k.padEnd(30)}\t${v.map((x) => (100 * x).toFixed(1)).join(' / ')}\tmedian ${(100 * med(v)).toFixed(1)}`);
}

void main();
