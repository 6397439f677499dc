/** Embedding and kNN-graph caches for the MNIST tuning scripts (files next to each checkpoint). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { embedImages } from '../src/core/modalities/image/pretrain';
import { buildKnnGraph, type KnnGraph } from '../src/core/train/graph';

export async function embedCached(
  dir: string,
  split: string,
  d: { pixels: Uint8Array; n: number },
): Promise<{ e: Float32Array; dim: number }> {
  const f = path.join(dir, `emb-${split}.bin`);
  const st = fs.existsSync(path.join(dir, 'weights.bin')) ? fs.statSync(path.join(dir, 'weights.bin')).mtimeMs : 0;
  if (fs.existsSync(f) && fs.statSync(f).mtimeMs > st) {
    const b = fs.readFileSync(f);
    const e = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
    return { e, dim: e.length / d.n };
  }
  const r = await embedImages({ checkpointDir: dir, pixels: d.pixels, n: d.n, size: 28, channels: 1 });
  fs.writeFileSync(f, Buffer.from(r.embeddings.buffer));
  return { e: r.embeddings, dim: r.dim };
}

export async function graphCached(file: string, X: Float32Array, n: number, dim: number, k: number): Promise<KnnGraph> {
  if (fs.existsSync(file)) {
    const b = fs.readFileSync(file);
    return {
      n,
      k,
      idx: new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + n * k * 4)),
      sim: new Float32Array(b.buffer.slice(b.byteOffset + n * k * 4, b.byteOffset + n * k * 8)),
    };
  }
  const g = await buildKnnGraph({ X, n, dim, k });
  fs.writeFileSync(file, Buffer.concat([Buffer.from(g.idx.buffer), Buffer.from(g.sim.buffer)]));
  return g;
}
