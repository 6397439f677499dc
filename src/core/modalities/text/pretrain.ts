/**
 * Self-supervised pretraining of the text encoder, and embedding with it.
 *
 *   pretrainTextEncoder({texts, task: 'masked' | 'contrastive', epochs, checkpointDir, resume?, batchSize?, seed?,
 *                        maxSeconds?, signal?, onProgress?}) → PretrainResult
 *   embedTexts({checkpointDir, texts, batchSize?, signal?, onProgress?}) → {embeddings (n × dim, L2-normalised), dim}
 *
 * The vocabulary is built from the corpus (../models/tokenizer.ts) and saved as vocab.json in the checkpoint; the
 * encoder is a tf-idf-weighted bag of embeddings + MLP (../models/textEncoder.ts).
 * 'masked': up to 8 informative words of each document (drawn by tf-idf weight) are removed from its bag and
 * predicted from the rest, each against 15 negatives drawn by document frequency^0.75 (sampled softmax) — a
 * CBOW/doc2vec-style masked-word task on a bag encoder.
 * 'contrastive': two views of each document (a random contiguous span of 55–100% of its tokens, then 25% word
 * dropout), encoder → projection → NT-Xent.
 * Checkpoints, resume, cancel, time limit and progress: ./loop.ts (a resume also requires the same vocabulary).
 */
import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Progress } from '../../types';
import { AbortError } from '../../util/progress';
import { readJson, writeJson } from '../../util/files';
import { loadModel } from '../../models/checkpoint';
import { Rng } from '../../models/random';
import { bagOf, buildVocab, encodeTokens, tokenize, vocabIndex, vocabSize, type BuildVocabOptions, type Vocab } from './tokenizer';
import { buildMaskedWordHead, buildTextEncoder, defaultTextEncoderConfig, type TextEncoderConfig } from './encoder';
import { buildProjectionHead } from '../../ssl/projection';
import { l2NormalizeInPlace } from '../../util/math';
import { ntXentLoss } from '../../ssl/ntxent';
import { runPretext, type PretrainOptions, type PretrainResult, type TaskSpec } from '../../ssl/loop';

export type TextTask = 'masked' | 'contrastive';

/** Longest token sequence kept per document. */
const MAX_SEQ_TOKENS = 4000;

export interface PretrainTextOptions extends PretrainOptions {
  texts: string[];
  task: TextTask;
  /** Tuning knobs (defaults are the tuned values). */
  encoder?: Partial<TextEncoderConfig>;
  vocab?: BuildVocabOptions;
  temperature?: number;
  negatives?: number;
  /** Masked words predicted per document per step. */
  targets?: number;
  dropout?: number;
}

export const TEXT_DEFAULTS = {
  masked: { batchSize: 64, learningRate: 2e-3, negatives: 15, targets: 8 },
  contrastive: { batchSize: 128, learningRate: 2e-3, temperature: 0.2, dropout: 0.25 },
} as const;

/** Tokenised corpus: id sequences per document. */
export function encodeCorpus(texts: string[], vocab: Vocab): Int32Array[] {
  const index = vocabIndex(vocab);
  return texts.map((t) => encodeTokens(vocab, tokenize(typeof t === 'string' ? t : '').slice(0, MAX_SEQ_TOKENS), index));
}

function vocabFingerprint(v: Vocab): string {
  return createHash('sha256').update(v.tokens.join('\n')).update(String(v.hashBuckets)).digest('hex').slice(0, 16);
}

/** Cumulative sampling table over ids ∝ df^0.75 (padding excluded). */
function negativeTable(v: Vocab): Float64Array {
  const cum = new Float64Array(v.df.length);
  let s = 0;
  for (let i = 0; i < v.df.length; i++) {
    s += i === 0 ? 0 : Math.pow(v.df[i] + 1, 0.75);
    cum[i] = s;
  }
  return cum;
}

