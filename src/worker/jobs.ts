/**
 * The product's jobs (typed in src/protocol/jobs.ts) as a worker serves them: pretraining and embedding through the
 * modality's worker face (src/worker/modalities.ts), the embedding heads (fitting, the kNN graph, predicting), the
 * embedding map's layouts, and each modality's own jobs. Thin adapters from job params to the ML functions in src/core. Test-only jobs are not
 * here: the tests serve their own (test/fixtures/worker/).
 */
import { dataParallelProblem, yieldFlagProblem, type CoreJobName, type JobHandlers, type JobTypes } from '../protocol/jobs';
import { fitClassifier, predict } from '../core/train/classifier';
import { fitSemiSupervised } from '../core/train/semi';
import { buildKnnGraph } from '../core/train/graph';
import { pca2d, umap2d } from '../core/map/layout';
import { loadModalityJobs, workerForData } from './modalities';

const embeddingJobs: JobHandlers<Pick<JobTypes, 'pretrain' | 'embed' | 'fit' | 'graph' | 'predict'>> = {
  async pretrain(p, ctx) {
    if (p.dataParallel !== undefined) {
      const problem = dataParallelProblem(p.dataParallel);
      if (problem) throw new Error(`pretrain ${p.task}: ${problem}`);
    }
    if (p.yieldFlag !== undefined) {
      const problem = yieldFlagProblem(p.yieldFlag, p.dataParallel);
      if (problem) throw new Error(`pretrain ${p.task}: ${problem}`);
    }
    const stats = await (
      await workerForData(p.data)
    ).pretrain(p.task, p.data, {
      epochs: p.epochs,
      seed: p.seed,
      checkpointDir: p.checkpointDir,
      resume: p.resume,
      maxSeconds: p.maxSeconds,
      dataParallel: p.dataParallel,
      yieldFlag: p.yieldFlag,
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    return { result: stats };
  },
  async embed(p, ctx) {
    const r = await (
      await workerForData(p.data)
    ).embed(p.data, {
      checkpointDir: p.checkpointDir,
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    return { result: r, transfer: [r.embeddings.buffer as ArrayBuffer] };
  },
  async fit(p, ctx) {
    const common = {
      X: new Float32Array(p.X, 0, p.n * p.dim),
      n: p.n,
      dim: p.dim,
      train: p.train,
      nClasses: p.nClasses,
      seed: p.seed,
      signal: ctx.signal,
      onProgress: ctx.progress,
    };
    if (p.head === 'spread') {
      if (!p.graph) throw new Error('the spread head needs the kNN graph of the items');
      return { result: await fitSemiSupervised({ ...common, graph: p.graph }) };
    }
    return { result: await fitClassifier(common) };
  },
  async graph(p, ctx) {
    const g = await buildKnnGraph({
      X: new Float32Array(p.X, 0, p.n * p.dim),
      n: p.n,
      dim: p.dim,
      k: p.k,
      rows: p.rows,
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
    return { result: g, transfer: [g.idx.buffer as ArrayBuffer, g.sim.buffer as ArrayBuffer] };
  },
  async predict(p) {
    const r = predict(p.state, new Float32Array(p.X, 0, p.n * p.dim), p.n, p.dim);
    return { result: { probs: r.probs }, transfer: [r.probs.buffer as ArrayBuffer] };
  },
};

/** The embedding map's layouts (src/core/map/layout.ts). */
const mapJobs: JobHandlers<Pick<JobTypes, 'mapPca' | 'mapUmap'>> = {
  async mapPca(p) {
    const xy = pca2d(new Float32Array(p.X, 0, p.n * p.dim), p.n, p.dim, p.seed);
    return { result: { xy }, transfer: [xy.buffer as ArrayBuffer] };
  },
  async mapUmap(p, ctx) {
    const xy = umap2d({ graph: p.graph, init: p.init, seed: p.seed, epochs: p.epochs, signal: ctx.signal, onProgress: ctx.progress });
    return { result: { xy }, transfer: [xy.buffer as ArrayBuffer] };
  },
};

/** The jobs every modality goes through: a job added to JobTypes and owned by no modality must be served here. */
const coreJobs: JobHandlers<Pick<JobTypes, CoreJobName>> = { ...embeddingJobs, ...mapJobs };

/** The product's registry: the core jobs and the modalities' own (their worker faces are loaded first). */
export async function loadProductJobs(): Promise<JobHandlers<JobTypes>> {
  return { ...coreJobs, ...(await loadModalityJobs()) };
}
