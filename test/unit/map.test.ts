/**
 * The embedding map: PCA and UMAP layouts (shapes, range, determinism per seed, clusters kept apart), the project's
 * map cached by the embeddings' hash (a hit reads the same layout back; new embeddings miss), `selflabel map --json`,
 * and "label all" as one journal batch that an unknown item or class refuses whole, undone and redone whole.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';
import { pca2d, umap2d } from '../../src/core/map/layout';
import { Rng } from '../../src/core/models/random';
import { Project } from '../../src/core/project';
import { workerRunner } from '../../src/worker/runner';

/** Two Gaussian blobs in `dim` dimensions, centred at ±c on every coordinate; rows 0..n/2-1 are blob A. */
function blobs(n: number, dim: number, seed: number, c = 3): Float32Array {
  const r = new Rng(seed);
  const X = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) X[i * dim + d] = (i < n / 2 ? c : -c) + r.normal();
  return X;
}

/** Exact kNN graph by cosine of L2-normalised rows (the shape the project's cached graph has). */
function knn(X: Float32Array, n: number, dim: number, k: number) {
  const Y = new Float32Array(X);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += Y[i * dim + d] ** 2;
    const m = Math.sqrt(s) || 1;
    for (let d = 0; d < dim; d++) Y[i * dim + d] /= m;
  }
  const idx = new Int32Array(n * k);
  const sim = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const row: [number, number][] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += Y[i * dim + d] * Y[j * dim + d];
      row.push([s, j]);
    }
    row.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let t = 0; t < k; t++) {
      idx[i * k + t] = row[t][1];
      sim[i * k + t] = row[t][0];
    }
  }
  return { n, k, idx, sim };
}

/** Smallest distance between a point of blob A and a point of blob B, over the largest distance inside A. */
function separation(xy: Float32Array, n: number): { gap: number; meanA: number[]; meanB: number[] } {
  const mean = (lo: number, hi: number) => {
    let x = 0;
    let y = 0;
    for (let i = lo; i < hi; i++) {
      x += xy[2 * i];
      y += xy[2 * i + 1];
    }
    return [x / (hi - lo), y / (hi - lo)];
  };
  const meanA = mean(0, n / 2);
  const meanB = mean(n / 2, n);
  // Fraction of points nearer to the other blob's centre than to their own: 0 when the blobs are apart.
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    const own = i < n / 2 ? meanA : meanB;
    const other = i < n / 2 ? meanB : meanA;
    const d = (m: number[]) => (xy[2 * i] - m[0]) ** 2 + (xy[2 * i + 1] - m[1]) ** 2;
    if (d(other) < d(own)) wrong++;
  }
  return { gap: wrong / n, meanA, meanB };
}

test('PCA: n × 2 in [-1, 1], the two blobs apart along the first axis, the same for a seed', () => {
  const n = 200;
  const dim = 16;
  const X = blobs(n, dim, 1);
  const a = pca2d(X, n, dim, 7);
  assert.equal(a.length, 2 * n);
  assert.ok(a.every((v) => Number.isFinite(v) && v >= -1 - 1e-6 && v <= 1 + 1e-6));
  assert.ok(Math.max(...a.map(Math.abs)) > 0.999, 'scaled so the largest coordinate is 1');
  const s = separation(a, n);
  assert.equal(s.gap, 0, 'every point nearer its own blob');
  assert.ok(Math.abs(s.meanA[0] - s.meanB[0]) > 1, `blobs apart on the first component (${s.meanA[0]} vs ${s.meanB[0]})`);
  assert.deepEqual(pca2d(X, n, dim, 7), a, 'deterministic for a seed');
  // Another seed starts the power iteration elsewhere but finds the same leading component (its sign fixed); the
  // second one of isotropic noise is not unique, so only the first is compared.
  const b = pca2d(X, n, dim, 99);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(a[2 * i] - b[2 * i]) < 1e-3, `row ${i}: ${a[2 * i]} vs ${b[2 * i]}`);
  // A degenerate input (every row the same) gives zeros, not NaN.
  const flat = pca2d(new Float32Array(10 * 4).fill(2), 10, 4, 0);
  assert.ok(flat.every((v) => v === 0));
});

