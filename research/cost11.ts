/**
 * The cost of a train on the e2e digits (36 MNIST digits of 3 classes, 11 human labels, as test/e2e/digits.e2e.ts):
 * pretrain 1 epoch, label, then time `train` RUNS times (each train after the first reuses the scratch networks, so
 * every timed train starts from a fresh copy of the pretrained workspace). Run it from two checkouts, interleaved, to
 * compare builds as a ratio. Research only (issue 11, session 7).
 *
 *   node --import tsx research/cost11.ts [RUNS]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Project } from '../src/core/project';
import { workerRunner } from '../src/worker/runner';
import { writeMnistWorkspace } from '../test/e2e/mnist';

async function main() {
  const runs = Number(process.argv[2] ?? 2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-cost11-'));
  try {
    const base = path.join(tmp, 'base');
    const { truth, classes } = writeMnistWorkspace(base, { classes: ['0', '1', '7'], perClass: 12 });
    const p0 = await Project.init(base, classes, { workers: 2 }, { runner: workerRunner });
    try {
      await p0.scan();
      await p0.pretrain({ epochs: 1 });
      const per = new Map<string, number>();
      for (const [item, label] of truth) {
        if ((per.get(label) ?? 0) >= (label === '7' ? 3 : 4)) continue;
        per.set(label, (per.get(label) ?? 0) + 1);
        await p0.label(item, label);
      }
    } finally {
      await p0.dispose();
    }
    const secs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const ws = path.join(tmp, `ws${r}`);
      fs.cpSync(base, ws, { recursive: true });
      const p = await Project.open(ws, {}, { runner: workerRunner });
      try {
        const t0 = Date.now();
        const tr = await p.train();
        secs.push((Date.now() - t0) / 1000);
        console.log(`train ${r + 1}: ${secs[r].toFixed(1)} s, labelled ${tr.labelled}, chosen ${tr.chosen?.name}`);
      } finally {
        await p.dispose();
      }
    }
    console.log(`median train seconds: ${secs.sort((a, b) => a - b)[Math.floor(secs.length / 2)].toFixed(1)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
