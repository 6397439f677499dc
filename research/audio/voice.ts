/**
 * Voice features (src/core/modalities/audio/voice.ts: pitch by YIN, long-term average spectrum, tilt, centroid)
 * beside the utterance features, on the dev sets without pretraining: logistic regression on 10 labels per class
 * (seeded), test accuracy. Voice rows cached under /tmp/sl-audio-study.
 *   node --import tsx research/audio/voice.ts [audio-speakers|audio-words] [seeds=1,2,3]
 *   env VARIANTS, LAMBDAS, SELFTRAIN, SPREAD, K; NETS=h,… (fitNet with h hidden units on the labels, 0: softmax).
 */
import { loadSplit, knnGraph, seedLabels, voiceRows } from './data';
import { VOICE_DIM, VOICE_HARMONICS } from '../../src/core/modalities/audio/voice';
import { columnStats, utteranceFeatures, type UtteranceBlocks } from '../../src/core/modalities/audio/utterance';
import { fitLogReg, predictLogReg, argmaxRows } from '../../src/bench/baselines/linear';
import { spreadLabels } from '../../src/core/train/graph';
import { fitNet, netLogitsSync } from '../../src/core/train/net';
import { useBackend } from '../backend';

type Block = { X: Float32Array; dim: number; cols: [number, number]; w: number };

/** z-scored (pool stats), each block scaled to its weight, rows L2-normalised. */
function join(blocks: Block[], n: number, stats: { mean: number[]; std: number[] }[]): Float32Array {
  const dim = blocks.reduce((s, b) => s + b.cols[1] - b.cols[0], 0);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let o = 0;
    blocks.forEach((b, k) => {
      const [a, e] = b.cols;
      const sc = Math.sqrt(b.w / (e - a));
      for (let d = a; d < e; d++) out[i * dim + o++] = ((b.X[i * b.dim + d] - stats[k].mean[d]) / stats[k].std[d]) * sc;
    });
    let s = 0;
    for (let q = 0; q < dim; q++) s += out[i * dim + q] ** 2;
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let q = 0; q < dim; q++) out[i * dim + q] *= k;
  }
  return out;
}

