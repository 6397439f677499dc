// `npm run fuzz [-- --rounds N]`: the property-based tests (every file that imports test/unit/fuzzSeed.ts) with a new
// random seed per property and round, to find cases the fixed seed of `npm test` never draws. A failure prints
// fast-check's seed and path; `FUZZ_SEED=<seed> node --import tsx --test <file>` replays it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--rounds');
const rounds = at > 0 ? Number(process.argv[at + 1]) : 1;
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('--rounds takes a whole number ≥ 1');
  process.exit(2);
}
const files = fs
  .readdirSync(path.join(root, 'test/unit'))
  .filter((f) => f.endsWith('.test.ts') && fs.readFileSync(path.join(root, 'test/unit', f), 'utf8').includes("from './fuzzSeed'"))
  .sort()
  .map((f) => `test/unit/${f}`);
let failed = 0;
for (let r = 1; r <= rounds; r++) {
  console.log(`round ${r} of ${rounds}: ${files.join(' ')}`);
  const res = spawnSync('node', ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_SEED: 'random', SELFLABEL_AUDIO_FUZZ_RUNS: process.env.SELFLABEL_AUDIO_FUZZ_RUNS ?? '2000' },
  });
  if (res.status !== 0) failed++;
}
console.log(failed ? `${failed} of ${rounds} rounds failed` : `${rounds} round(s) passed`);
process.exit(failed ? 1 : 0);
