/**
 * The embedding map: a 2-D layout of every pool item computed on the workers from the cached embeddings — PCA
 * (fast, shown at once) and UMAP (from the items' kNN graph, started from the PCA layout) — cached in
 * .selflabel/cache/map-<method> under a key hashed from the embeddings' bytes and the layout's parameters, so it is
 * recomputed exactly when the embeddings change (a new pretraining) and read back otherwise. Also the map's bulk
 * action: label a selection of items as one class in one durable journal batch.
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { LabelEvent } from '../types';
import type { StageOptions } from '../modalities/types';
import type { ProjectContext } from './context';
import { embedPool, knnGraph } from './embeddings';
import { ProjectError } from './errors';
import { readArrayFile, writeArrayFile } from '../util/files';

export type MapMethod = 'pca' | 'umap';
export const MAP_METHODS: readonly MapMethod[] = ['pca', 'umap'];

/** Bumped when a layout's algorithm changes (old caches then miss). */
const LAYOUT_VERSION = 1;

export interface MapOptions extends StageOptions {
  method?: MapMethod;
  seed?: number;
  /** UMAP's optimisation epochs (default: 200 above 10,000 items, else 500). */
  epochs?: number;
}

export interface EmbeddingMap {
  method: MapMethod;
  /** The pool's item ids, in the order of the rows of `xy`. */
  ids: string[];
  /** n × 2 coordinates in [-1, 1]. */
  xy: Float32Array;
  /** What the layout was computed from (the embeddings' hash and the parameters). */
  key: string;
  /** Read from the cache rather than computed. */
  cached: boolean;
}

function cacheFile(p: ProjectContext, method: MapMethod): string {
  return path.join(p.paths.cache, `map-${method}`);
}

/** The cache key: the embeddings' bytes and the item list, and the layout's method and parameters. */
export function mapKey(
  X: SharedArrayBuffer,
  n: number,
  dim: number,
  ids: string[],
  method: MapMethod,
  seed: number,
  epochs?: number,
): string {
  return createHash('sha256')
    .update(new Uint8Array(X, 0, n * dim * 4))
    .update(ids.join('\n'))
    .update(JSON.stringify({ method, seed, epochs: epochs ?? null, v: LAYOUT_VERSION }))
    .digest('hex');
}

/** The map's layout by `method` (default PCA): from the cache when the embeddings did not change, else computed. */
export async function embeddingMap(p: ProjectContext, opts: MapOptions = {}): Promise<EmbeddingMap> {
  const method = opts.method ?? 'pca';
  if (!MAP_METHODS.includes(method)) throw new Error(`unknown map method "${String(method)}" (pca or umap)`);
  const seed = opts.seed ?? p.config.seed;
  p.items.require();
  const ids = p.items.list.map((it) => it.id);
  const n = ids.length;
  const e = await embedPool(p, opts);
  const key = mapKey(e.X, n, e.dim, ids, method, seed, method === 'umap' ? opts.epochs : undefined);
  const file = cacheFile(p, method);
  const cached = await readArrayFile<{ key: string; n: number; method: MapMethod }>(file);
  if (cached && cached.meta.key === key && cached.meta.n === n && cached.bytes.byteLength === n * 8) {
    const b = cached.bytes;
    const xy = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    return { method, ids, xy, key, cached: true };
  }
  let xy: Float32Array;
  if (method === 'pca') {
    xy = (await p.workers.run('mapPca', { X: e.X, n, dim: e.dim, seed }, { signal: opts.signal })).xy;
  } else {
    if (n < 3) throw new ProjectError('no-items', `a UMAP map needs at least 3 items, the pool has ${n}`);
    const init = (await embeddingMap(p, { ...opts, method: 'pca', onProgress: undefined })).xy;
    const graph = await knnGraph(p, e.X, n, e.dim, e.version, opts);
    xy = (
      await p.workers.run(
        'mapUmap',
        { graph, init, seed, epochs: opts.epochs },
        { signal: opts.signal, onProgress: opts.onProgress, transfer: [init.buffer as ArrayBuffer] },
      )
    ).xy;
  }
  await writeArrayFile(file, xy, { key, n, method });
  return { method, ids, xy, key, cached: false };
}

/**
 * Labels every item of `items` as `label` (a human label) in one write — one batch line in the journal, durable
 * when it returns. Items that already carry that label are left alone; an unknown item or class refuses the whole
 * batch before anything is written.
 */
export async function labelMany(p: ProjectContext, items: string[], label: string): Promise<LabelEvent[]> {
  if (!p.store.classes().includes(label))
    throw new ProjectError('classes', `unknown class "${label}" (classes: ${p.store.classes().join(', ') || 'none — run init'})`);
  await p.store.refresh();
  const unique = [...new Set(items)];
  const unknown = unique.filter((id) => !p.items.get(id));
  if (unknown.length)
    throw new ProjectError(
      'unknown-item',
      `unknown item "${unknown[0]}"${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''}: not among the items of the last scan`,
    );
  const events = unique
    .filter((id) => p.store.get(id)?.label !== label)
    .map((id) => ({ item: id, label, source: 'human' as const, hash: p.items.get(id)?.hash }));
  return events.length ? p.store.recordMany(events) : [];
}