async function main(): Promise<void> {
  await useBackend(process.env.BACKEND ?? 'wasm');
  const set = process.argv[2] ?? 'audio-speakers';
  const seeds = (process.argv[3] ?? '1,2,3').split(',').map(Number);
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  const vp = await voiceRows(set, 'pool');
  const vt = await voiceRows(set, 'test');
  const C = pool.classes.length;
  const up = utteranceFeatures(pool.spec, pool.n, pool.frames, pool.mels);
  const ut = utteranceFeatures(test.spec, test.n, test.frames, test.mels);
  const ust = columnStats(up.X, up.n, up.dim);
  const vst = columnStats(vp, pool.n, VOICE_DIM);
  const B = (name: keyof UtteranceBlocks) => up.blocks[name];
  // VARIANTS: name:block=weight,... (blocks mfcc stats shape spectrum pitch lts)
  const spec =
    process.env.VARIANTS ??
    'timbre:mfcc=1,stats=1,spectrum=1;timbre+voice:mfcc=1,stats=1,spectrum=1,pitch=1,lts=1;timbre+pitch:mfcc=1,stats=1,spectrum=1,pitch=1;voice:pitch=1,lts=1;pitch:pitch=1';
  const variants = spec.split(';').map((v) => {
    const [name, ws] = v.split(':');
    return {
      name,
      parts: ws
        .split(',')
        .map((p) => p.split('='))
        .map(([b, w]) => ({ b, w: Number(w) })),
    };
  });
  const mk = (which: 'pool' | 'test', parts: { b: string; w: number }[]) => {
    const u = which === 'pool' ? up : ut;
    const v = which === 'pool' ? vp : vt;
    const n = which === 'pool' ? pool.n : test.n;
    const blocks: Block[] = [];
    const st: { mean: number[]; std: number[] }[] = [];
    for (const { b, w } of parts) {
      if (b === 'pitch') blocks.push({ X: v, dim: VOICE_DIM, cols: [0, 8], w });
      else if (b === 'lts') blocks.push({ X: v, dim: VOICE_DIM, cols: [8, VOICE_DIM - VOICE_HARMONICS], w });
      else if (b === 'harm') blocks.push({ X: v, dim: VOICE_DIM, cols: [VOICE_DIM - VOICE_HARMONICS, VOICE_DIM], w });
      else blocks.push({ X: u.X, dim: u.dim, cols: B(b as keyof UtteranceBlocks)!, w });
      st.push(b === 'pitch' || b === 'lts' || b === 'harm' ? vst : ust);
    }
    const X = join(blocks, n, st);
    return { kind: 'dense' as const, X, n, dim: X.length / n };
  };
  const res: Record<string, number[]> = {};
  for (const seed of seeds) {
    const { lab, ly } = seedLabels(pool.y, C, 10, seed);
    for (const v of variants) {
      const rp = mk('pool', v.parts);
      const rt = mk('test', v.parts);
      for (const lam of (process.env.LAMBDAS ?? '1e-3').split(',').map(Number)) {
        const m = fitLogReg(rp, lab, ly, C, { lambda: lam, maxIterations: 400 });
        const P = predictLogReg(m, rt);
        const pl = argmaxRows(P, test.n, C);
        let ok = 0;
        for (let i = 0; i < test.n; i++) if (pl[i] === test.y[i]) ok++;
        (res[`${v.name} λ${lam}`] ??= []).push(ok / test.n);
        // NETS=h,…: an MLP of h hidden units on the labels instead (src/core/train/net.ts fitNet, 0: softmax).
        for (const h of (process.env.NETS ?? '').split(',').filter(Boolean).map(Number)) {
          const targets = new Float32Array(lab.length * C);
          lab.forEach((_, k) => (targets[k * C + ly[k]] = 1));
          const net = await fitNet({
            X: rp.X,
            n: pool.n,
            dim: rp.dim,
            rows: Int32Array.from(lab),
            targets,
            nClasses: C,
            hidden: h ? [h] : [],
            l2: lam,
            epochs: 30,
            seed,
          });
          const lg = netLogitsSync(net, rt.X, test.n, rt.dim);
          const pn = argmaxRows(Float64Array.from(lg), test.n, C);
          let okn = 0;
          for (let i = 0; i < test.n; i++) if (pn[i] === test.y[i]) okn++;
          (res[`${v.name} net${h} λ${lam}`] ??= []).push(okn / test.n);
        }
        // SELFTRAIN=τ,… : pseudo-labels of the pool at confidence ≥ τ (from the labelled model), refit, twice.
        for (const tau of (process.env.SELFTRAIN ?? '').split(',').filter(Boolean).map(Number)) {
          let model = m;
          for (let it = 0; it < 2; it++) {
            const Pp = predictLogReg(model, rp);
            const idx = [...lab];
            const ys = Array.from(ly);
            const inLab = new Set(lab);
            let right = 0;
            for (let i = 0; i < pool.n; i++) {
              if (inLab.has(i)) continue;
              let bc = 0;
              for (let c = 1; c < C; c++) if (Pp[i * C + c] > Pp[i * C + bc]) bc = c;
              if (Pp[i * C + bc] >= tau) {
                idx.push(i);
                ys.push(bc);
                if (bc === pool.y[i]) right++;
              }
            }
            if (it === 1)
              (res[`${v.name} λ${lam} st${tau} pseudo n/prec`] ??= []).push(
                idx.length - lab.length,
                right / Math.max(1, idx.length - lab.length),
              );
            model = fitLogReg(rp, idx, Int32Array.from(ys), C, { lambda: lam, maxIterations: 400 });
          }
          const pl3 = argmaxRows(predictLogReg(model, rt), test.n, C);
          let ok3 = 0;
          for (let i = 0; i < test.n; i++) if (pl3[i] === test.y[i]) ok3++;
          (res[`${v.name} λ${lam} st${tau}`] ??= []).push(ok3 / test.n);
        }
      }
      if (!process.env.SPREAD) continue;
      const g = knnGraph(rp.X, pool.n, rp.dim, Number(process.env.K ?? 20));
      const { F } = spreadLabels({
        graph: g,
        nClasses: C,
        seeds: { index: Int32Array.from(lab), y: ly, weight: new Float32Array(lab.length).fill(1) },
      });
      const sl = argmaxRows(Float64Array.from(F), pool.n, C);
      let sok = 0;
      for (let i = 0; i < pool.n; i++) if (sl[i] === pool.y[i]) sok++;
      (res[`${v.name} spread(pool)`] ??= []).push(sok / pool.n);
      const m2 = fitLogReg(rp, Array.from(sl.keys()), sl, C, { lambda: 1e-3, maxIterations: 300 });
      const pl2 = argmaxRows(predictLogReg(m2, rt), test.n, C);
      let ok2 = 0;
      for (let i = 0; i < test.n; i++) if (pl2[i] === test.y[i]) ok2++;
      (res[`${v.name} spread→LR`] ??= []).push(ok2 / test.n);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  for (const [k, v] of Object.entries(res))
    console.log(`${set}\t${k.padEnd(30)}\t${v.map((x) => (100 * x).toFixed(1)).join(' / ')}\tmedian ${(100 * med(v)).toFixed(1)}`);
}

void main();
