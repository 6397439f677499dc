/**
 * The pretrained encoders as the loop uses them: which exist (and their version), every pool item's embedding
 * (cached by content hash and encoder version), and the items' kNN graph for label spreading (cached too).
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { GraphData, JobData } from '../../protocol/jobs';
import type { StageOptions } from '../modalities/types';
import { modalityPlugins } from '../modalities';
import { MODALITIES } from '../../protocol/modalities';
import { readArrayFile, readJson, writeArrayFile } from '../util/files';
import { combineProgress } from '../util/progress';
import { graphRowParts, joinGraphRows } from '../train/graphParts';
import { modalityContext, poolPlugin, type ProjectContext } from './context';
import { ProjectError } from './errors';
import { savedEpochs, type PretextState } from '../ssl/state';

/** Neighbours per item in the label-spreading graph. */
export const GRAPH_K = 20;

/** Identifies a pretext encoder's checkpoint: changes whenever it is saved again. */
export async function checkpointVersion(p: ProjectContext, task: string): Promise<string | undefined> {
  const state = await readJson<{ epochsDone?: number; batchInEpoch?: number; savedAt?: string }>(
    path.join(p.paths.checkpoint(task), 'state.json'),
  );
  if (!state?.savedAt) return undefined;
  return `${task}-e${state.epochsDone ?? 0}.${state.batchInEpoch ?? 0}-${state.savedAt}`;
}

/** Which pretext encoders exist, with their epochs (of the pool's modality, or of any before a scan). */
export async function pretrained(p: ProjectContext): Promise<{ task: string; epochs: number }[]> {
  const m = p.items.modality;
  const tasks = m ? modalityPlugins[m].pretextTasks : MODALITIES.flatMap((x) => modalityPlugins[x].pretextTasks);
  const out: { task: string; epochs: number }[] = [];
  for (const task of tasks) {
    const state = await readJson<PretextState>(path.join(p.paths.checkpoint(task), 'state.json'));
    // A cancelled run saved its partial epoch too: count it as the loop's own result does.
    if (state?.savedAt) out.push({ task, epochs: savedEpochs(state) });
  }
  return out;
}

/** Concatenates per-encoder embeddings row by row into one SharedArrayBuffer (each part already L2-normalised). */
export function concatEmbeddings(parts: { emb: Float32Array; dim: number }[], n: number): { X: SharedArrayBuffer; dim: number } {
  const dim = parts.reduce((s, q) => s + q.dim, 0);
  const X = new SharedArrayBuffer(Math.max(4, n * dim * 4));
  const out = new Float32Array(X);
  const scale = 1 / Math.sqrt(parts.length);
  for (let i = 0; i < n; i++) {
    let off = i * dim;
    for (const q of parts) {
      for (let d = 0; d < q.dim; d++) out[off + d] = q.emb[i * q.dim + d] * scale;
      off += q.dim;
    }
  }
  return { X, dim };
}

/**
 * Embeddings of every pool item: each pretext encoder's embedding (cached by content hash and model version),
 * concatenated. Runs the encoders in parallel on the workers.
 */
export async function embedPool(
  p: ProjectContext,
  opts: StageOptions,
): Promise<{ X: SharedArrayBuffer; dim: number; version: string; tasks: string[] }> {
  const { modality, plugin } = poolPlugin(p);
  const tasks: string[] = [];
  const versions: string[] = [];
  for (const t of plugin.pretextTasks) {
    const v = await checkpointVersion(p, t);
    if (v) {
      tasks.push(t);
      versions.push(v);
    }
  }
  if (!tasks.length) throw new ProjectError('not-pretrained', 'no pretrained encoder yet: run pretrain first');
  const items = p.items.list;
  const n = items.length;
  const parts: { emb: Float32Array; dim: number }[] = new Array(tasks.length);
  let dataP: Promise<JobData> | undefined;
  const merge = combineProgress('embed', tasks.length, opts.onProgress);
  await Promise.all(
    tasks.map(async (task, ti) => {
      const base = p.paths.embeddings(task);
      const cached = await readArrayFile<{ version: string; dim: number; hashes: string[] }>(base);
      if (cached && cached.meta.version === versions[ti]) {
        const rowOf = new Map(cached.meta.hashes.map((h, i) => [h, i]));
        const all = new Float32Array(cached.bytes.buffer, cached.bytes.byteOffset, cached.bytes.byteLength / 4);
        const dim = cached.meta.dim;
        const emb = new Float32Array(n * dim);
        let ok = true;
        for (let i = 0; i < n && ok; i++) {
          const r = rowOf.get(items[i].hash);
          if (r === undefined) ok = false;
          else emb.set(all.subarray(r * dim, (r + 1) * dim), i * dim);
        }
        if (ok) {
          parts[ti] = { emb, dim };
          return;
        }
      }
      if (!dataP) dataP = plugin.load(modalityContext(p), p.root, items, { ...opts, cache: true }).then((d) => d.data);
      const data = await dataP;
      const r = await p.workers.run(
        'embed',
        { modality, checkpointDir: p.paths.checkpoint(task), data },
        { signal: opts.signal, onProgress: merge(ti), worker: ti % p.config.workers },
      );
      parts[ti] = { emb: r.embeddings, dim: r.dim };
      await writeArrayFile(base, r.embeddings, { version: versions[ti], dim: r.dim, hashes: items.map((it) => it.hash) });
    }),
  );
  return { ...concatEmbeddings(parts, n), version: versions.join('+'), tasks };
}

