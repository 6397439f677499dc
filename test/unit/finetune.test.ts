/**
 * Fine-tuning the image encoder end to end (Project.train with finetune) on real MNIST digits, through the real
 * Project and its worker threads: the head, the fine-tuned encoder, the encoder from scratch and the pixel candidate
 * (PCA + logistic regression of the raw pixels) are scored on the same
 * held-out human labels and the best predicts (for the pool and other folders); only its networks stay on disk.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Project } from '../../src/core/project';
import { workerRunner } from '../../src/worker/runner';
import { ENSEMBLE_FOLDS } from '../../src/core/train/select';
import { fullNetworkName, recordFolders } from '../../src/core/modalities/image/finetune';
import { scratchOof } from '../../src/core/project/review';
import { BBSE_MIN_LABELS_PER_CLASS, MIXED_CANDIDATE, PRIOR_MIN_ACCURACY } from '../../src/core/project/training';
import { isMix } from '../../src/core/train/mix';
import { decodeImage, toUint8 } from '../../src/core/dataset';
import { fitPixelCandidate, type PixelState } from '../../src/core/modalities/image/pixels';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-finetune-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A pixel classifier fitted on 3 labelled images per class of `ws` (28 × 28 gray, as the model sees MNIST). */
async function pixelStateOf(ws: string, truth: Map<string, string>, classes: string[]): Promise<PixelState> {
  const ids = [...truth.keys()];
  const per = 28 * 28;
  const pixels = new SharedArrayBuffer(ids.length * per);
  const u = new Uint8Array(pixels);
  ids.forEach((id, i) => u.set(toUint8(decodeImage(fs.readFileSync(path.join(ws, id)), id), 28, 1), i * per));
  const index: number[] = [];
  const y: number[] = [];
  classes.forEach((c, k) => {
    for (const i of ids.flatMap((id, i) => (truth.get(id) === c ? [i] : [])).slice(0, 3)) {
      index.push(i);
      y.push(k);
    }
  });
  const train = { index: Int32Array.from(index), y: Int32Array.from(y), weight: new Float32Array(index.length).fill(1) };
  return (await fitPixelCandidate({ kind: 'image', pixels, n: ids.length, size: 28, channels: 1 }, train, classes.length, 1)).state;
}