test('UMAP: n × 2 in [-1, 1] from a kNN graph, clusters apart, deterministic per seed, another seed another layout', () => {
  const n = 120;
  const dim = 8;
  const X = blobs(n, dim, 2);
  const graph = knn(X, n, dim, 10);
  const init = pca2d(X, n, dim, 0);
  const a = umap2d({ graph, init, seed: 3, epochs: 100 });
  assert.equal(a.length, 2 * n);
  assert.ok(a.every((v) => Number.isFinite(v) && v >= -1 - 1e-6 && v <= 1 + 1e-6));
  assert.equal(separation(a, n).gap, 0, 'every point nearer its own cluster');
  assert.deepEqual(umap2d({ graph, init, seed: 3, epochs: 100 }), a, 'same seed, same layout');
  const b = umap2d({ graph, init, seed: 4, epochs: 100 });
  assert.notDeepEqual(b, a, 'another seed, another layout');
  // Random start (no init) works too, and cancelling stops it.
  assert.equal(umap2d({ graph, seed: 1, epochs: 50 }).length, 2 * n);
  const ac = new AbortController();
  ac.abort();
  assert.throws(() => umap2d({ graph, seed: 1, epochs: 50, signal: ac.signal }), /cancelled/);
  assert.throws(() => umap2d({ graph: { n: 2, k: 1, idx: new Int32Array(2), sim: new Float32Array(2) } }), /at least 3 items/);
});

// ---- the project's map: cache, CLI, label all -------------------------------------------------------------------

let root: string;
const cliSrc = path.resolve(__dirname, '../../src/cli/main.ts');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cliSrc, ...args, '--workspace', root], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 300_000,
  });

function png(file: string, f: (x: number, y: number) => number) {
  const p = new PNG({ width: 16, height: 16, colorType: 0, inputColorType: 0, bitDepth: 8 });
  const data = Buffer.alloc(256);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) data[y * 16 + x] = f(x, y);
  p.data = data;
  fs.writeFileSync(file, PNG.sync.write(p, { colorType: 0, inputColorType: 0, bitDepth: 8 }));
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-map-'));
  for (let i = 0; i < 12; i++) png(path.join(root, `stripes${i}.png`), (x, y) => ((x + i) % 4 < 2 ? 230 : 20) ^ (y & 1 ? 8 * i : 0));
  for (let i = 0; i < 12; i++) png(path.join(root, `blob${i}.png`), (x, y) => ((x - 8) ** 2 + (y - 8 + (i % 3)) ** 2 < 20 + i ? 250 : 10));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('project map: refused before pretraining; PCA and UMAP cached by the embeddings; new embeddings recompute', async () => {
  assert.equal(cli('init', '--classes', 'stripes,blob').status, 0);
  assert.equal(cli('scan').status, 0);
  const early = cli('map');
  assert.equal(early.status, 1);
  assert.match(early.stderr, /pretrain/i);
  assert.equal(cli('map', '--method', 'tsne').status, 2);
  const pre = cli('pretrain', '--epochs', '1');
  assert.equal(pre.status, 0, pre.stderr);

  const p = await Project.open(root, {}, { runner: workerRunner });
  try {
    const a = await p.embeddingMap({ method: 'pca' });
    assert.equal(a.cached, false, 'first time: computed');
    assert.equal(a.ids.length, 24);
    assert.equal(a.xy.length, 48);
    assert.deepEqual(
      [...a.ids].sort(),
      p
        .getItems()
        .map((it) => it.id)
        .sort(),
    );
    const again = await p.embeddingMap({ method: 'pca' });
    assert.equal(again.cached, true, 'second time: from the cache');
    assert.deepEqual(again.xy, a.xy);
    assert.equal(again.key, a.key);
    assert.ok(
      fs.existsSync(path.join(root, '.selflabel', 'cache', 'map-pca.bin')) ||
        fs.readdirSync(path.join(root, '.selflabel', 'cache')).some((f) => f.startsWith('map-pca')),
    );

    const u = await p.embeddingMap({ method: 'umap', epochs: 50 });
    assert.equal(u.cached, false);
    assert.equal(u.xy.length, 48);
    assert.ok(u.xy.every((v) => Number.isFinite(v) && Math.abs(v) <= 1 + 1e-6));
    assert.notDeepEqual(u.xy, a.xy, 'UMAP moved the points from their PCA start');
    const u2 = await p.embeddingMap({ method: 'umap', epochs: 50 });
    assert.equal(u2.cached, true);
    assert.deepEqual(u2.xy, u.xy);
    assert.equal((await p.embeddingMap({ method: 'umap', epochs: 60 })).cached, false, 'other parameters: another layout');
  } finally {
    await p.dispose();
  }

  // The CLI door sees the cached layout.
  const j = cli('map', '--json');
  assert.equal(j.status, 0, j.stderr);
  const rows = JSON.parse(j.stdout) as { item: string; x: number; y: number }[];
  assert.equal(rows.length, 24);
  assert.ok(rows.every((r) => typeof r.item === 'string' && Number.isFinite(r.x) && Number.isFinite(r.y)));

  // A new pretraining changes the embeddings: the map misses and is computed again.
  const more = cli('pretrain', '--epochs', '2');
  assert.equal(more.status, 0, more.stderr);
  const q = await Project.open(root, {}, { runner: workerRunner });
  try {
    const b = await q.embeddingMap({ method: 'pca' });
    assert.equal(b.cached, false, 'new embeddings: recomputed');
    assert.equal((await q.embeddingMap({ method: 'pca' })).cached, true);
  } finally {
    await q.dispose();
  }
});

