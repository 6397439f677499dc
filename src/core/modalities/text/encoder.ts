/**
 * The small, fast text encoder: a bag of embeddings (the tf-idf-weighted sum of token embeddings of a document's
 * top tokens, see tokenizer.ts `bagOf`) followed by an MLP — plus the sampled-softmax head of the masked-word task.
 * Both are tf.layers models with custom layers registered for serialisation, so they save and load like any tfjs
 * layers model (see checkpoint.ts).
 *
 * Encoder inputs: ids [B, L] int32 (0 = padding) and weights [B, L] float32; output [B, dim].
 */
import * as tf from '@tensorflow/tfjs';

interface BagArgs {
  vocabSize: number;
  embedDim: number;
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/** Σ_j w[b, j] · E[ids[b, j]] — the weighted bag of embeddings. */
export class BagOfEmbeddings extends tf.layers.Layer {
  static className = 'SelfLabelBagOfEmbeddings';
  readonly vocabSize: number;
  readonly embedDim: number;
  private readonly seed: number;
  private embeddings?: tf.LayerVariable;

  constructor(args: BagArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.vocabSize = args.vocabSize;
    this.embedDim = args.embedDim;
    this.seed = args.seed ?? 0;
  }

  override build(): void {
    this.embeddings = this.addWeight(
      'embeddings',
      [this.vocabSize, this.embedDim],
      'float32',
      tf.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0], this.embedDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [ids, w] = inputs as tf.Tensor[];
      const e = tf.gather(this.embeddings!.read(), tf.cast(ids, 'int32'));
      return tf.sum(tf.mul(e, tf.expandDims(w, 2)), 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize, embedDim: this.embedDim, seed: this.seed };
  }
}
tf.serialization.registerClass(BagOfEmbeddings);

/** Scores of candidate tokens: logits[b, j] = h[b] · O[cand[b, j]] (sampled softmax over target + negatives). */
export class CandidateScores extends tf.layers.Layer {
  static className = 'SelfLabelCandidateScores';
  readonly vocabSize: number;
  readonly outDim: number;
  private readonly seed: number;
  private out?: tf.LayerVariable;

  constructor(args: { vocabSize: number; outDim: number; seed?: number; name?: string; trainable?: boolean }) {
    super({ name: args.name, trainable: args.trainable });
    this.vocabSize = args.vocabSize;
    this.outDim = args.outDim;
    this.seed = args.seed ?? 0;
  }

  override build(): void {
    this.out = this.addWeight(
      'output_embeddings',
      [this.vocabSize, this.outDim],
      'float32',
      tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [h, c] = inputShape as tf.Shape[];
    return [h[0], c[1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [h, cand] = inputs as tf.Tensor[];
      const o = tf.gather(this.out!.read(), tf.cast(cand, 'int32')); // [B, K, d]
      return tf.sum(tf.mul(o, tf.expandDims(h, 1)), 2);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize, outDim: this.outDim, seed: this.seed };
  }
}
tf.serialization.registerClass(CandidateScores);

export interface TextEncoderConfig {
  vocabSize: number;
  /** Tokens per bag (L). */
  maxTokens: number;
  embedDim: number;
  hidden: number;
  /** Features out of the encoder. */
  dim: number;
}

export function defaultTextEncoderConfig(vocabSize: number): TextEncoderConfig {
  return { vocabSize, maxTokens: 256, embedDim: 96, hidden: 256, dim: 128 };
}

/** Builds a fresh text encoder: inputs [ids, weights], output [dim]. */
export function buildTextEncoder(cfg: TextEncoderConfig, seed = 0): tf.LayersModel {
  const ids = tf.input({ shape: [cfg.maxTokens], dtype: 'int32', name: 'ids' });
  const w = tf.input({ shape: [cfg.maxTokens], dtype: 'float32', name: 'weights' });
  const bag = new BagOfEmbeddings({ vocabSize: cfg.vocabSize, embedDim: cfg.embedDim, seed, name: 'bag' }).apply([
    ids,
    w,
  ]) as tf.SymbolicTensor;
  const h = tf.layers
    .dense({ units: cfg.hidden, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }), name: 'hidden' })
    .apply(bag) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: cfg.dim, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 2 }), name: 'features' })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: [ids, w], outputs: out, name: 'text_encoder' });
}

/** Masked-word head: features [dim] + candidate ids [K] → candidate logits [K]. */
export function buildMaskedWordHead(dim: number, vocabSize: number, candidates: number, outDim = 96, seed = 0): tf.LayersModel {
  const h = tf.input({ shape: [dim], name: 'h' });
  const cand = tf.input({ shape: [candidates], dtype: 'int32', name: 'candidates' });
  const p = tf.layers
    .dense({ units: outDim, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 3 }), name: 'mw_proj' })
    .apply(h) as tf.SymbolicTensor;
  const logits = new CandidateScores({ vocabSize, outDim, seed: seed + 4, name: 'mw_scores' }).apply([p, cand]) as tf.SymbolicTensor;
  return tf.model({ inputs: [h, cand], outputs: logits, name: 'masked_word_head' });
}
