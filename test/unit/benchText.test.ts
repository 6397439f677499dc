/**
 * The text dev sets' named runs of `npm run bench` (scripts/bench.mjs): known in the full and the --quick setting,
 * and an unknown name is refused with the list (checked before any data is prepared or anything is built).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const BENCH = path.join(__dirname, '..', '..', 'scripts', 'bench.mjs');

function knownRuns(quick: boolean): string[] {
  const r = spawnSync(process.execPath, [BENCH, ...(quick ? ['--quick'] : []), '--only', 'no-such-run', '--no-build'], {
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0);
  const m = /unknown run "no-such-run" \(known: ([^)]*)\)/.exec(r.stderr + r.stdout);
  assert.ok(m, `bench refused the name with its list: ${r.stderr}`);
  return m[1].split(', ');
}

test('bench: the text runs are named runs (full: four, --quick: the small Debian pool)', () => {
  const full = knownRuns(false);
  for (const n of ['debian-desc-noreview', 'debian-desc-small-noreview', 'manpages-noreview', 'manpages-small-noreview', 'spam-noreview'])
    assert.ok(full.includes(n), `${n} in ${full.join(', ')}`);
  const quick = knownRuns(true);
  assert.ok(quick.includes('debian-desc-small-noreview'));
  assert.ok(!quick.includes('manpages-noreview'));
});
