/**
 * Calibration of the scratch candidate's full network, measured offline on a bench workspace kept with `--keep`
 * (research/s8-runs.sh): the logits of its fold networks and of its full network on the pool, the folds'
 * out-of-fold temperature, and — for the proposals a round-1 train would make (unlabelled items at confidence ≥ 0.9)
 * — the expected precision (mean confidence) against the measured one (the pool's truth), for each way of setting
 * the full network's temperature (src/core/train/calibration.ts agreementTemperature). Research only (issue 11,
 * session 8).
 *
 *   node --import tsx research/s8-calib.ts KEPT_DIR POOL_TRUTH_CSV [THRESHOLD]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useBackend } from './backend';
import { loadImage, scanWorkspace } from '../src/core/dataset';
import type { Item } from '../src/core/types';
import { studentLogits } from '../src/core/modalities/image/student';
import { imageGeometry } from '../src/core/modalities/image';
import { fitTemperature, softmaxRows } from '../src/core/train/calibration';
import { agreementTemperature, foldAgreement } from '../src/core/train/calibration';
import { outOfFoldRows } from '../src/core/train/select';
import { argmaxRow } from '../src/core/util/math';
import type { FinetuneRecord } from '../src/core/modalities/image/finetune';

function proposals(probs: Float32Array, rows: number[], C: number, thr: number, truth: (r: number) => number) {
  let n = 0;
  let conf = 0;
  let ok = 0;
  for (const r of rows) {
    const b = argmaxRow(probs, r, C);
    const p = probs[r * C + b];
    if (p < thr) continue;
    n++;
    conf += p;
    if (b === truth(r)) ok++;
  }
  return { n, expected: n ? conf / n : NaN, measured: n ? ok / n : NaN };
}

async function main() {
  const [dir, truthFile, thrArg] = process.argv.slice(2);
  if (!dir || !truthFile) throw new Error('usage: s8-calib.ts KEPT_DIR POOL_TRUTH_CSV [THRESHOLD]');
  const thr = Number(thrArg ?? 0.9);
  await useBackend('wasm');
  const pool = path.join(dir, 'pool');
  const models = path.join(pool, '.selflabel', 'models');
  const cf = JSON.parse(fs.readFileSync(path.join(models, 'classifier.json'), 'utf8')) as {
    classes: string[];
    finetuned?: FinetuneRecord;
    state: { keptCandidate?: FinetuneRecord };
  };
  const rec = cf.finetuned?.kind === 'scratch' ? cf.finetuned : cf.state.keptCandidate;
  if (!rec?.full || !rec.folds) throw new Error('no scratch candidate with a full network in this workspace');
  const meta = JSON.parse(fs.readFileSync(path.join(models, 'predictions.json'), 'utf8')) as { ids: string[] };
  const scanned = await scanWorkspace(pool, {});
  const byId = new Map(scanned.items.map((it) => [it.id, it]));
  const items = meta.ids.map((id) => byId.get(id)).filter((it): it is Item => !!it);
  if (items.length !== meta.ids.length) throw new Error('the pool changed since the train');
  const truthMap = new Map(
    fs
      .readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',') as [string, string]),
  );
  const C = cf.classes.length;
  const cls = new Map(cf.classes.map((c, i) => [c, i]));
  const truth = Int32Array.from(items, (it) => cls.get(truthMap.get(it.id) ?? '') ?? -1);
  const { size, channels } = imageGeometry({
    config: { imageSize: 'auto', channels: 'auto' } as never,
    pool: items,
  });
  const per = size * size * channels;
  const pixels = new Uint8Array(items.length * per);
  for (let i = 0; i < items.length; i++) pixels.set(await loadImage(pool, items[i], size, channels), i * per);
  const n = items.length;
  const logitsOf = async (name: string) =>
    (await studentLogits({ checkpointDir: path.join(models, name), pixels, n, size, channels })).logits;
  const folds = await Promise.all(rec.networks.map(logitsOf));
  const full = await logitsOf(rec.full.network);
  const rows = Int32Array.from(rec.folds.rows);
  const y = Int32Array.from(rec.folds.y);
  const rowFold = Int32Array.from(rec.folds.fold);
  const oof = outOfFoldRows(folds, rowFold, rows, C);
  const tFolds = fitTemperature(oof, y, C);
  let oofOk = 0;
  for (let j = 0; j < rows.length; j++) if (argmaxRow(oof, j, C) === y[j]) oofOk++;
  const human = new Set(rows);
  const unlabelled = [...Array(n).keys()].filter((r) => !human.has(r));
  let fullOk = 0;
  for (const r of unlabelled) if (argmaxRow(full, r, C) === truth[r]) fullOk++;
  const agree = foldAgreement(full, folds, Int32Array.from(unlabelled), C);
  const tAgree = agreementTemperature({ oofLogits: oof, oofY: y, full, folds, rows: Int32Array.from(unlabelled), C });
  const out = {
    dir,
    n,
    labels: rows.length,
    foldsOofAccuracy: oofOk / rows.length,
    fullPoolAccuracy: fullOk / unlabelled.length,
    agreement: agree,
    temperature: { folds: tFolds, saved: rec.temperature, agreement: tAgree.temperature },
    estimate: tAgree.accuracy,
    atFolds: proposals(softmaxRows(full, n, C, tFolds), unlabelled, C, thr, (r) => truth[r]),
    atAgreement: proposals(softmaxRows(full, n, C, tAgree.temperature), unlabelled, C, thr, (r) => truth[r]),
  };
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