/** Embeddings of other data (e.g. a held-out folder) with the encoders of `tasks`. */
export async function embedData(
  p: ProjectContext,
  tasks: string[],
  data: JobData,
  n: number,
  opts: StageOptions,
): Promise<{ X: SharedArrayBuffer; dim: number }> {
  const modality = p.items.require();
  const parts = await Promise.all(
    tasks.map((task, ti) =>
      p.workers
        .run('embed', { modality, checkpointDir: p.paths.checkpoint(task), data }, { signal: opts.signal, worker: ti % p.config.workers })
        .then((r) => ({ emb: r.embeddings, dim: r.dim })),
    ),
  );
  return concatEmbeddings(parts, n);
}

/** Pools from this many items build their neighbour graph on every worker at once (a smaller one takes seconds on one). */
export const PARALLEL_GRAPH_FROM = 4096;

/**
 * The items' k-nearest-neighbour graph for label spreading, cached in .selflabel/cache by embedding version and
 * item list (building it costs n² · dim multiply-adds: for 60,000 items at dim 256, about 70 s on one worker and 50 s
 * in one part per worker, as it is built from PARALLEL_GRAPH_FROM items).
 */
export async function knnGraph(
  p: ProjectContext,
  X: SharedArrayBuffer,
  n: number,
  dim: number,
  version: string,
  opts: StageOptions,
): Promise<GraphData> {
  const base = p.paths.graph(GRAPH_K);
  const key = createHash('sha256')
    .update(version)
    .update(p.items.list.map((it) => it.hash).join('\n'))
    .digest('hex');
  const cached = await readArrayFile<{ key: string; n: number; k: number }>(base);
  if (cached && cached.meta.key === key && cached.meta.n === n) {
    const { k } = cached.meta;
    const b = cached.bytes;
    if (b.byteLength === n * k * 8) {
      const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      return { n, k, idx: new Int32Array(buf, 0, n * k), sim: new Float32Array(buf, n * k * 4, n * k) };
    }
  }
  // One part per worker, built side by side (each searches all n rows for its own rows' neighbours); a small pool in
  // one job. A failed part stops the others.
  const parts = graphRowParts(n, n >= PARALLEL_GRAPH_FROM ? p.workers.size : 1);
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const merge = combineProgress(
    'train',
    parts.map((r) => r.to - r.from),
    opts.onProgress,
  );
  const built = await Promise.all(
    parts.map((rows, i) =>
      p.workers
        .run(
          'graph',
          { X, n, dim, k: GRAPH_K, ...(parts.length > 1 ? { rows } : {}) },
          { signal, onProgress: merge(i), ...(parts.length > 1 ? { worker: i } : {}) },
        )
        .catch((e: unknown) => {
          stop.abort();
          throw e;
        }),
    ),
  );
  const g = parts.length > 1 ? joinGraphRows(built, n) : built[0];
  const bytes = new Uint8Array(g.n * g.k * 8);
  bytes.set(new Uint8Array(g.idx.buffer, g.idx.byteOffset, g.idx.byteLength), 0);
  bytes.set(new Uint8Array(g.sim.buffer, g.sim.byteOffset, g.sim.byteLength), g.n * g.k * 4);
  await writeArrayFile(base, bytes, { key, n: g.n, k: g.k });
  return g;
}
