/**
 * The kNN graph of a large pool built whole on one worker against in one part per worker (src/core/project/
 * embeddings.ts knnGraph since session 34), through the product's worker pool, alternating A and B for --rounds
 * rounds: wall seconds of each, and whether the two graphs are identical. Random unit rows stand in for embeddings
 * (the cost depends on n and dim only). Research only (BENCHMARKS.md "Session 34").
 *
 *   node --import tsx research/speed/graphParts.ts [--n 60000] [--dim 128] [--rounds 3]
 */
import { WorkerPool } from '../../src/worker/pool';
import { GRAPH_K } from '../../src/core/project/embeddings';
import { graphRowParts, joinGraphRows } from '../../src/core/train/graphParts';
import { medianOf } from '../../src/bench/speed';
import { opt } from '../args';
import { mulberry32 } from '../../src/core/models/random';
import { l2NormalizeInPlace } from '../../src/core/util/math';

async function main() {
  const n = Number(opt('n', '60000'));
  const dim = Number(opt('dim', '128'));
  const rounds = Number(opt('rounds', '3'));
  const sab = new SharedArrayBuffer(n * dim * 4);
  const X = new Float32Array(sab);
  const rand = mulberry32(1);
  for (let i = 0; i < X.length; i++) X[i] = rand() - 0.5;
  l2NormalizeInPlace(X, n, dim);
  const pool = new WorkerPool({ size: 2, backend: 'wasm', log: () => undefined });
  await pool.start();
  const whole: number[] = [];
  const parts: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      let t = performance.now();
      const a = await pool.run('graph', { X: sab, n, dim, k: GRAPH_K });
      whole.push((performance.now() - t) / 1000);
      t = performance.now();
      const built = await Promise.all(
        graphRowParts(n, 2).map((rows, i) => pool.run('graph', { X: sab, n, dim, k: GRAPH_K, rows }, { worker: i })),
      );
      const b = joinGraphRows(built, n);
      parts.push((performance.now() - t) / 1000);
      const same = a.idx.every((v, i) => v === b.idx[i]) && a.sim.every((v, i) => v === b.sim[i]);
      console.log(
        `round ${r + 1}: whole on 1 worker ${whole[r].toFixed(1)} s, 2 parts on 2 workers ${parts[r].toFixed(1)} s; identical: ${same}`,
      );
    }
  } finally {
    await pool.dispose();
  }
  const mw = medianOf(whole);
  const mp = medianOf(parts);
  console.log(`n ${n}, dim ${dim}, k ${GRAPH_K}: medians ${mw.toFixed(1)} s → ${mp.toFixed(1)} s (${(mw / mp).toFixed(2)}×)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
