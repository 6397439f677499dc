/**
 * Test accuracy of each candidate a train could have chosen (the embedding head alone, the scratch ensemble alone,
 * their mean), from a bench workspace kept with `--keep` whose final train chose `<head>+scratch`: it rewrites
 * classifier.json to each variant in turn, predicts the test folder with the engine (Project.predictFolder), and
 * restores the file. Research only (issue 11, session 6).
 *
 *   node --import tsx research/candidates.ts KEPT_SCRATCH_DIR TEST_TRUTH_CSV
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project } from '../src/core/project';
import { workerRunner } from '../src/worker/runner';

async function main() {
  const [dir, truthFile] = process.argv.slice(2);
  if (!dir || !truthFile) throw new Error('usage: candidates.ts KEPT_SCRATCH_DIR TEST_TRUTH_CSV');
  const pool = path.join(dir, 'pool');
  const test = path.join(dir, 'test');
  const truth = new Map(
    fs
      .readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',') as [string, string]),
  );
  const file = path.join(pool, '.selflabel', 'models', 'classifier.json');
  const orig = fs.readFileSync(file, 'utf8');
  const cf = JSON.parse(orig) as { finetuned?: { mixHead?: number }; state: { priorWeights?: number[] } };
  const variants: [string, (c: typeof cf) => void][] = [
    ['as chosen', () => undefined],
    ['head', (c) => delete c.finetuned],
    ['scratch', (c) => c.finetuned && delete c.finetuned.mixHead],
    ['head 0.25 + scratch 0.75', (c) => c.finetuned && (c.finetuned.mixHead = 0.25)],
  ];
  try {
    for (const [name, edit] of variants) {
      if (name !== 'as chosen' && !cf.finetuned) continue;
      const c = JSON.parse(orig) as typeof cf;
      edit(c);
      fs.writeFileSync(file, JSON.stringify(c));
      const p = await Project.open(pool, {}, { runner: workerRunner });
      try {
        const preds = await p.predictFolder(test);
        let ok = 0;
        for (const q of preds) if (truth.get(q.id) === q.label) ok++;
        console.log(`${name}: test ${((100 * ok) / preds.length).toFixed(2)}% of ${preds.length}`);
      } finally {
        await p.dispose();
      }
    }
  } finally {
    fs.writeFileSync(file, orig);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
