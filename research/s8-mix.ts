/**
 * Would the mean of the embedding head and the pixel candidate beat either? Offline on a kept bench workspace whose
 * final train chose the embedding head (its pool probabilities and out-of-fold probabilities are saved): the pixel
 * candidate is fitted again on the same human labels (deterministic, pure JS), then the out-of-fold accuracy on
 * the human labels and the accuracy on the unlabelled pool items (truth) of head, pixels and their mean. Research
 * only (issue 11, session 8).
 *
 *   node --import tsx research/s8-mix.ts POOL_TRUTH_CSV KEPT_DIR...
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fitPixelCandidate } from '../src/core/modalities/image/pixels';
import { readArrayFile } from '../src/core/util/files';

async function main() {
  const [truthFile, ...dirs] = process.argv.slice(2);
  const truthMap = new Map(
    fs
      .readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',') as [string, string]),
  );
  for (const dir of dirs) {
    const sl = path.join(dir, 'pool', '.selflabel');
    const cf = JSON.parse(fs.readFileSync(path.join(sl, 'models', 'classifier.json'), 'utf8'));
    if (cf.finetuned || cf.state.kind !== 'softmax' || cf.state.priorWeights) {
      console.log(JSON.stringify({ dir, skipped: `chosen ${cf.finetuned ? 'scratch' : cf.state.kind}` }));
      continue;
    }
    const pred = (await readArrayFile<{ ids: string[] }>(path.join(sl, 'models', 'predictions')))!;
    const n = pred.meta.ids.length;
    const C = cf.classes.length as number;
    const head = new Float32Array(pred.bytes.buffer.slice(pred.bytes.byteOffset, pred.bytes.byteOffset + pred.bytes.byteLength));
    const cache = fs.readdirSync(path.join(sl, 'cache')).find((f) => f.startsWith('pixels-') && f.endsWith('.json'))!;
    const px = (await readArrayFile<{ hashes: string[]; size: number; channels: 1 | 3 }>(
      path.join(sl, 'cache', cache.replace(/\.json$/, '')),
    ))!;
    if (px.meta.hashes.length !== n) throw new Error('pixel cache and predictions differ in length');
    const sab = new SharedArrayBuffer(px.bytes.byteLength);
    new Uint8Array(sab).set(px.bytes);
    const data = { kind: 'image' as const, pixels: sab, n, size: px.meta.size, channels: px.meta.channels };
    const cls = new Map<string, number>((cf.classes as string[]).map((c, i) => [c, i]));
    const truth = pred.meta.ids.map((id) => cls.get(truthMap.get(id) ?? '') ?? -1);
    const oofIdx: number[] = cf.state.oof.index;
    const train = {
      index: Int32Array.from(oofIdx),
      y: Int32Array.from(oofIdx, (r) => truth[r]),
      weight: new Float32Array(oofIdx.length).fill(1),
    };
    const pix = await fitPixelCandidate(data, train, C, 1);
    const pixOof = new Map(pix.state.oof!.index.map((r, k) => [r, pix.state.oof!.probs.slice(k * C, (k + 1) * C)]));
    const headOof = new Map(oofIdx.map((r, k) => [r, (cf.state.oof.probs as number[]).slice(k * C, (k + 1) * C)]));
    const top = (v: ArrayLike<number>) => Array.from(v).reduce((b, x, c, a) => (x > a[b] ? c : b), 0);
    const oofAcc = (f: (r: number) => ArrayLike<number>) => oofIdx.filter((r) => top(f(r)) === truth[r]).length / oofIdx.length;
    const mean = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (x, c) => (x + b[c]) / 2);
    const labelled = new Set(oofIdx);
    const rows = [...Array(n).keys()].filter((r) => !labelled.has(r));
    const poolAcc = (f: (r: number) => ArrayLike<number>) => rows.filter((r) => top(f(r)) === truth[r]).length / rows.length;
    const rowOf = (a: Float32Array) => (r: number) => a.subarray(r * C, (r + 1) * C);
    const pct = (x: number) => +(100 * x).toFixed(1);
    console.log(
      JSON.stringify({
        dir: path.basename(dir),
        oof: {
          head: pct(oofAcc((r) => headOof.get(r)!)),
          pixels: pct(oofAcc((r) => pixOof.get(r)!)),
          mean: pct(oofAcc((r) => mean(headOof.get(r)!, pixOof.get(r)!))),
        },
        pool: {
          head: pct(poolAcc(rowOf(head))),
          pixels: pct(poolAcc(rowOf(pix.probs))),
          mean: pct(poolAcc((r) => mean(rowOf(head)(r), rowOf(pix.probs)(r)))),
        },
      }),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