function sampleFrom(cum: Float64Array, rng: Rng): number {
  const x = rng.next() * cum[cum.length - 1];
  let lo = 1;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Pretrains (or resumes) the text encoder with one pretext task; see the module comment. */
export async function pretrainTextEncoder(o: PretrainTextOptions): Promise<PretrainResult> {
  if (!Array.isArray(o.texts)) throw new TypeError('texts must be an array of strings');
  if (o.task !== 'masked' && o.task !== 'contrastive') throw new Error(`Unknown text pretext task "${o.task}" (masked or contrastive).`);
  const n = o.texts.length;
  const seed = o.seed ?? 1;
  const tokenized = o.texts.map((t) => tokenize(typeof t === 'string' ? t : '').slice(0, MAX_SEQ_TOKENS));
  const vocab = buildVocab(tokenized, o.vocab);
  const index = vocabIndex(vocab);
  const seqs = tokenized.map((t) => encodeTokens(vocab, t, index));
  const V = vocabSize(vocab);
  const enc: TextEncoderConfig = { ...defaultTextEncoderConfig(V), ...o.encoder, vocabSize: V };
  const L = enc.maxTokens;
  await writeJson(path.join(o.checkpointDir, 'vocab.json'), vocab);

  let spec: TaskSpec;
  let config: unknown;
  let batchSize: number;
  let learningRate: number;
  const fingerprint = vocabFingerprint(vocab);
  if (o.task === 'masked') {
    const d = TEXT_DEFAULTS.masked;
    const K = 1 + (o.negatives ?? d.negatives);
    const T = o.targets ?? d.targets;
    batchSize = o.batchSize ?? d.batchSize;
    learningRate = o.learningRate ?? d.learningRate;
    config = { enc, K, T, learningRate, fingerprint };
    const cum = negativeTable(vocab);
    let ids = new Int32Array(0);
    let ws = new Float32Array(0);
    let cand = new Int32Array(0);
    let tw = new Float32Array(0);
    const fullIds = new Int32Array(L);
    const fullW = new Float32Array(L);
    const targets = new Set<number>();
    spec = {
      names: ['model', 'masked_head'],
      create: () => ({ model: buildTextEncoder(enc, seed), masked_head: buildMaskedWordHead(enc.dim, V, T * K, 96, seed) }),
      prepare: (m, items, rng) => {
        const b = items.length;
        if (ids.length !== b * L) {
          ids = new Int32Array(b * L);
          ws = new Float32Array(b * L);
          cand = new Int32Array(b * T * K);
          tw = new Float32Array(b * T);
        }
        for (let r = 0; r < b; r++) {
          const seq = seqs[items[r]];
          const cnt = bagOf(vocab, seq, L, fullIds, fullW, 0);
          // Up to T distinct targets, drawn by tf-idf weight without replacement; at least half the bag stays.
          targets.clear();
          const want = Math.min(T, Math.floor(cnt / 2));
          let tot = 0;
          for (let j = 0; j < cnt; j++) tot += fullW[j];
          for (let tries = 0; targets.size < want && tries < 4 * T; tries++) {
            let x = rng.next() * tot;
            let j = 0;
            while (j < cnt - 1 && x >= fullW[j]) x -= fullW[j++];
            targets.add(fullIds[j]);
          }
          bagOf(vocab, seq, L, ids, ws, r, (p) => !targets.has(seq[p]));
          let t = 0;
          for (const target of targets) {
            const o = (r * T + t) * K;
            cand[o] = target;
            for (let k = 1; k < K; k++) cand[o + k] = sampleFrom(cum, rng);
            tw[r * T + t] = 1;
            t++;
          }
          for (; t < T; t++) {
            cand.fill(0, (r * T + t) * K, (r * T + t + 1) * K);
            tw[r * T + t] = 0;
          }
        }
        return () => {
          const h = m.model.apply([tf.tensor2d(ids, [b, L], 'int32'), tf.tensor2d(ws, [b, L])], { training: true }) as tf.Tensor;
          const logits = tf.reshape(m.masked_head.apply([h, tf.tensor2d(cand, [b, T * K], 'int32')], { training: true }) as tf.Tensor, [
            b * T,
            K,
          ]);
          const labels = tf.oneHot(tf.zeros([b * T], 'int32') as tf.Tensor1D, K);
          const w = tf.tensor1d(tw);
          const ce = tf.losses.softmaxCrossEntropy(labels, logits, w, 0, tf.Reduction.NONE);
          return tf.div(tf.sum(ce), tf.maximum(tf.sum(w), 1)) as tf.Scalar;
        };
      },
    };
  } else {
    const d = TEXT_DEFAULTS.contrastive;
    const temperature = o.temperature ?? d.temperature;
    const dropout = o.dropout ?? d.dropout;
    batchSize = o.batchSize ?? d.batchSize;
    learningRate = o.learningRate ?? d.learningRate;
    config = { enc, temperature, dropout, learningRate, fingerprint };
    let ids = new Int32Array(0);
    let ws = new Float32Array(0);
    spec = {
      names: ['model', 'projection'],
      create: () => ({ model: buildTextEncoder(enc, seed), projection: buildProjectionHead(enc.dim, enc.dim, 64, seed) }),
      prepare: (m, items, rng) => {
        const b = items.length;
        if (ids.length !== 2 * b * L) {
          ids = new Int32Array(2 * b * L);
          ws = new Float32Array(2 * b * L);
        }
        for (let v = 0; v < 2; v++) {
          for (let r = 0; r < b; r++) {
            const seq = seqs[items[r]];
            const len = seq.length;
            const span = Math.max(1, Math.round(len * rng.uniform(0.55, 1)));
            const start = rng.int(Math.max(1, len - span + 1));
            const view = seq.subarray(start, start + span);
            bagOf(vocab, view, L, ids, ws, v * b + r, () => rng.next() >= dropout);
          }
        }
        return () => {
          const z = m.projection.apply(
            m.model.apply([tf.tensor2d(ids, [2 * b, L], 'int32'), tf.tensor2d(ws, [2 * b, L])], { training: true }),
            {
              training: true,
            },
          ) as tf.Tensor2D;
          const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return ntXentLoss(z1, z2, temperature);
        };
      },
    };
  }
  return runPretext(o, { modality: 'text', task: o.task, n, batchSize, learningRate, config }, spec);
}

export interface EmbedTextsOptions {
  checkpointDir: string;
  texts: string[];
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Embeds texts with the encoder and vocabulary saved in `checkpointDir`; rows are L2-normalised. */
export async function embedTexts(o: EmbedTextsOptions): Promise<{ embeddings: Float32Array; dim: number }> {
  const vocab = await readJson<Vocab>(path.join(o.checkpointDir, 'vocab.json'));
  if (!vocab || vocab.version !== 1) throw new Error(`No vocabulary in ${o.checkpointDir}: run pretraining first.`);
  const model = await loadModel(o.checkpointDir, 'model');
  try {
    const L = model.inputs[0].shape[1] as number;
    const dim = model.outputs[0].shape[1] as number;
    const n = o.texts.length;
    const out = new Float32Array(n * dim);
    const index = vocabIndex(vocab);
    const B = o.batchSize ?? 512;
    const ids = new Int32Array(B * L);
    const ws = new Float32Array(B * L);
    const t0 = Date.now();
    for (let s = 0; s < n; s += B) {
      if (o.signal?.aborted) throw new AbortError();
      const b = Math.min(B, n - s);
      for (let r = 0; r < b; r++) {
        const t = o.texts[s + r];
        const seq = encodeTokens(vocab, tokenize(typeof t === 'string' ? t : '').slice(0, MAX_SEQ_TOKENS), index);
        bagOf(vocab, seq, L, ids, ws, r);
      }
      const xi = tf.tensor2d(ids.subarray(0, b * L), [b, L], 'int32');
      const xw = tf.tensor2d(ws.subarray(0, b * L), [b, L]);
      const y = model.predict([xi, xw], { batchSize: b }) as tf.Tensor;
      out.set(await y.data(), s * dim);
      xi.dispose();
      xw.dispose();
      y.dispose();
      const done = s + b;
      const el = (Date.now() - t0) / 1000;
      o.onProgress?.({ stage: 'embed', done, total: n, etaSeconds: (el / done) * (n - done) });
      await new Promise<void>((r) => setImmediate(r));
    }
    return { embeddings: l2NormalizeInPlace(out, n, dim), dim };
  } finally {
    model.dispose();
  }
}