test('label all: one batch line in the journal; an unknown item or class refuses the whole batch; undo walks it back', async () => {
  const p = await Project.open(root, {});
  const journal = path.join(root, '.selflabel', 'labels.jsonl');
  const lines = () => fs.readFileSync(journal, 'utf8').split('\n').filter(Boolean);
  const before = lines().length;
  const picked = ['blob0.png', 'blob1.png', 'blob2.png', 'stripes4.png'];
  await assert.rejects(p.labelMany([...picked, 'nope.png'], 'blob'), /unknown item "nope\.png"/);
  await assert.rejects(p.labelMany(picked, 'cat'), /unknown class "cat"/);
  assert.equal(lines().length, before, 'nothing written');
  const prior = picked.map((x) => p.labelOf(x)?.label);
  const events = await p.labelMany([...picked, 'blob0.png'], 'blob');
  assert.equal(events.length, 4, 'duplicates once');
  const after = lines();
  assert.equal(after.length, before + 1, 'one line');
  const batch = JSON.parse(after[after.length - 1]) as { batch: string; events: { item: string; label: string; source: string }[] };
  assert.deepEqual(
    batch.events.map((e) => [e.item, e.label, e.source]),
    picked.map((x) => [x, 'blob', 'human']),
  );
  for (const x of picked) assert.equal(p.labelOf(x)?.label, 'blob');
  assert.deepEqual(await p.labelMany(picked, 'blob'), [], 'already labelled so: nothing written');
  assert.equal(lines().length, before + 1);
  const undone = await p.undo();
  assert.equal(undone?.events.length, 4, 'one undo: the whole batch');
  assert.deepEqual(
    picked.map((x) => p.labelOf(x)?.label),
    prior,
    'every item of the batch back to its label before it',
  );
  assert.equal((await p.redo())?.events.length, 4, 'one redo: the whole batch again');
  for (const x of picked) assert.equal(p.labelOf(x)?.label, 'blob');
});
