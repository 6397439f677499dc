/**
 * The named runs' targets of `npm run bench` (scripts/bench.mjs TARGETS): every one is a valid `--target` of
 * `selflabel bench` (each run passes them on), and the suite's own check of the medians (checkTargets) reads them as
 * the CLI does (src/bench/report.ts evaluateTargets), alternatives (" or ") included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseTarget } from '../../src/bench/options';
import { evaluateTargets } from '../../src/bench/report';

interface SuiteCheck {
  name: string;
  conds: { metric: string; actual: number | null; pass: boolean }[];
  pass: boolean;
}
interface BenchScript {
  TARGETS: Record<string, string[]>;
  checkTargets(result: unknown, specs: string[]): SuiteCheck[];
}

const load = async (): Promise<BenchScript> =>
  (await import(pathToFileURL(path.join(__dirname, '..', '..', 'scripts', 'bench.mjs')).href)) as BenchScript;

test('bench targets: each named run’s targets parse as --target, and the suite checks them as the CLI does', async () => {
  const { TARGETS, checkTargets } = await load();
  const specs = Object.values(TARGETS).flat();
  assert.ok(specs.length >= 15, `${specs.length} targets`);
  // Results on either side of every threshold, and one without the metrics.
  const results = [
    {
      final: { testAccuracy: 0.999, datasetLabelAccuracy: 0.999, humanActions: 900, wallSeconds: 500 },
      baselineMargin: { test: 0.2 },
      speed: { pretrainItemsPerSecond: { wall: 900 } },
    },
    {
      final: { testAccuracy: 0.9, datasetLabelAccuracy: 0.99, humanActions: 1100, wallSeconds: 700 },
      baselineMargin: { test: 0.12 },
      speed: { pretrainItemsPerSecond: { wall: 700 } },
    },
    { final: { testAccuracy: 0.9, datasetLabelAccuracy: 0.99, humanActions: 1100, wallSeconds: 700 }, baselineMargin: { test: 0.05 } },
    {},
  ];
  for (const result of results) {
    const cli = evaluateTargets(result, specs.map(parseTarget));
    const suite = checkTargets(result, specs);
    assert.deepEqual(
      suite.map((t) => [t.name, t.pass]),
      cli.map((t) => [t.name, t.pass]),
    );
    assert.deepEqual(
      suite.map((t) => t.conds.map((c) => c.actual)),
      cli.map((t) => [t.actual, ...(t.or ?? []).map((c) => c.actual)]),
    );
  }
  // The image and text dev sets: ≥ 95%, or 10 points above the best baseline.
  const [icons] = checkTargets(results[1], TARGETS['icons-noreview']);
  assert.equal(icons.pass, true, '90% test, 12 points ahead');
  assert.equal(checkTargets(results[2], TARGETS['icons-noreview'])[0].pass, false, '90% test, 5 points ahead');
  assert.equal(
    checkTargets(results[0], TARGETS['mnist-review']).every((t) => t.pass),
    true,
  );
  assert.equal(
    checkTargets(results[1], TARGETS['mnist-review']).some((t) => t.pass),
    false,
    '99.0% with 1,100 actions',
  );
});
