/**
 * The neighbour graph built in parts, one per worker (src/core/train/graph.ts `rows`, src/core/train/graphParts.ts,
 * src/core/project/embeddings.ts knnGraph): the parts put together are the graph built whole, a large pool sends one
 * part to each worker, a small pool one job, and a part that fails stops the others.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildKnnGraph, type KnnGraph } from '../../src/core/train/graph';
import { graphRowParts, joinGraphRows } from '../../src/core/train/graphParts';
import { knnGraph, PARALLEL_GRAPH_FROM } from '../../src/core/project/embeddings';
import type { ProjectContext } from '../../src/core/project/context';
import type { Progress } from '../../src/core/types';
import { mulberry32 } from '../../src/core/models/random';
import { l2NormalizeInPlace } from '../../src/core/util/math';
import { untilAborted } from './untilAborted';

/** n random unit rows of `dim` values (seeded, so every run sees the same points). */
function unitRows(n: number, dim: number, seed = 7): Float32Array {
  const rand = mulberry32(seed);
  return l2NormalizeInPlace(
    Float32Array.from({ length: n * dim }, () => rand() - 0.5),
    n,
    dim,
  );
}

test('graphRowParts: near-equal ranges in order that cover every row once', () => {
  assert.deepEqual(graphRowParts(10, 2), [
    { from: 0, to: 5 },
    { from: 5, to: 10 },
  ]);
  assert.deepEqual(graphRowParts(7, 3), [
    { from: 0, to: 2 },
    { from: 2, to: 4 },
    { from: 4, to: 7 },
  ]);
  assert.deepEqual(graphRowParts(2, 4), [
    { from: 0, to: 1 },
    { from: 1, to: 2 },
  ]);
  assert.deepEqual(graphRowParts(9, 1), [{ from: 0, to: 9 }]);
});

test('the graph built in parts and joined is the graph built whole', async () => {
  const n = 700;
  const dim = 12;
  const X = unitRows(n, dim);
  const whole = await buildKnnGraph({ X, n, dim, k: 9, chunk: 128 });
  for (const parts of [2, 3]) {
    const built: KnnGraph[] = [];
    for (const rows of graphRowParts(n, parts)) {
      const g = await buildKnnGraph({ X, n, dim, k: 9, chunk: 128, rows });
      assert.equal(g.n, rows.to - rows.from);
      built.push(g);
    }
    const joined = joinGraphRows(built, n);
    assert.equal(joined.n, n);
    assert.equal(joined.k, whole.k);
    assert.deepEqual(joined.idx, whole.idx, `${parts} parts: neighbours`);
    assert.deepEqual(joined.sim, whole.sim, `${parts} parts: similarities`);
  }
  await assert.rejects(buildKnnGraph({ X, n, dim, k: 9, rows: { from: 600, to: 701 } }), /not within the 700 rows/);
});

test('joinGraphRows refuses parts that do not cover the rows or disagree on k', async () => {
  const X = unitRows(40, 4);
  const a = await buildKnnGraph({ X, n: 40, dim: 4, k: 5, rows: { from: 0, to: 20 } });
  const b = await buildKnnGraph({ X, n: 40, dim: 4, k: 5, rows: { from: 20, to: 40 } });
  const c = await buildKnnGraph({ X, n: 40, dim: 4, k: 3, rows: { from: 20, to: 40 } });
  assert.equal(joinGraphRows([a, b], 40).n, 40);
  assert.throws(() => joinGraphRows([a], 40), /hold 20 rows/);
  assert.throws(() => joinGraphRows([a, c], 40), /one k/);
});

/** A project with a scripted runner whose 'graph' jobs build their part in this thread, recorded. */
function project(n: number, dim: number, failFirst = false) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-graph-'));
  const jobs: { rows?: { from: number; to: number }; worker?: number; aborted: boolean }[] = [];
  const runner = {
    size: 2,
    run: (
      name: string,
      params: { X: SharedArrayBuffer; n: number; dim: number; k: number; rows?: { from: number; to: number } },
      o?: { signal?: AbortSignal; worker?: number; onProgress?: (p: Progress) => void },
    ) => {
      assert.equal(name, 'graph');
      const job = { rows: params.rows, worker: o?.worker, aborted: false };
      jobs.push(job);
      if (failFirst && jobs.length === 1) return Promise.reject(new Error('worker 0 ran out of memory (test)'));
      if (failFirst) {
        // The other part runs until it is stopped.
        return untilAborted(o?.signal, () => (job.aborted = true));
      }
      return buildKnnGraph({
        X: new Float32Array(params.X, 0, params.n * params.dim),
        n: params.n,
        dim: params.dim,
        k: params.k,
        rows: params.rows,
        signal: o?.signal,
        onProgress: o?.onProgress,
      });
    },
  };
  const p = {
    paths: { graph: (k: number) => path.join(dir, `graph-k${k}`) },
    items: { list: Array.from({ length: n }, (_, i) => ({ id: `i${i}`, hash: `h${i}` })) },
    workers: runner,
  } as unknown as ProjectContext;
  const X = unitRows(n, dim, 11);
  const sab = new SharedArrayBuffer(X.byteLength);
  new Float32Array(sab).set(X);
  return { p, jobs, X, sab, dir };
}

test('knnGraph: a large pool builds one part on each worker, joined and cached; a small pool one job', async () => {
  const n = PARALLEL_GRAPH_FROM + 100;
  const dim = 6;
  const { p, jobs, X, sab, dir } = project(n, dim);
  try {
    const reports: Progress[] = [];
    const g = await knnGraph(p, sab, n, dim, 'v1', { onProgress: (r) => reports.push(r) });
    // The progress counts rows of the whole graph from its first report on, not the rows of the parts heard from.
    assert.ok(reports.length > 0);
    assert.deepEqual(new Set(reports.map((r) => r.total)), new Set([n]));
    assert.ok(reports.every((r) => r.done <= n));
    assert.deepEqual(
      jobs.map((j) => [j.rows, j.worker]),
      [
        [{ from: 0, to: n >> 1 }, 0],
        [{ from: n >> 1, to: n }, 1],
      ],
    );
    const whole = await buildKnnGraph({ X, n, dim, k: g.k });
    assert.equal(g.n, n);
    assert.deepEqual(g.idx, whole.idx);
    // Cached: the second call runs no job and returns the same graph.
    const again = await knnGraph(p, sab, n, dim, 'v1', {});
    assert.equal(jobs.length, 2);
    assert.deepEqual(again.idx, whole.idx);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const small = project(300, dim);
  try {
    const g = await knnGraph(small.p, small.sab, 300, dim, 'v1', {});
    assert.deepEqual(
      small.jobs.map((j) => [j.rows, j.worker]),
      [[undefined, undefined]],
    );
    assert.equal(g.n, 300);
  } finally {
    fs.rmSync(small.dir, { recursive: true, force: true });
  }
});

test('knnGraph: a part that fails stops the other, and its error is the one reported', { timeout: 20_000 }, async () => {
  const n = PARALLEL_GRAPH_FROM;
  const { p, jobs, sab, dir } = project(n, 4, true);
  try {
    await assert.rejects(knnGraph(p, sab, n, 4, 'v1', {}), /ran out of memory \(test\)/);
    assert.equal(jobs.length, 2);
    assert.equal(jobs[1].aborted, true, 'the other part was stopped');
    assert.equal(fs.readdirSync(dir).length, 0, 'nothing cached');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
