/**
 * The audio head (worker side, tfjs through the encoders and the classifier): a calibrated classifier on each clip's
 * utterance features (./utterance.ts: denoised MFCC statistics, the word's course in time, the spectrum's shape),
 * alone or joined with the pretext encoders' embeddings, fitted by label spreading over the pool's kNN graph or on
 * the labels alone — four candidates, cross-validated on the same folds of the held-out human labels; the best out
 * of fold is kept (ties: the earlier in AUDIO_HEAD_CANDIDATES).
 *
 *   fitAudioHead({spec, n, frames, mels, train, nClasses, seed, encoders}) → AudioHeadState (JSON-safe)
 *   predictAudioHead(state, {spec, n, frames, mels}) → calibrated probabilities (n × C)
 *
 * Calibration is the classifiers' own (src/core/train/classifier.ts, semi.ts): out-of-fold temperature on the human
 * labels; spreading seeds on human labels only, so accepted proposals do not feed back into the spread labels.
 */
import type { Progress } from '../../types';
import type { TrainSet } from '../../train/classifier';
import { fitClassifier, predict, type ClassifierState } from '../../train/classifier';
import { fitSemiSupervised } from '../../train/semi';
import { buildKnnGraph, type KnnGraph } from '../../train/graph';
import { AUDIO_HEAD_CANDIDATES, type AudioHeadCandidate, type AudioHeadState } from './headState';
import { columnStats, standardizeBlocks, utteranceFeatures, type ColumnStats } from './utterance';
import { embedAudio } from './pretrain';

/** Neighbours per clip in the spreading graph. */
export const AUDIO_HEAD_GRAPH_K = 20;

export interface AudioSpec {
  spec: Float32Array;
  n: number;
  frames: number;
  mels: number;
}

/** Utterance rows (standardised with `stats`) joined with each encoder's embedding: blocks of equal weight, unit rows. */
async function featureRows(
  d: AudioSpec,
  stats: ColumnStats | undefined,
  encoders: readonly string[],
  o: { signal?: AbortSignal; onProgress?: (p: Progress) => void },
): Promise<{ U: Float32Array; uDim: number; joint?: Float32Array; jDim: number; stats: ColumnStats }> {
  const raw = utteranceFeatures(d.spec, d.n, d.frames, d.mels);
  const st = stats ?? columnStats(raw.X, raw.n, raw.dim);
  if (st.mean.length !== raw.dim) throw new Error(`audio head: the state has ${st.mean.length} feature columns, the clips ${raw.dim}`);
  const U = standardizeBlocks(raw, st);
  if (!encoders.length) return { U, uDim: raw.dim, jDim: 0, stats: st };
  const parts: { X: Float32Array; dim: number }[] = [{ X: U, dim: raw.dim }];
  for (const dir of encoders) {
    const e = await embedAudio({ checkpointDir: dir, ...d, signal: o.signal, onProgress: o.onProgress });
    parts.push({ X: e.embeddings, dim: e.dim });
  }
  const jDim = parts.reduce((s, p) => s + p.dim, 0);
  const joint = new Float32Array(d.n * jDim);
  // The utterance block weighs as much as all the encoders together.
  const w = parts.map((_, j) => (j === 0 ? Math.SQRT1_2 : Math.SQRT1_2 / Math.sqrt(parts.length - 1)));
  for (let i = 0; i < d.n; i++) {
    let off = i * jDim;
    parts.forEach((p, j) => {
      for (let q = 0; q < p.dim; q++) joint[off + q] = p.X[i * p.dim + q] * w[j];
      off += p.dim;
    });
  }
  return { U, uDim: raw.dim, joint, jDim, stats: st };
}

export async function fitAudioHead(
  o: AudioSpec & {
    train: TrainSet;
    nClasses: number;
    seed: number;
    /** Checkpoint folders of the pretrained encoders ([]: the utterance candidates only). */
    encoders: string[];
    candidates?: readonly AudioHeadCandidate[];
    signal?: AbortSignal;
    onProgress?: (p: Progress) => void;
  },
): Promise<AudioHeadState> {
  const f = await featureRows(o, undefined, o.encoders, o);
  const names = (o.candidates ?? AUDIO_HEAD_CANDIDATES).filter((c) => (c.startsWith('joint') ? !!f.joint : true));
  const graphs = new Map<string, KnnGraph>();
  const fitted: { name: AudioHeadCandidate; state: ClassifierState }[] = [];
  let step = 0;
  const progress = (p: Progress) =>
    o.onProgress?.({ ...p, stage: 'train', done: step * 100 + (p.total ? (100 * p.done) / p.total : 0), total: names.length * 100 });
  for (const name of names) {
    const joint = name.startsWith('joint');
    const X = joint ? f.joint! : f.U;
    const dim = joint ? f.jDim : f.uDim;
    const common = { X, n: o.n, dim, train: o.train, nClasses: o.nClasses, seed: o.seed, signal: o.signal, onProgress: progress };
    let state: ClassifierState;
    if (name.endsWith('spread') && o.n > AUDIO_HEAD_GRAPH_K) {
      const key = joint ? 'joint' : 'utterance';
      let graph = graphs.get(key);
      if (!graph) {
        graph = await buildKnnGraph({ X, n: o.n, dim, k: AUDIO_HEAD_GRAPH_K, signal: o.signal });
        graphs.set(key, graph);
      }
      state = await fitSemiSupervised({ ...common, graph });
    } else if (name.endsWith('spread')) {
      continue;
    } else {
      state = await fitClassifier(common);
    }
    fitted.push({ name, state });
    step++;
  }
  let best = 0;
  for (let j = 1; j < fitted.length; j++) if ((fitted[j].state.estimatedAccuracy ?? -1) > (fitted[best].state.estimatedAccuracy ?? -1)) best = j;
  const c = fitted[best];
  const s = c.state;
  return {
    version: 1,
    kind: 'audio-head',
    nClasses: o.nClasses,
    chosen: c.name,
    candidates: fitted.map((x) => ({ name: x.name, estimatedAccuracy: x.state.estimatedAccuracy })),
    stats: f.stats,
    encoders: c.name.startsWith('joint') ? o.encoders : [],
    classifier: s,
    temperature: s.temperature,
    estimatedAccuracy: s.estimatedAccuracy,
    oof: s.oof,
    ece: s.ece,
    trainedOn: s.trainedOn,
  };
}

export async function predictAudioHead(
  state: AudioHeadState,
  d: AudioSpec,
  o: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {},
): Promise<Float32Array> {
  const f = await featureRows(d, state.stats, state.encoders, o);
  const X = state.encoders.length ? f.joint! : f.U;
  const dim = state.encoders.length ? f.jDim : f.uDim;
  if (dim !== state.classifier.dim)
    throw new Error(`audio head: the classifier reads ${state.classifier.dim} features, the clips give ${dim}: train again`);
  return predict(state.classifier, X, d.n, dim).probs;
}
