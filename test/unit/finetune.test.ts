/**
 * Fine-tuning the image encoder end to end (Project.train with finetune) on real MNIST digits, through the real
 * Project and its worker threads: the networks are saved next to the classifier and used for the pool's predictions
 * and for other folders, their confidence is calibrated on held-out human labels, and a train without fine-tuning
 * deletes them again.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Project } from '../../src/core/project';
import { workerRunner } from '../../src/worker/runner';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-finetune-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

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
  const p = await Project.init(ws, classes, { workers: 2, finetuneEpochs: 1 }, { runner: workerRunner });
  try {
    await p.scan();
    await p.pretrain({ epochs: 1 });
    // Three human labels per class: enough for a calibration fold (a fifth of them).
    const per = new Map<string, number>();
    for (const [item, label] of truth) {
      if ((per.get(label) ?? 0) >= 3) continue;
      per.set(label, (per.get(label) ?? 0) + 1);
      await p.label(item, label);
    }
    const progress: string[] = [];
    const tr = await p.train({ finetune: true, onProgress: (x) => x.message && progress.push(x.message) });
    const f = tr.finetuned;
    assert.ok(f, 'the summary reports the fine-tuning');
    assert.equal(f.networks.length, 2, 'one network per worker');
    assert.equal(f.initFrom, 'simclr', 'fine-tuned from the pretrained encoder');
    assert.ok(f.calibrationItems > 0 && f.calibrationItems <= per.size, `about a fifth held out for calibration: ${f.calibrationItems}`);
    assert.equal(f.trainedOn.labels + f.calibrationItems, per.size * 3, 'held-out labels are not trained on');
    assert.ok(f.trainedOn.pseudo > 0 && f.trainedOn.pseudo <= 240 - per.size * 3);
    assert.ok(f.temperature > 0 && Number.isFinite(f.temperature));
    assert.ok(
      progress.some((m) => m.includes('fine-tuning')),
      'fine-tuning reports its progress',
    );
    const models = path.join(ws, '.selflabel', 'models');
    for (const name of f.networks) assert.ok(fs.existsSync(path.join(models, name, 'weights.bin')), `${name} saved`);
    const cf = JSON.parse(fs.readFileSync(path.join(models, 'classifier.json'), 'utf8'));
    assert.deepEqual(cf.finetuned.networks, f.networks);
    // Every pool item gets a prediction whose confidence is a probability.
    let agree = 0;
    for (const [item, label] of truth) {
      const pr = p.predictionFor(item);
      assert.ok(pr && pr.confidence > 0 && pr.confidence <= 1, item);
      if (pr.label === label) agree++;
    }
    assert.ok(agree > truth.size / classes.length, `better than chance on the pool: ${agree}/${truth.size}`);
    // Another folder is predicted by the same networks.
    const out = await p.predictFolder(other);
    assert.equal(out.length, 30);
    assert.ok(out.every((o) => classes.includes(o.label) && o.confidence > 0 && o.confidence <= 1));

    // Training without fine-tuning goes back to the classifier and deletes the networks.
    const plain = await p.train({ finetune: false });
    assert.equal(plain.finetuned, undefined);
    for (const name of f.networks) assert.ok(!fs.existsSync(path.join(models, name)), `${name} removed`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(models, 'classifier.json'), 'utf8')).finetuned, undefined);
  } finally {
    await p.dispose();
  }
});
