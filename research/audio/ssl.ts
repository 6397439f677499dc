/**
 * What each audio pretext task's encoder knows: pretrain on the pool's log-mel clips (src/core/modalities/audio/
 * pretrain.ts, the product's recipe), embed pool and test with embedAudio (statistics pooling), then logistic
 * regression on 10 labels per class — on the embedding alone, and joined with the head's feature blocks (`shape` for
 * words, the voice features + timbre for speakers). Test accuracy, seeds of the labels 1–3. Research only.
 *
 *   SELFLABEL_AUDIO_DATA=.bench/data node --import tsx research/audio/ssl.ts SET TASKS [EPOCHS=8]
 *   e.g. … ssl.ts audio-speakers contrastive,masked 8
 * Encoders are kept under /tmp/sl-audio-ssl/<set>-<task>-<epochs> and reused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useBackend } from '../backend';
import { accuracyOf, headFeatures, loadSplit, seedLabels } from './data';
import { embedAudio, pretrainAudioEncoder, type AudioTask } from '../../src/core/modalities/audio/pretrain';
import { columnStats } from '../../src/core/modalities/audio/utterance';
import { fitLogReg, predictLogReg } from '../../src/bench/baselines/linear';

function zscore(pool: Float32Array, test: Float32Array, dim: number, weight = 1): void {
  const st = columnStats(pool, pool.length / dim, dim);
  for (const X of [pool, test]) for (let q = 0; q < X.length; q++) X[q] = (weight * (X[q] - st.mean[q % dim])) / st.std[q % dim];
}

function join(a: Float32Array, da: number, b: Float32Array, db: number, n: number): Float32Array {
  const out = new Float32Array(n * (da + db));
  for (let i = 0; i < n; i++) {
    out.set(a.subarray(i * da, (i + 1) * da), i * (da + db));
    out.set(b.subarray(i * db, (i + 1) * db), i * (da + db) + da);
  }
  return out;
}

async function main(): Promise<void> {
  const set = process.argv[2] ?? 'audio-speakers';
  const tasks = (process.argv[3] ?? 'contrastive').split(',') as AudioTask[];
  const epochs = Number(process.argv[4] ?? 8);
  await useBackend(process.env.BACKEND ?? 'wasm');
  const pool = await loadSplit(set, 'pool');
  const test = await loadSplit(set, 'test', pool.classes);
  const C = pool.classes.length;
  const { Xp: Hp, Xt: Ht, dim: hd } = await headFeatures(set, pool, test);
  const rows: { name: string; Xp: Float32Array; Xt: Float32Array; dim: number }[] = [{ name: 'head features', Xp: Hp, Xt: Ht, dim: hd }];
  for (const task of tasks) {
    // TAU: the contrastive temperature (not TEMP: tsx takes that for its cache folder); BATCH: the batch size; AUG: JSON of SpecAugmentOptions over the task's own.
    const tag = [
      process.env.TAU && `t${process.env.TAU}`,
      process.env.BATCH && `b${process.env.BATCH}`,
      process.env.AUG && `a${Buffer.from(process.env.AUG).toString('hex').slice(0, 24)}`,
    ]
      .filter(Boolean)
      .join('-');
    const dir = path.join('/tmp/sl-audio-ssl', `${set}-${task}-${epochs}${tag ? '-' + tag : ''}`);
    const t0 = Date.now();
    if (!fs.existsSync(path.join(dir, 'done'))) {
      fs.mkdirSync(dir, { recursive: true });
      const r = await pretrainAudioEncoder({
        checkpointDir: dir,
        spec: pool.spec,
        n: pool.n,
        frames: pool.frames,
        mels: pool.mels,
        task,
        epochs,
        seed: 1,
        temperature: process.env.TAU ? Number(process.env.TAU) : undefined,
        batchSize: process.env.BATCH ? Number(process.env.BATCH) : undefined,
        augment: process.env.AUG ? JSON.parse(process.env.AUG) : undefined,
      });
      fs.writeFileSync(path.join(dir, 'done'), JSON.stringify(r));
      console.error(`${task}: pretrained ${epochs} epochs in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    const ep = await embedAudio({ checkpointDir: dir, spec: pool.spec, n: pool.n, frames: pool.frames, mels: pool.mels });
    const et = await embedAudio({ checkpointDir: dir, spec: test.spec, n: test.n, frames: test.frames, mels: test.mels });
    const Ep = ep.embeddings.slice();
    const Et = et.embeddings.slice();
    zscore(Ep, Et, ep.dim);
    rows.push({ name: task, Xp: Ep, Xt: Et, dim: ep.dim });
    const Jp = Ep.slice();
    const Jt = Et.slice();
    const wj = Math.sqrt(hd / ep.dim); // the two blocks weigh alike
    for (const X of [Jp, Jt]) for (let q = 0; q < X.length; q++) X[q] *= wj;
    rows.push({
      name: `head features + ${task}`,
      Xp: join(Hp, hd, Jp, ep.dim, pool.n),
      Xt: join(Ht, hd, Jt, ep.dim, test.n),
      dim: hd + ep.dim,
    });
  }
  for (const r of rows) {
    const acc: number[] = [];
    for (const seed of [1, 2, 3]) {
      const { lab, ly } = seedLabels(pool.y, C, 10, seed);
      const m = fitLogReg({ kind: 'dense', X: r.Xp, n: pool.n, dim: r.dim }, lab, ly, C, { lambda: 1e-3, maxIterations: 400 });
      acc.push(accuracyOf(predictLogReg(m, { kind: 'dense', X: r.Xt, n: test.n, dim: r.dim }), test.y, C));
    }
    const med = [...acc].sort((a, b) => a - b)[1];
    console.log(`${set}\t${r.name.padEnd(28)}\t${acc.map((a) => (100 * a).toFixed(1)).join(' / ')}\tmedian ${(100 * med).toFixed(1)}`);
  }
}

void main();
