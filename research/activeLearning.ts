/**
 * Active learning against random picks (issue 11 item 5), on fixed features so that only the choice of items
 * differs: the bench baselines' features (images: PCA-50 of the raw pixels at the encoder's input size; text:
 * TF-IDF) and their logistic regression. Protocol of the bench's review mode: K seed labels per class (random
 * within each class), then R rounds, each labelling B more items picked by a strategy; test accuracy after each
 * round, medians over seeds.
 *
 *   node --import tsx research/activeLearning.ts SET [--seeds 1,2,3] [--rounds 3] [--batch 100] [--per-class 10]
 *        [--pool-limit N] [--strategies random,margin,badge] [--lambda L]
 *   SET: a folder of .bench/data (icons, letters, mnist, spam, debian-desc-small, manpages-small, …)
 *
 * Strategies:
 *   random   uniformly random unlabelled items (the seeds stay the per-class ones, unlike the bench's baseline (c),
 *            which also spends the seeds at random: printed as `random-all`)
 *   margin   the product's suggestForLabelling without embeddings: the smallest top-2 margin
 *   badge    the product's suggestForLabelling with the L2-normalised features as embeddings: BADGE (Ash et al.
 *            2020), k-means++ seeding on the gradient embeddings (p − onehot(ŷ)) ⊗ [x, 1]
 * The `product` column of BENCHMARKS.md "Active learning, session 9" (session 8's suggestions: k-center greedy among
 * the most uncertain + a random share while labels are few) came from this script calling suggestForLabelling as it
 * was before commit 07f1a35, which replaced that rule by BADGE.
 */
import * as path from 'node:path';
import { scanWorkspace } from '../src/core/dataset';
import type { Item } from '../src/core/types';
import { imageFeatures, textFeatures, type BaselineInput, type Features } from '../src/bench/baselines';
import { fitLogReg, predictLogReg, argmaxRows, type Rows } from '../src/bench/baselines/linear';
import { suggestForLabelling } from '../src/core/proposals';
import { readTruth } from '../src/bench/truth';
import { mulberry32, sample, shuffled } from '../src/bench/rng';
import { median } from '../src/bench/metrics';
import { opt } from './args';
import { l2NormalizeInPlace } from '../src/core/util/math';

type Strategy = 'random' | 'random-all' | 'margin' | 'badge';

/** Dense, L2-normalised rows of the features (sparse TF-IDF through a seeded ±1 random projection to 256 dims). */
function denseNormalised(rows: Rows, seed: number): { X: Float32Array; dim: number } {
  if (rows.kind === 'dense') {
    const X = Float32Array.from(rows.X);
    l2NormalizeInPlace(X, rows.n, rows.dim);
    return { X, dim: rows.dim };
  }
  const dim = 256;
  const rand = mulberry32(seed);
  const sign = new Map<number, Float32Array>();
  const X = new Float32Array(rows.n * dim);
  for (let i = 0; i < rows.n; i++) {
    const idx = rows.idx[i];
    const val = rows.val[i];
    for (let q = 0; q < idx.length; q++) {
      let s = sign.get(idx[q]);
      if (!s) {
        s = new Float32Array(dim);
        for (let d = 0; d < dim; d++) s[d] = rand() < 0.5 ? -1 : 1;
        sign.set(idx[q], s);
      }
      for (let d = 0; d < dim; d++) X[i * dim + d] += val[q] * s[d];
    }
  }
  l2NormalizeInPlace(X, rows.n, dim);
  return { X, dim };
}

