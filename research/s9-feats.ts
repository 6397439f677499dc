/**
 * Plain-JS image features + the bench baseline's logistic regression on the bench's seed labels, scored on the test
 * split: the quick loop behind "Session 9 — images" (issue 11 items 3, 2). Which input side, which alpha background,
 * and which hand-crafted features (HOG, colour histograms) beat PCA-50 of the raw pixels at the same labels.
 * Research only.
 *
 *   node --import tsx research/s9-feats.ts SET SEED VARIANT...
 *     SET: icons | letters | mnist2k (the bench's dev sets under .bench/data; mnist2k: the bench's seeded 2,000 / 1,000)
 *     VARIANT: FEATURES@SIDE[:bg=white|gray|black][,channels=1|3]
 *       FEATURES: pixels (PCA-50, = the pca-logreg baseline at that side) | hog | hogN (N × N cells) | colour | hog+colour
 *       | hog+pixels | hog3+hog+hog8 …
 *       or cand-hog / cand-pca: the product's pixel candidate (fitPixelCandidate with those features): its 5-fold
 *       out-of-fold accuracy on the seed labels (what the held-out selection compares) and its test accuracy
 *   PER_CLASS=N labels per class (default 10, the bench's); a large N labels the whole pool (the supervised ceiling)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanWorkspace, decodeImage, toUint8, type DecodedImage } from '../src/core/dataset';
import { buildWorkspace } from '../src/bench/workspace';
import { readTruth } from '../src/bench/truth';
import { benchSeedLabels } from './data';
import { fitPca, pcaTransform, fitLogReg, logitsLogReg, type Rows } from '../src/core/modalities/image/linear';
import { argmaxRow } from '../src/core/util/math';
import { ldaProjection, projectRows } from '../src/core/train/lda';
import { buildKnnGraph, spreadLabels } from '../src/core/train/graph';
import { hogFeatures, colourHistogram } from '../src/core/modalities/image/features';
import { fitPixelCandidate, pixelProbs, type PixelFeatureKind } from '../src/core/modalities/image/pixels';
import type { ImageData } from '../src/protocol/jobs';

interface Side {
  ids: string[];
  truth: Map<string, string>;
  raw: DecodedImage[];
}

async function side(data: string, truthFile: string, limit: number | undefined, seed: number): Promise<Side> {
  const t = await readTruth(truthFile);
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-s9-'));
  const ws = await buildWorkspace({ data: path.resolve(data), truth: t.labels, dest: path.join(dest, 'ws'), limit, seed });
  const items = (await scanWorkspace(ws.root, {})).items.filter((it) => ws.truth.has(it.id));
  const raw = items.map((it) => decodeImage(fs.readFileSync(path.join(ws.root, it.id)), it.id));
  fs.rmSync(dest, { recursive: true, force: true });
  return { ids: items.map((it) => it.id), truth: ws.truth, raw };
}

/** The image composited on `bg` (0..255) as RGB, or left alone without alpha. */
function onBackground(img: DecodedImage, bg: number): DecodedImage {
  if (img.channels !== 4) return img;
  const n = img.width * img.height;
  const c = img.channels;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const a = img.data[p * c + c - 1] / 255;
    for (let k = 0; k < 3; k++) {
      const v = img.data[p * 4 + k];
      out[p * 3 + k] = Math.round(v * a + bg * (1 - a));
    }
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

async function main() {
  const [set, seedArg, ...variants] = process.argv.slice(2);
  if (!set || !seedArg || !variants.length) throw new Error('usage: s9-feats.ts SET SEED VARIANT...');
  const seed = Number(seedArg);
  const ds = set === 'mnist2k' ? 'mnist' : set;
  const D = `.bench/data/${ds}`;
  const lim = set === 'mnist2k' ? [2000, 1000] : [undefined, undefined];
  const pool = await side(`${D}/pool`, `${D}/pool-truth.csv`, lim[0], seed);
  const test = await side(`${D}/test`, `${D}/test-truth.csv`, lim[1], seed + 1);
  // The bench's seed labels (src/bench/annotator.ts seed()).
  const { classes, index, y } = benchSeedLabels(
    pool.ids.map((id) => pool.truth.get(id)),
    seed,
    Number(process.env.PER_CLASS ?? 10),
  );
  const C = classes.length;
  const colour = pool.raw.some((r) => r.channels >= 3);
  for (const v of variants) {
    const t0 = Date.now();
    const [head, over = ''] = v.split(':');
    const [feats, sideArg] = head.split('@');
    const size = Number(sideArg);
    const kv = new Map(over ? over.split(',').map((x) => x.split('=') as [string, string]) : []);
    const bg = { white: 255, gray: 128, black: 0 }[kv.get('bg') ?? 'white']!;
    const channels = (kv.has('channels') ? Number(kv.get('channels')) : colour ? 3 : 1) as 1 | 3;
    const px = (s: Side) => s.raw.map((r) => toUint8(onBackground(r, bg), size, channels));
    const pp = px(pool);
    const tp = px(test);
    const per = size * size * channels;
    if (feats.startsWith('cand-')) {
      const data = (a: Uint8Array[]): ImageData => {
        const sab = new SharedArrayBuffer(a.length * per);
        const u = new Uint8Array(sab);
        a.forEach((r, i) => u.set(r, i * per));
        return { kind: 'image', pixels: sab, n: a.length, size, channels };
      };
      const train = { index: Int32Array.from(index), y: Int32Array.from(y), weight: new Float32Array(index.length).fill(1) };
      const { state } = await fitPixelCandidate(data(pp), train, C, seed, feats.slice(5) as PixelFeatureKind);
      const probs = pixelProbs(state, data(tp));
      let ok = 0;
      test.ids.forEach((id, j) => classes[argmaxRow(probs, j, C)] === test.truth.get(id) && ok++);
      console.log(
        `${set} s${seed} ${v}: out-of-fold ${(100 * (state.estimatedAccuracy ?? 0)).toFixed(1)}% (n=${index.length})  test ${((100 * ok) / tp.length).toFixed(1)}%  ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      continue;
    }
    const parts: { pool: Float32Array; test: Float32Array; d: number }[] = [];
    for (const f of feats.split('+')) {
      if (f === 'pixels') {
        const fl = (a: Uint8Array[]) => {
          const X = new Float32Array(a.length * per);
          a.forEach((r, i) => {
            for (let q = 0; q < per; q++) X[i * per + q] = r[q] / 255;
          });
          return X;
        };
        const Xp = fl(pp);
        const pca = fitPca(Xp, pp.length, per, 50, { seed });
        parts.push({
          pool: Float32Array.from(pcaTransform(pca, Xp, pp.length)),
          test: Float32Array.from(pcaTransform(pca, fl(tp), tp.length)),
          d: pca.k,
        });
      } else if (/^hog\d*$/.test(f) || f === 'colour') {
        // hog = HOG on the product's 6 × 6 grid; hogN on an N × N grid (a pyramid: hog3+hog+hog8).
        const cells = f.length > 3 ? Number(f.slice(3)) : 6;
        const fn = (r: Uint8Array) => (f === 'colour' ? colourHistogram(r, size, channels) : hogFeatures(r, size, channels, cells));
        const d = fn(pp[0]).length;
        const all = (a: Uint8Array[]) => {
          const X = new Float32Array(a.length * d);
          a.forEach((r, i) => X.set(fn(r), i * d));
          return X;
        };
        parts.push({ pool: all(pp), test: all(tp), d });
      } else throw new Error(`unknown features ${f}`);
    }
    const d = parts.reduce((s, p) => s + p.d, 0);
    const cat = (which: 'pool' | 'test', n: number) => {
      const X = new Float32Array(n * d);
      let o = 0;
      for (const p of parts) {
        for (let i = 0; i < n; i++) X.set(p[which].subarray(i * p.d, (i + 1) * p.d), i * d + o);
        o += p.d;
      }
      return X;
    };
    const n = pp.length;
    const m = tp.length;
    const both = new Float32Array((n + m) * d);
    both.set(cat('pool', n));
    both.set(cat('test', m), n * d);
    if (!(parts.length === 1 && feats === 'pixels')) {
      // Standardise with the pool's statistics only.
      const Xp = both.subarray(0, n * d);
      const mean = new Float64Array(d);
      const sd = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += Xp[i * d + j] / n;
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (Xp[i * d + j] - mean[j]) ** 2 / n;
      for (let i = 0; i < n + m; i++) for (let j = 0; j < d; j++) both[i * d + j] = (both[i * d + j] - mean[j]) / (Math.sqrt(sd[j]) || 1);
    }
    const rows: Rows = { kind: 'dense', X: both, n: n + m, dim: d };
    if (process.env.LDA) {
      // LDA=1 (session 37): label spreading over the pool's kNN graph of the rows projected on the seed labels'
      // discriminant directions (src/core/train/lda.ts, as the audio head's lda fit), then logistic regression on
      // the pool's spread labels; and, beside it, the same spreading over the standardised rows themselves.
      for (const projected of [false, true]) {
        const p = projected ? ldaProjection(both, d, index, y, C) : undefined;
        const Z = p ? projectRows(both.subarray(0, n * d), n, d, p) : both.slice(0, n * d);
        const dz = p ? p.out : d;
        if (!p)
          for (let i = 0; i < n; i++) {
            let s2 = 0;
            for (let j = 0; j < d; j++) s2 += Z[i * d + j] ** 2;
            for (let j = 0; j < d; j++) Z[i * d + j] /= Math.sqrt(s2) || 1;
          }
        const graph = await buildKnnGraph({ X: Z, n, dim: dz, k: Number(process.env.K ?? 10) });
        const { F } = spreadLabels({
          graph,
          nClasses: C,
          seeds: { index: Int32Array.from(index), y: Int32Array.from(y), weight: new Float32Array(index.length).fill(1) },
        });
        const sl = Int32Array.from({ length: n }, (_, i) => argmaxRow(F, i, C));
        const mS = fitLogReg(
          rows,
          Array.from({ length: n }, (_, i) => i),
          sl,
          C,
        );
        const lg = logitsLogReg(
          mS,
          rows,
          Int32Array.from({ length: m }, (_, j) => n + j),
        );
        let okS = 0;
        test.ids.forEach((id, j) => classes[argmaxRow(lg, j, C)] === test.truth.get(id) && okS++);
        let okP = 0;
        pool.ids.forEach((id, i) => classes[sl[i]] === pool.truth.get(id) && okP++);
        console.log(
          `${set} s${seed} ${v} ${p ? `lda${p.out}` : 'raw'} spread: pool ${((100 * okP) / n).toFixed(1)}%  → LR test ${((100 * okS) / m).toFixed(1)}%`,
        );
      }
    }
    const model = fitLogReg(rows, index, y, C);
    const list = Int32Array.from({ length: m }, (_, j) => n + j);
    const logits = logitsLogReg(model, rows, list);
    let ok = 0;
    test.ids.forEach((id, j) => classes[argmaxRow(logits, j, C)] === test.truth.get(id) && ok++);
    console.log(`${set} s${seed} ${v}: test ${((100 * ok) / m).toFixed(1)}%  dim ${d}  ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
