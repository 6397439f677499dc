/**
 * Find similar: the nearest neighbours of an item in embedding space (cosine of the pretrained encoders'
 * embeddings, cached per encoder version), with each neighbour's current label and the model's prediction.
 */
import type { StageOptions } from '../modalities/types';
import type { ProjectContext } from './context';
import { embedPool } from './embeddings';
import { ProjectError } from './errors';
import { predictionFor } from './review';
import { itemIdProblem } from '../store';
import { shortId } from '../store/itemId';
import { l2NormalizeInPlace } from '../util/math';

export interface SimilarItem {
  item: string;
  /** Cosine similarity of the embeddings (1 = same direction). */
  similarity: number;
  label?: string;
  predicted?: string;
  confidence?: number;
}

/** The `count` items most similar to `item`, most similar first (the item itself left out). */
export async function similar(p: ProjectContext, item: string, count: number, opts: StageOptions = {}): Promise<SimilarItem[]> {
  const problem = itemIdProblem(item);
  if (problem) throw new ProjectError('unknown-item', `invalid item id ${shortId(item)}: it ${problem}`);
  if (!(Number.isInteger(count) && count >= 1)) throw new ProjectError('unknown-item', `count must be a whole number ≥ 1, got ${count}`);
  p.items.require();
  const q = p.items.rowOf(item);
  if (q === undefined) throw new ProjectError('unknown-item', `unknown item ${shortId(item)}: not among the items of the last scan`);
  await p.store.refresh();
  const e = await embedPool(p, opts);
  const n = p.items.list.length;
  const dim = e.dim;
  const X = l2NormalizeInPlace(new Float32Array(e.X).slice(0, n * dim), n, dim);
  const sims = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += X[i * dim + d] * X[q * dim + d];
    sims[i] = s;
  }
  const order = [...Array(n).keys()].filter((i) => i !== q).sort((a, b) => sims[b] - sims[a] || a - b);
  return order.slice(0, count).map((i) => {
    const id = p.items.list[i].id;
    const pr = predictionFor(p, id);
    const cur = p.store.get(id);
    return { item: id, similarity: sims[i], label: cur?.label, predicted: pr?.label, confidence: pr?.confidence };
  });
}
