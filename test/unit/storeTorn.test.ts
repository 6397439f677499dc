/**
 * Issue 15 items 1 and 6, a bounded subset of scripts/stress/torn.mjs: two `selflabel label` processes label while a
 * third imports 3,000 rows and dies in the middle of its journal write (the write torn at a random byte, or the
 * process SIGKILLed at a random moment). Every label the writers acknowledged must be in the store, and the
 * import must have landed whole or not at all. See test/fixtures/stress/tornLib.ts.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRunner, makeTornSlot, tornTrial, summarizeTorn, type TornResult } from '../fixtures/stress/tornLib';
import type { Runner } from '../fixtures/stress/faultLib';

let tmp: string;
let runner: Runner;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-torn-'));
  runner = await buildRunner(tmp);
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('two writers and a torn import: 0 acknowledged labels lost, the import all or nothing', { timeout: 300_000 }, async () => {
  const slot = await makeTornSlot(tmp, 12, 3000);
  const results: TornResult[] = [];
  for (const mode of ['tear', 'timed', 'tear', 'timed'] as const) results.push(await tornTrial(runner, slot, mode, { importMs: 1500 }));
  const s = summarizeTorn(results);
  assert.deepEqual(s.failures, []);
  assert.ok(s.total.acked >= 12, `acknowledged labels checked: ${s.total.acked}`);
  assert.ok(s.total.ackedAfterImport > 0, 'the writers labelled after the torn write');
  assert.equal(s.tear.importLandedNone, s.tear.trials, 'a torn import leaves none of its rows');
  assert.ok(results.filter((r) => r.mode === 'tear').every((r) => r.tornLines >= 1 || r.importLanded === 'none'));
});