test('train with finetune: networks on disk, calibrated predictions, used for other folders, removed when off', async () => {
  const script = path.join(__dirname, '../../scripts/prepare-data.mjs');
  const { writeMnistSample } = (await import(script)) as {
    writeMnistSample: (dir: string, o: { size: number; seed: number; truthFile: string; log?: (s: string) => void }) => unknown;
  };
  const ws = path.join(tmp, 'ws');
  const other = path.join(tmp, 'other');
  writeMnistSample(ws, { size: 240, seed: 5, truthFile: path.join(tmp, 'ws.csv'), log: () => undefined });
  writeMnistSample(other, { size: 30, seed: 6, truthFile: path.join(tmp, 'other.csv'), log: () => undefined });
  const truth = new Map(
    fs
      .readFileSync(path.join(tmp, 'ws.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',') as [string, string]),
  );
  const classes = [...new Set(truth.values())].sort();
  let p = await Project.init(ws, classes, { workers: 2, finetuneEpochs: 1 }, { runner: workerRunner });
  try {
    await p.scan();
    await p.pretrain({ epochs: 1 });
    // Five human labels per class: enough for a calibration fold (a fifth of them) and for the pool's priors from the
    // held-out confusions (BBSE_MIN_LABELS_PER_CLASS).
    const per = new Map<string, number>();
    for (const [item, label] of truth) {
      if ((per.get(label) ?? 0) >= BBSE_MIN_LABELS_PER_CLASS) continue;
      per.set(label, (per.get(label) ?? 0) + 1);
      await p.label(item, label);
    }
    const progress: string[] = [];
    const tr = await p.train({ finetune: true, onProgress: (x) => x.message && progress.push(x.message) });
    // The candidates — the head, the fine-tuned encoder, the encoder from scratch (k folds that score, one network
    // on every label that predicts) — are scored on held-out human labels (the ensemble and the head on every one, out of fold; the
    // fine-tuned encoder on a fifth), and the best one predicts.
    const ch = tr.chosen;
    assert.ok(ch, 'the summary reports the choice');
    assert.equal(ch.heldOut, BBSE_MIN_LABELS_PER_CLASS * per.size, 'every human label is scored out of fold');
    assert.deepEqual(
      ch.candidates.map((c) => c.name),
      [MIXED_CANDIDATE, 'scratch', tr.head, 'finetuned', 'pixels'],
    );
    for (const c of ch.candidates) assert.ok(c.accuracy !== null && c.accuracy >= 0 && c.accuracy <= 1, `${c.name} scored`);
    const best = Math.max(...ch.candidates.map((c) => c.accuracy ?? 0));
    const top = ch.candidates.find((c) => c.accuracy === best)?.name;
    if (ch.ensembleKept) {
      // A part of the mixture scored best, but not beyond chance on the same labels: the mixture is kept.
      assert.equal(ch.name, MIXED_CANDIDATE, 'kept: the mixture');
      assert.equal(ch.ensembleKept.over, top, 'kept over the best-scored candidate');
      assert.ok(['scratch', 'pixels'].includes(top!), 'which is one of its parts');
      assert.ok(ch.ensembleKept.p >= 0.05 && ch.ensembleKept.wins > 0, `within chance: ${JSON.stringify(ch.ensembleKept)}`);
    } else assert.equal(ch.name, top, 'the best-scored candidate is chosen, the first on ties');
    const chosenAccuracy = ch.candidates.find((c) => c.name === ch.name)?.accuracy;
    if (ch.name !== tr.head) assert.equal(tr.estimatedAccuracy, chosenAccuracy, "the estimate is the chosen model's held-out accuracy");
    assert.ok(
      progress.some((m) => m.includes('fine-tuning')),
      'fine-tuning reports its progress',
    );
    const models = path.join(ws, '.selflabel', 'models');
    const cf = JSON.parse(fs.readFileSync(path.join(models, 'classifier.json'), 'utf8'));
    const f = tr.finetuned;
    if (ch.name === MIXED_CANDIDATE) {
      // The scratch networks and the pixel candidate predict together: both are saved for other folders.
      assert.ok(f && isMix(f.mixPixels), 'the mixture is recorded with the networks');
      assert.equal(cf.state.kind, 'pixels', "the pixel candidate's state is saved beside them");
    } else assert.equal(f?.mixPixels, undefined, 'no mixture unless it was chosen');
    if (ch.name === tr.head) assert.equal(f, undefined, 'the head predicts alone');
    else if (ch.name === 'pixels') {
      assert.equal(f, undefined, 'the pixel candidate predicts alone');
      assert.equal(cf.state.kind, 'pixels', 'its state (PCA and weights) is saved for other folders');
    } else {
      assert.ok(f, 'the networks that predict are reported');
      assert.equal(f.kind, ch.name === 'finetuned' ? 'finetuned' : 'scratch');
      assert.equal(f.networks.length, ch.name === 'finetuned' ? 2 : ENSEMBLE_FOLDS);
      assert.equal(f.initFrom, ch.name === 'finetuned' ? 'simclr' : null);
      assert.equal(f.calibrationItems, ch.name === 'finetuned' ? Math.round(ch.heldOut / 5) : ch.heldOut);
      assert.equal(f.trainedOn.human, ch.heldOut - (ch.name === 'finetuned' ? f.calibrationItems : 0), 'the human labels it learnt');
      assert.ok(f.temperature > 0 && Number.isFinite(f.temperature));
      for (const name of recordFolders(f)) assert.ok(fs.existsSync(path.join(models, name, 'weights.bin')), `${name} saved`);
      assert.deepEqual(cf.finetuned.networks, f.networks);
      if (f.kind === 'scratch') {
        // The folds score and calibrate; one more network, on every human label and the pool, predicts.
        assert.ok(f.full, 'the scratch candidate has its full network');
        assert.equal(f.full.network, fullNetworkName(f.networks[0]));
        assert.ok(f.full.maskRate !== undefined && f.full.maskRate >= 0 && f.full.maskRate <= 1, 'the consistency mask rate');
        assert.equal(JSON.parse(fs.readFileSync(path.join(models, f.full.network, 'state.json'), 'utf8')).trainedOn, ch.heldOut);
      }
    }
    if (ch.name !== 'scratch' && ch.name !== MIXED_CANDIDATE) {
      // Neither the scratch network nor the mean chosen: the full network was stopped once the folds had scored (it
      // would not have been chosen), and only the folds are kept, for the next train.
      const kept = cf.state?.keptCandidate;
      assert.ok(kept?.kind === 'scratch' && kept.full === undefined, 'the folds are kept without a full network');
      assert.ok(!fs.existsSync(path.join(models, fullNetworkName(kept.networks[0]), 'weights.bin')), 'the stopped network left nothing');
    }
    // The scratch folds' out-of-fold probabilities are kept (chosen or not) for confident learning: C per human label.
    const so = scratchOof(cf);
    assert.ok(so, 'the scratch ensemble keeps its out-of-fold probabilities');
    assert.equal(so.index.length, ch.heldOut);
    assert.equal(so.probs.length, ch.heldOut * classes.length);
    for (let k = 0; k < ch.heldOut; k++) {
      const row = so.probs.slice(k * classes.length, (k + 1) * classes.length);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 0.01, `row ${k} sums to 1`);
    }
    const issues = await p.disagreements(undefined, { source: 'scratch', filter: 'confident-joint' });
    assert.ok(issues.every((x) => truth.has(x.item) && x.label !== x.predicted));
    // Networks of the candidates not chosen are not kept (but the scratch candidate's are, for the next train).
    const keptRecord = cf.state.keptCandidate as Parameters<typeof recordFolders>[0] | undefined;
    const kept = fs.readdirSync(models).filter((d) => d.startsWith('finetune-'));
    assert.deepEqual(
      kept.sort(),
      [...(f ? recordFolders(f) : []), ...(keptRecord ? recordFolders(keptRecord) : [])].sort(),
      'only the chosen networks stay on disk',
    );
    assert.ok(ch.priors && ch.priors.estimate.length === classes.length, 'the pool priors are estimated');
    assert.ok(Math.abs(ch.priors.estimate.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    if (ch.priors.applied) assert.equal(cf.state.priorWeights.length, classes.length, 'applied priors are saved for other folders');
    else assert.equal(cf.state.priorWeights, undefined);
    // EM's priors from a model right on PRIOR_MIN_ACCURACY of the held-out labels; below, the held-out confusions',
    // when the shift test finds the pool's predictions lopsided.
    const chosenAcc = ch.candidates.find((c) => c.name === ch.name)?.accuracy ?? 0;
    if (chosenAcc >= PRIOR_MIN_ACCURACY) {
      assert.equal(ch.priors.method, 'em', `a model right on ${chosenAcc} held out`);
      assert.equal(ch.priors.applied, true);
      assert.equal(ch.priors.shift, undefined, 'no shift test for a strong model');
    } else {
      const shift = ch.priors.shift;
      assert.ok(shift && shift.chi2 >= 0 && shift.threshold > 0, `a weaker model (${chosenAcc}) is tested for a shift`);
      assert.equal(ch.priors.method, shift.chi2 > shift.threshold ? 'bbse' : 'em');
      assert.equal(ch.priors.applied, ch.priors.method === 'bbse');
    }
    assert.deepEqual(ch.priors.classes, classes);
    // Every pool item gets a prediction whose confidence is a probability.
    let agree = 0;
    for (const [item, label] of truth) {
      const pr = p.predictionFor(item);
      assert.ok(pr && pr.confidence > 0 && pr.confidence <= 1, item);
      if (pr.label === label) agree++;
    }
    assert.ok(agree > truth.size / classes.length, `better than chance on the pool: ${agree}/${truth.size}`);
    // Another folder is predicted by the same model.
    const out = await p.predictFolder(other);
    assert.equal(out.length, 30);
    assert.ok(out.every((o) => classes.includes(o.label) && o.confidence > 0 && o.confidence <= 1));

    // The mixture's path for other folders, whichever candidate won above: the scratch networks and a pixel classifier
    // saved side by side; weight 1 predicts as the networks alone, weight 0 as the pixel classifier alone, 0.5 as neither.
    const rec = cf.finetuned?.kind === 'scratch' ? cf.finetuned : cf.state.keptCandidate;
    assert.ok(rec, 'the scratch record is kept, chosen or not');
    const pxState = await pixelStateOf(ws, truth, classes);
    const cfPath = path.join(models, 'classifier.json');
    const saved = fs.readFileSync(cfPath, 'utf8');
    const predictWith = async (finetuned: unknown) => {
      fs.writeFileSync(cfPath, JSON.stringify({ ...cf, finetuned, state: pxState }));
      return (await p.predictFolder(other)).map((o) => [o.label, o.confidence] as const);
    };
    try {
      const nets = await predictWith({ ...rec, mixPixels: undefined });
      const pixels = await predictWith(undefined);
      const close = (a: (readonly [string, number])[], b: (readonly [string, number])[]) =>
        a.every(([l, c], i) => l === b[i][0] && Math.abs(c - b[i][1]) < 1e-5);
      assert.ok(close(await predictWith({ ...rec, mixPixels: { weight: 1, temperature: 1 } }), nets), 'weight 1: the networks');
      assert.ok(close(await predictWith({ ...rec, mixPixels: { weight: 0, temperature: 1 } }), pixels), 'weight 0: the pixels');
      const half = await predictWith({ ...rec, mixPixels: { weight: 0.5, temperature: 1 } });
      assert.ok(!close(half, nets) && !close(half, pixels), 'the mean is neither part');
      await assert.rejects(predictWith({ ...rec, mixPixels: { weight: 3 } }), /mixture .* damaged/);
    } finally {
      fs.writeFileSync(cfPath, saved);
    }

    // Training without fine-tuning: the fine-tuned encoder is no candidate any more.
    const plain = await p.train({ finetune: false });
    assert.ok(plain.chosen && !plain.chosen.candidates.some((c) => c.name === 'finetuned'));
    assert.notEqual(plain.finetuned?.kind, 'finetuned');
    const plainKept = JSON.parse(fs.readFileSync(path.join(models, 'classifier.json'), 'utf8')).state.keptCandidate as
      Parameters<typeof recordFolders>[0] | undefined;
    const left = fs.readdirSync(models).filter((d) => d.startsWith('finetune-'));
    assert.deepEqual(
      left.sort(),
      [...(plain.finetuned ? recordFolders(plain.finetuned) : []), ...(plainKept ? recordFolders(plainKept) : [])].sort(),
      'the earlier networks are removed',
    );
    // The same human labels again. Accepted proposals train none of the candidates (they learn the human labels
    // only), nor move the class priors (estimated against the human labels' priors): the saved model is kept as it
    // is, predictions and all, instead of being fitted again to the same result.
    assert.ok(!plain.reused, 'the train after one with fine-tuning fits anew');
    const beforeAccept = new Map([...truth.keys()].map((item) => [item, p.predictionFor(item)]));
    const fullSavedAt = plain.finetuned?.full
      ? JSON.parse(fs.readFileSync(path.join(models, plain.finetuned.full.network, 'state.json'), 'utf8')).savedAt
      : undefined;
    const rounds = JSON.parse(fs.readFileSync(path.join(models, 'history.json'), 'utf8')).length;
    await p.propose({ threshold: 0.3 });
    const accepted = await p.acceptAbove(0.3);
    assert.ok(accepted.length > 0, 'some proposals accepted');
    const again = await p.train({ finetune: false });
    assert.equal(again.reused, true, 'nothing the models learn from changed: the model is kept');
    assert.equal(again.model, plain.model);
    assert.deepEqual(again.chosen, plain.chosen, 'the same choice and evidence are reported');
    assert.equal(again.estimatedAccuracy, plain.estimatedAccuracy);
    assert.equal(JSON.parse(fs.readFileSync(path.join(models, 'history.json'), 'utf8')).length, rounds + 1, 'the round is recorded');
    for (const [item, pr] of beforeAccept) {
      assert.equal(p.predictionFor(item)?.label, pr?.label, `${item}: same prediction`);
      assert.ok(Math.abs((p.predictionFor(item)?.confidence ?? 0) - (pr?.confidence ?? 0)) < 1e-6, `${item}: same confidence`);
    }
    if (plain.finetuned?.kind === 'scratch') {
      assert.deepEqual(again.finetuned?.networks ?? plain.finetuned.networks, plain.finetuned.networks, 'the same networks');
      const s = again.chosen!.candidates.find((c) => c.name === 'scratch');
      assert.equal(s?.accuracy, plain.chosen!.candidates.find((c) => c.name === 'scratch')?.accuracy, 'the same held-out score');
      for (const name of recordFolders(plain.finetuned)) assert.ok(fs.existsSync(path.join(models, name, 'weights.bin')), `${name} kept`);
      // The full network too: the same folder, not written again.
      const fullDir = path.join(models, plain.finetuned.full!.network);
      assert.equal(again.finetuned?.full?.network ?? plain.finetuned.full!.network, plain.finetuned.full!.network);
      assert.equal(
        JSON.parse(fs.readFileSync(path.join(fullDir, 'state.json'), 'utf8')).savedAt,
        fullSavedAt,
        'the full network is reused',
      );
    }
    // Reopened from disk, the same: the key and the predictions are saved.
    await p.dispose();
    p = await Project.open(ws, { workers: 2, finetuneEpochs: 1 }, { runner: workerRunner });
    const reopened = await p.train({ finetune: false });
    assert.equal(reopened.reused, true, 'reused after reopening');
    assert.equal(reopened.model, plain.model);
    // One human label changed: trained anew.
    const firstItem = [...truth.keys()][0];
    await p.label(
      firstItem,
      classes.find((c) => c !== truth.get(firstItem))!,
    );
    const changed = await p.train({ finetune: false });
    assert.ok(!changed.reused, 'a changed human label trains anew');
    assert.notEqual(changed.model, plain.model);
    assert.equal(changed.chosen?.priors?.sample, undefined, 'every held-out label samples the pool');

    // Items asked about for their doubt: suggest remembers them (asked.json), and once labelled they are held out
    // like any human label but left out when the model's accuracy on the pool is judged for the class priors (not a
    // sample of the pool). Some accepted
    // proposals are taken back first, for suggest to have unlabelled items to ask about.
    for (const e of accepted.slice(0, 40)) await p.removeLabel(e.item);
    const asked = (await p.suggest(6)).filter((s) => s.reason === 'uncertain');
    assert.ok(asked.length > 0, 'a trained model suggests uncertain items');
    const askedFile = JSON.parse(fs.readFileSync(path.join(models, 'asked.json'), 'utf8'));
    for (const s of asked) assert.ok(askedFile.items.includes(s.item), `${s.item} remembered`);
    for (const s of asked) await p.label(s.item, truth.get(s.item)!);
    const afterAsked = await p.train({ finetune: false });
    assert.ok(!afterAsked.reused);
    assert.equal(afterAsked.chosen?.heldOut, changed.chosen!.heldOut + asked.length, 'the asked labels are held out too');
    const sample = afterAsked.chosen?.priors?.sample;
    assert.equal(sample?.labels, changed.chosen!.heldOut, 'the model is judged for the priors on the others');
    assert.ok(sample.accuracy !== null && sample.accuracy >= 0 && sample.accuracy <= 1);
    if (sample.labels >= classes.length * BBSE_MIN_LABELS_PER_CLASS) {
      // EM's priors when the model is right on PRIOR_MIN_ACCURACY of those; else the shift test on every held-out label.
      assert.equal(afterAsked.chosen?.priors?.shift === undefined, sample.accuracy >= PRIOR_MIN_ACCURACY);
    }
    // With fine-tuning: the fine-tuned network is scored on the held-out fifth only, too few labels that sample the
    // pool to judge it; when it is chosen, the head it beat on that fifth is judged on them in its place (`via`).
    const withFt = await p.train({ finetune: true });
    const ftSample = withFt.chosen?.priors?.sample;
    if (withFt.chosen?.name === 'finetuned') {
      const ft = withFt.chosen.candidates.find((c) => c.name === 'finetuned')!.accuracy;
      if (ftSample) {
        assert.equal(ftSample.via, withFt.head, 'the head stands in');
        assert.equal(ftSample.labels, changed.chosen!.heldOut, 'judged on the labels that sample the pool');
        assert.ok(ft !== null, 'the fine-tuned network has a score on the fifth');
      }
    } else {
      assert.equal(ftSample?.via, undefined, 'a model with out-of-fold predictions is judged on its own');
      assert.equal(ftSample?.labels, changed.chosen!.heldOut);
    }
  } finally {
    await p.dispose();
  }
});