async function main(): Promise<void> {
  const set = process.argv[2];
  if (!set || set.startsWith('--')) throw new Error('usage: activeLearning.ts SET [options] (see the file comment)');
  const seeds = opt('seeds', '1,2,3').split(',').map(Number);
  const rounds = Number(opt('rounds', '3'));
  const batch = Number(opt('batch', '100'));
  const perClass = Number(opt('per-class', '10'));
  const poolLimit = Number(opt('pool-limit', '0')) || undefined;
  // The logistic regression's L2 weight: default 1/labels (scikit-learn's C = 1, the bench baselines'); on TF-IDF
  // that leans on the labels' class mix so much that 100 more random labels can cost 15 points (BENCHMARKS.md).
  const lambda = Number(opt('lambda', '0')) || undefined;
  const strategies = opt('strategies', 'random-all,random,margin,badge').split(',') as Strategy[];
  const dir = path.join(__dirname, '..', '.bench', 'data', set);
  const truth = (await readTruth(path.join(dir, 'pool-truth.csv'))).labels;
  const testTruth = (await readTruth(path.join(dir, 'test-truth.csv'))).labels;
  const t0 = Date.now();
  const scanned = (await scanWorkspace(path.join(dir, 'pool'))).items.filter((it) => truth.has(it.id));
  const modality = scanned[0]?.modality;
  if (modality !== 'image' && modality !== 'text') throw new Error(`${set}: images or text only (found ${modality})`);
  const poolItems: Item[] = poolLimit ? sample(scanned, poolLimit, mulberry32(1)) : scanned;
  const classes = [...new Set(poolItems.map((it) => truth.get(it.id)!))].sort();
  const testItems = (await scanWorkspace(path.join(dir, 'test'))).items.filter((it) => testTruth.has(it.id));
  const inp: BaselineInput = {
    modality,
    poolRoot: path.join(dir, 'pool'),
    poolItems,
    poolTruth: truth,
    human: new Map(),
    classes,
    test: { root: path.join(dir, 'test'), truth: testTruth },
    seed: 1,
  };
  const f: Features = modality === 'image' ? await imageFeatures(inp, testItems) : await textFeatures(inp, testItems);
  const C = classes.length;
  const cls = new Map(classes.map((c, i) => [c, i]));
  const ids = [...f.poolRow.keys()];
  const yPool = new Int32Array(f.pool.n);
  for (const [id, r] of f.poolRow) yPool[r] = cls.get(truth.get(id)!)!;
  const yTest = f.testIds.map((id) => cls.get(testTruth.get(id)!) ?? -1);
  const { X, dim } = denseNormalised(f.pool, 7);
  console.log(
    `${set}: ${f.pool.n} pool, ${f.testIds.length} test, ${C} classes; ${f.what}; features ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const accuracy = (train: number[]): number => {
    const model = fitLogReg(
      f.pool,
      train,
      train.map((r) => yPool[r]),
      C,
      { lambda },
    );
    const pred = argmaxRows(predictLogReg(model, f.test!), f.test!.n, C);
    let ok = 0;
    yTest.forEach((y, i) => (ok += pred[i] === y ? 1 : 0));
    return ok / yTest.length;
  };

  const table = new Map<Strategy, number[][]>();
  for (const seed of seeds) {
    const rand0 = mulberry32(seed);
    const byClass = new Map<number, number[]>();
    ids.forEach((id) => {
      const r = f.poolRow.get(id)!;
      const list = byClass.get(yPool[r]) ?? [];
      list.push(r);
      byClass.set(yPool[r], list);
    });
    const seedRows: number[] = [];
    for (let c = 0; c < C; c++) seedRows.push(...sample(byClass.get(c) ?? [], perClass, rand0));
    for (const strategy of strategies) {
      const rand = mulberry32(seed * 1000 + 3);
      const labelled =
        strategy === 'random-all' ? sample([...Array(f.pool.n).keys()], seedRows.length, mulberry32(seed + 29)) : [...seedRows];
      const accs = [accuracy(labelled)];
      for (let round = 0; round < rounds; round++) {
        const taken = new Set(labelled);
        const cands = [...Array(f.pool.n).keys()].filter((r) => !taken.has(r));
        let picks: number[];
        if (strategy === 'random' || strategy === 'random-all') picks = shuffled(cands, rand).slice(0, batch);
        else {
          const model = fitLogReg(
            f.pool,
            labelled,
            labelled.map((r) => yPool[r]),
            C,
            { lambda },
          );
          const P = predictLogReg(model, f.pool);
          // The product's suggestions: with the embeddings BADGE, without them the smallest top-2 margin.
          picks = suggestForLabelling({
            probs: Float32Array.from(P),
            nClasses: C,
            X: strategy === 'badge' ? X : new Float32Array(0),
            n: f.pool.n,
            dim: strategy === 'badge' ? dim : 0,
            candidates: Int32Array.from(cands),
            k: batch,
            seed: seed * 100 + round,
            labelled: Int32Array.from(labelled),
          }).map((s) => s.index);
        }
        labelled.push(...picks);
        accs.push(accuracy(labelled));
      }
      if (!table.has(strategy)) table.set(strategy, []);
      table.get(strategy)!.push(accs);
      console.log(`  seed ${seed} ${strategy.padEnd(10)} ${accs.map((a) => (100 * a).toFixed(1)).join(' → ')}`);
    }
  }
  console.log(`\n${set}: test accuracy (%) after each round, median of seeds ${seeds.join(', ')}; labels ${C * perClass} + ${batch}/round`);
  for (const [s, runs] of table) {
    const med = runs[0].map((_, r) => median(runs.map((x) => x[r])));
    const vsRandom = table.get('random') ? med[med.length - 1] - median(table.get('random')!.map((x) => x[x.length - 1])) : NaN;
    console.log(`| ${set} | ${s} | ${med.map((a) => (100 * a).toFixed(1)).join(' → ')} | ${(100 * vsRandom).toFixed(1)} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
