/**
 * Plain baselines scored beside SelfLabel in every bench run, on the same pool, the same test items and the same
 * human labels (`BenchResult.baselines`):
 * - images `pca-logreg`: PCA (50 components, fitted on the pool's raw pixels without labels) + multinomial logistic
 *   regression (scikit-learn's defaults, C = 1) on the human labels;
 * - text `tfidf-logreg`: TF-IDF (fitted on the pool's texts) + the same logistic regression;
 * - audio `mfcc-logreg`: 20 MFCCs' mean and std over the clip (./mfcc.ts) + the same logistic regression;
 * - review mode `random-…`: the same classifier on as many human labels as SelfLabel's run took (seed labels plus
 *   reviews plus uncertain items), spent on uniformly random pool items instead of SelfLabel's picks.
 * Raw pixels are the encoder's input: the same size and channels SelfLabel's image geometry picks (src/core/modalities/image/geometry.ts).
 * A baseline's dataset label accuracy scores every pool item as SelfLabel's does: its human label when it has one,
 * else the baseline's prediction; pool items that cannot be read count as wrong.
 */
import type { Item } from '../../core/types';
import { loadImage, loadTexts, scanWorkspace } from '../../core/dataset';
import { inputGeometry } from '../../core/modalities/image/geometry';
import { score } from '../metrics';
import { mulberry32, sample } from '../rng';
import { argmaxRows, fitLogReg, fitPca, pcaTransform, predictLogReg, type Rows } from './linear';
import { fitTfidf, tfidfRows } from './tfidf';
import { mfccFeatures } from './mfcc';

export interface BaselineResult {
  name: string;
  /** What it is, in a few words. */
  description: string;
  /** Human labels it was trained on. */
  labels: number;
  testAccuracy: number | null;
  datasetLabelAccuracy: number;
  /** Its own time: features + fit + predictions (random-…: fit + predictions, it shares the features). */
  seconds: number;
}

