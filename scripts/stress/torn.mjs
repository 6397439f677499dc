// Torn-neighbour stress test (issue 15 items 1 and 6; not part of `npm test`, whose storeTorn.test.ts runs 4 of
// these trials): two `selflabel label` loops write to one journal while a third process imports a large CSV and
// dies in the middle of its journal write — torn at a random byte ("tear") or SIGKILLed at a random moment
// ("timed"). Then the writers are SIGKILLed too and the store is checked from outside: it opens, every label the
// writers acknowledged is there (or superseded by a later one), the import landed whole or not at all.
// See test/fixtures/stress/tornLib.ts.
//
// Usage: node --import tsx scripts/stress/torn.mjs [--trials 100] [--jobs 2] [--rows 20000] [--json FILE]
// Exit code 1 if any trial failed.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRunner, makeTornSlot, tornTrial, summarizeTorn } from '../../test/fixtures/stress/tornLib.ts';

function flag(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const trials = Number(flag('trials', 100));
const jobs = Math.max(1, Number(flag('jobs', 2)));
const nRows = Number(flag('rows', 20000));
const jsonOut = flag('json', undefined);
/** A fresh workspace every this many trials (the journal grows by one import per landed trial). */
const PER_SLOT = 10;

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-torn-'));
const t0 = Date.now();
let code = 0;
try {
  const runner = await buildRunner(tmp);
  const results = [];
  let next = 0;
  const work = async (j) => {
    let slot;
    let importMs = 3000;
    while (next < trials) {
      const i = next++;
      if (!slot || slot.trials >= PER_SLOT) {
        if (slot) await fs.rm(slot.root, { recursive: true, force: true });
        const dir = path.join(tmp, `job${j}`);
        await fs.mkdir(dir, { recursive: true });
        slot = await makeTornSlot(dir, 20, nRows);
      }
      const mode = i % 2 ? 'timed' : 'tear';
      const r = await tornTrial(runner, slot, mode, { importMs });
      results.push(r);
      if (r.failures.length) console.error(`trial ${i} ${mode}: ${r.failures.join('; ')}`);
      if (results.length % 10 === 0) {
        const s = summarizeTorn(results);
        console.error(
          `… ${s.total.trials} trials, ${s.total.acked} acknowledged labels checked, ${s.total.failures} failed trials, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, (_, j) => work(j)));
  const s = summarizeTorn(results);
  const secs = (Date.now() - t0) / 1000;
  console.log(`torn neighbours: ${s.total.trials} trials in ${secs.toFixed(0)} s (${jobs} in parallel), ${nRows} rows per import`);
  console.log('mode    trials  importer killed  import landed all / none / PARTIAL  acked labels  acked after the tear  failed trials');
  for (const [m, b] of Object.entries({ tear: s.tear, timed: s.timed, total: s.total })) {
    console.log(
      `${m.padEnd(7)} ${String(b.trials).padStart(6)} ${String(b.importKilled).padStart(16)} ${String(b.importLandedAll).padStart(18)} / ${String(b.importLandedNone).padStart(4)} / ${String(b.importPartial).padStart(7)} ${String(b.acked).padStart(13)} ${String(b.ackedAfterImport).padStart(21)} ${String(b.failures).padStart(14)}`,
    );
  }
  for (const f of s.failures.slice(0, 20)) console.log(`FAIL ${f}`);
  if (jsonOut) await fs.writeFile(jsonOut, JSON.stringify({ trials, jobs, rows: nRows, seconds: secs, summary: s, results }, null, 2));
  if (s.failures.length) code = 1;
} finally {
  await fs.rm(tmp, { recursive: true, force: true });
}
process.exit(code);
