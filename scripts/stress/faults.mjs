// Fault-injection stress test (not part of `npm test`): kills the real `selflabel` CLI with SIGKILL at random moments
// and right after its k-th file-system mutation while it labels (`label`), compacts the journal, accepts proposals in
// batches (`accept --all-above`) and exports (`export --format csv|folders`), then checks from outside that the store
// opens, no acknowledged label is lost or changed, and no export is half-written. See test/fixtures/stress/faultLib.ts.
//
// Usage: node --import tsx scripts/stress/faults.mjs [--trials 1000] [--jobs 2] [--items 300] [--json FILE]
//   --jobs: trials run in parallel, each on its own workspace (keep it at or below the number of cores).
// Prints a summary: trials, kills per phase (timed / at a crash point), acknowledged operations checked, failures.
// Exit code 1 if any trial failed.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRunner, makeSlot, runTrial, summarize, Timing, PHASES } from '../../test/fixtures/stress/faultLib.ts';

function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const trials = Number(flag('trials', 1000));
const jobs = Math.max(1, Number(flag('jobs', 2)));
const nItems = Number(flag('items', 300));
const jsonOut = flag('json', undefined);

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-faults-'));
const t0 = Date.now();
try {
  const runner = await buildRunner(tmp);
  const timing = new Timing();
  const slots = await Promise.all(
    Array.from({ length: jobs }, async (_, j) => {
      const dir = path.join(tmp, `slot${j}`);
      await fs.mkdir(dir);
      return makeSlot(dir, nItems);
    }),
  );
  const results = [];
  let next = 0;
  const modes = ['timed', 'crashpoint', 'crashpoint', 'timed', 'none'];
  const work = async (slot) => {
    while (next < trials) {
      const i = next++;
      const phase = PHASES[i % PHASES.length];
      // the first round of each phase runs to completion (measures its duration and mutation count)
      const mode = i < PHASES.length * jobs ? 'none' : modes[Math.floor(i / PHASES.length) % modes.length];
      const r = await runTrial(runner, slot, phase, mode, timing);
      results.push(r);
      if (r.failures.length) console.error(`trial ${i} ${phase}/${mode}: ${r.failures.join('; ')}`);
      if (results.length % 50 === 0) {
        const s = summarize(results);
        console.error(`… ${s.trials} trials, ${s.killed} kills, ${s.failures.length} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
    }
  };
  await Promise.all(slots.map(work));
  const s = summarize(results);
  const secs = (Date.now() - t0) / 1000;
  console.log(`fault injection: ${s.trials} trials in ${secs.toFixed(0)} s (${jobs} in parallel), ${s.killed} SIGKILLs`);
  console.log('phase            trials  kills  timed  crash-point  acked ops  failures');
  for (const [p, b] of Object.entries(s.byPhase)) {
    console.log(
      `${p.padEnd(16)} ${String(b.trials).padStart(6)} ${String(b.kills).padStart(6)} ${String(b.timed).padStart(6)} ${String(b.crashpoints).padStart(12)} ${String(b.acked).padStart(10)} ${String(b.failures).padStart(9)}`,
    );
  }
  console.log(
    `acknowledged operations checked: ${s.acked}; torn journal lines (unacknowledged, skipped on replay): ${s.torn}; partial accept batches: ${s.partialBatches}; temp files left beside exports: ${s.litter}`,
  );
  console.log(`failures: ${s.failures.length}`);
  const kinds = new Map();
  for (const f of s.failures)
    for (const m of f.failures) {
      const k = `${f.phase}: ${m
        .slice(0, 240)
        .replace(/[0-9a-z]{8}-[0-9a-z]{16}/g, 'ID')
        .replace(/n\d{5}\.txt/g, 'ITEM')
        .replace(/\(\d+[^)]*\)/g, '(…)')}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
  for (const [k, n] of kinds) console.log(`  ${n}× ${k}`);
  if (jsonOut) await fs.writeFile(jsonOut, JSON.stringify({ seconds: secs, jobs, ...s }, null, 2));
  process.exitCode = s.failures.length ? 1 : 0;
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}
