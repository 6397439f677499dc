// Extension-host kill stress test (not part of `npm test`, which runs 2 trials of it: test/e2e/hostKill.e2e.ts).
// Starts code-server (VS Code 1.100.3) with SelfLabel from source on a workspace of real MNIST digits, opens it in
// Debian Chromium, and repeatedly: labels in the review grid (keyboard in review or label mode, or the palette
// commands Accept / Reject Proposal) while the host pretrains, trains, exports or another process compacts the
// journal, SIGKILLs the extension host process at a random moment, checks on disk that every label the grid showed
// as saved is there and the store opens, reloads the window and checks the side panel shows them. See
// test/e2e/hostKill.ts for the exact checks.
//
// Usage: node --import tsx scripts/stress/hostKill.mjs [--trials 40] [--seed 1] [--per-class 150] [--max-kill-ms 6000] [--json FILE]
//        [--surface review-keys|label-keys|palette] [--background none|pretrain|train|export|compact]   (default: random)
// SELFLABEL_EXTENSION_PATH=DIR tests the extension built in DIR (e.g. an older commit) instead of this repo.
// Needs a build (npm run build) and code-server set up (node scripts/code-server/setup.mjs). Exit 1 on any failure.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { runHostKillTrials } from '../../test/e2e/hostKill.ts';

const flag = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const trials = Number(flag('trials', 40));
const seed = Number(flag('seed', 1));
const jsonOut = flag('json', undefined);
const load0 = os.loadavg()[0];
const summary = await runHostKillTrials({
  trials,
  seed,
  perClass: Number(flag('per-class', 150)),
  maxKillMs: Number(flag('max-kill-ms', 6000)),
  surface: flag('surface', undefined),
  background: flag('background', undefined),
  log: (l) => console.log(`[hostKill] ${l}`),
});
const load1 = os.loadavg()[0];
const by = (key) => {
  const m = new Map();
  for (const t of summary.trials) {
    const k = t[key];
    const e = m.get(k) ?? { trials: 0, acked: 0, inFlight: 0, failures: 0 };
    e.trials++;
    e.acked += t.acked;
    e.inFlight += t.inFlight;
    e.failures += t.failures.length;
    m.set(k, e);
  }
  return m;
};
console.log(
  `\n## extension host SIGKILL: ${summary.trials.length} trials in ${(summary.seconds / 60).toFixed(1)} min (load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${os.availableParallelism()} cores)\n`,
);
for (const key of ['surface', 'background']) {
  console.log(`| ${key} | trials | acknowledged | in flight at the kill | failures |\n|---|---:|---:|---:|---:|`);
  for (const [k, e] of by(key)) console.log(`| ${k} | ${e.trials} | ${e.acked} | ${e.inFlight} | ${e.failures} |`);
  console.log('');
}
const withRunning = summary.trials.filter((t) => t.runningAtKill).length;
const withInFlight = summary.trials.filter((t) => t.inFlight > 0).length;
console.log(`kills: ${summary.kills}; with a stage running: ${withRunning}; with an action in flight: ${withInFlight}`);
console.log(
  `acknowledged actions: ${summary.acked}; acknowledged states checked on disk (cumulative): ${summary.checked}; in flight: ${summary.inFlight}`,
);
console.log(`failures: ${summary.failures.length}`);
for (const f of summary.failures) console.log(`  ✖ ${f}`);
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ ...summary, loadAverage: [load0, load1] }, null, 2));
process.exit(summary.failures.length ? 1 : 0);