export interface BaselineInput {
  modality: 'image' | 'text' | 'audio';
  poolRoot: string;
  /** The scanned pool items that have a truth label. */
  poolItems: readonly Item[];
  /** Truth of every pool item (including ones the scan skipped: they count as wrong). */
  poolTruth: ReadonlyMap<string, string>;
  /** The human labels of SelfLabel's run (item → label). */
  human: ReadonlyMap<string, string>;
  classes: readonly string[];
  test?: { root: string; truth: ReadonlyMap<string, string> };
  /** Review mode: spend this many human labels on random pool items too (baseline c). */
  randomBudget?: number;
  textField?: string;
  imageSize?: number | 'auto';
  channels?: 1 | 3 | 'auto';
  /** Audio: the clip length of SelfLabel's encoder (setting audioClipSeconds). */
  audioClipSeconds?: number | 'auto';
  audioWindows?: { maxItemSeconds?: number; windowSeconds?: number };
  seed: number;
  /** PCA is fitted on at most this many pool items (a seeded subset; default 5,000). */
  pcaFitLimit?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** A baseline's features of the pool (and test items): the rows its logistic regression reads. */
export interface Features {
  pool: Rows;
  /** Row of each readable pool item. */
  poolRow: Map<string, number>;
  test: Rows | null;
  testIds: string[];
  seconds: number;
  what: string;
}

export async function imageFeatures(inp: BaselineInput, testItems: Item[]): Promise<Features> {
  const t0 = Date.now();
  const { size, channels } = inputGeometry(inp.poolItems, inp.imageSize, inp.channels);
  const per = size * size * channels;
  const read = async (root: string, items: readonly Item[]) => {
    const X = new Float32Array(items.length * per);
    const ok: string[] = [];
    let n = 0;
    for (const it of items) {
      if (inp.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      try {
        const px = await loadImage(root, it, size, channels);
        for (let q = 0; q < per; q++) X[n * per + q] = px[q] / 255;
        ok.push(it.id);
        n++;
      } catch {
        // unreadable: no row (a pool item then counts as wrong, a test item as not predicted)
      }
    }
    return { X: X.subarray(0, n * per), n, ids: ok };
  };
  const pool = await read(inp.poolRoot, inp.poolItems);
  const test = inp.test ? await read(inp.test.root, testItems) : null;
  const k = Math.min(50, per, pool.n - 1);
  const fitN = Math.min(pool.n, inp.pcaFitLimit ?? 5000);
  let fitX = pool.X;
  if (fitN < pool.n) {
    const rows = sample([...Array(pool.n).keys()], fitN, mulberry32(inp.seed + 17)).sort((a, b) => a - b);
    fitX = new Float32Array(fitN * per);
    rows.forEach((r, j) => fitX.set(pool.X.subarray(r * per, (r + 1) * per), j * per));
  }
  const pca = fitPca(fitX, fitN, per, k, { seed: inp.seed });
  const dense = (X: Float32Array, n: number): Rows => ({ kind: 'dense', X: pcaTransform(pca, X, n), n, dim: pca.k });
  return {
    pool: dense(pool.X, pool.n),
    poolRow: new Map(pool.ids.map((id, i) => [id, i])),
    test: test ? dense(test.X, test.n) : null,
    testIds: test?.ids ?? [],
    seconds: (Date.now() - t0) / 1000,
    what: `PCA-${pca.k} of ${size}×${size}×${channels} raw pixels (fitted on ${fitN} pool items)`,
  };
}

export async function textFeatures(inp: BaselineInput, testItems: Item[]): Promise<Features> {
  const t0 = Date.now();
  const read = async (root: string, items: readonly Item[]) => {
    const texts = await loadTexts(root, items as Item[], { textField: inp.textField, signal: inp.signal });
    const ids: string[] = [];
    const ok: string[] = [];
    texts.forEach((t, i) => {
      if (typeof t === 'string') {
        ids.push(items[i].id);
        ok.push(t);
      }
    });
    return { ids, texts: ok };
  };
  const pool = await read(inp.poolRoot, inp.poolItems);
  const test = inp.test ? await read(inp.test.root, testItems) : null;
  const model = fitTfidf(pool.texts, { maxFeatures: 100_000 });
  const sparse = (texts: string[]): Rows => ({ kind: 'sparse', ...tfidfRows(model, texts) });
  return {
    pool: sparse(pool.texts),
    poolRow: new Map(pool.ids.map((id, i) => [id, i])),
    test: test ? sparse(test.texts) : null,
    testIds: test?.ids ?? [],
    seconds: (Date.now() - t0) / 1000,
    what: `TF-IDF (${model.idf.length} terms from the pool)`,
  };
}

async function audioFeatures(inp: BaselineInput, testItems: Item[]): Promise<Features> {
  const t0 = Date.now();
  const f = await mfccFeatures(inp.poolRoot, inp.poolItems, inp.test ? { root: inp.test.root, items: testItems } : undefined, {
    clipSeconds: inp.audioClipSeconds,
    signal: inp.signal,
  });
  const dense = (r: { X: Float32Array; n: number }): Rows => ({ kind: 'dense', X: r.X, n: r.n, dim: f.dim });
  return {
    pool: dense(f.pool),
    poolRow: new Map(f.pool.ids.map((id, i) => [id, i])),
    test: f.test ? dense(f.test) : null,
    testIds: f.test?.ids ?? [],
    seconds: (Date.now() - t0) / 1000,
    what: `mean and std of 20 MFCCs over ${f.seconds} s clips`,
  };
}

/** Fits the classifier on `labelled` (item → label) and scores it as a BaselineResult. */
function scoreClassifier(
  inp: BaselineInput,
  f: Features,
  name: string,
  description: string,
  labelled: ReadonlyMap<string, string>,
  t0: number,
  featureSeconds: number,
): BaselineResult {
  const cls = new Map(inp.classes.map((c, i) => [c, i]));
  const train: number[] = [];
  const y: number[] = [];
  for (const [id, l] of labelled) {
    const r = f.poolRow.get(id);
    const c = cls.get(l);
    if (r === undefined || c === undefined) continue;
    train.push(r);
    y.push(c);
  }
  const C = inp.classes.length;
  const model = train.length ? fitLogReg(f.pool, train, y, C) : null;
  const predictAll = (rows: Rows | null) => (model && rows ? argmaxRows(predictLogReg(model, rows), rows.n, C) : null);
  const poolPred = predictAll(f.pool);
  const labels = new Map<string, string>();
  for (const [id, r] of f.poolRow) {
    const l = labelled.get(id) ?? (poolPred ? inp.classes[poolPred[r]] : undefined);
    if (l !== undefined) labels.set(id, l);
  }
  for (const [id, l] of labelled) labels.set(id, l);
  let testAccuracy: number | null = null;
  if (inp.test) {
    const testPred = predictAll(f.test);
    const preds = new Map<string, string>();
    if (testPred) f.testIds.forEach((id, i) => preds.set(id, inp.classes[testPred[i]]));
    testAccuracy = score(inp.test.truth, preds).accuracy;
  }
  return {
    name,
    description,
    labels: train.length,
    testAccuracy,
    datasetLabelAccuracy: score(inp.poolTruth, labels).accuracy,
    seconds: featureSeconds + (Date.now() - t0) / 1000,
  };
}

/** Runs the plain baselines (b) and, with a randomBudget, (c). */
export async function runPlainBaselines(inp: BaselineInput): Promise<BaselineResult[]> {
  let testItems: Item[] = [];
  if (inp.test) {
    const res = await scanWorkspace(inp.test.root, { textField: inp.textField, audioWindows: inp.audioWindows, signal: inp.signal });
    testItems = res.items.filter((it) => it.modality === inp.modality);
  }
  const f =
    inp.modality === 'image'
      ? await imageFeatures(inp, testItems)
      : inp.modality === 'audio'
        ? await audioFeatures(inp, testItems)
        : await textFeatures(inp, testItems);
  const base = { image: 'pca-logreg', text: 'tfidf-logreg', audio: 'mfcc-logreg' }[inp.modality];
  inp.log?.(`[bench] baselines on ${f.what}, features in ${f.seconds.toFixed(1)} s`);
  const out: BaselineResult[] = [];
  let t = Date.now();
  out.push(
    scoreClassifier(inp, f, base, `${f.what} + logistic regression on the run's ${inp.human.size} human labels`, inp.human, t, f.seconds),
  );
  if (inp.randomBudget !== undefined && inp.randomBudget > 0) {
    t = Date.now();
    const ids = inp.poolItems.map((it) => it.id).filter((id) => inp.poolTruth.has(id));
    const picked = sample(ids, inp.randomBudget, mulberry32(inp.seed + 29));
    const labelled = new Map(picked.map((id) => [id, inp.poolTruth.get(id) as string]));
    out.push(
      scoreClassifier(
        inp,
        f,
        `random-${base}`,
        `the same ${picked.length} human labels spent on random pool items, ${f.what} + logistic regression (seconds: its fit; the features are pca-logreg's)`,
        labelled,
        t,
        0,
      ),
    );
  }
  return out;
}
