/** Settings validation and the CLI's argument parser: bad values are reported, never silently used. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateConfig, readConfigFile } from '../../src/core/config';
import { parseArgs, UsageError } from '../../src/cli/args';

test('validateConfig keeps valid keys and reports the others', () => {
  const r = validateConfig({ threshold: 0.8, workers: 0, backend: 'gpu', include: ['**/*.png'], nonsense: 1 }, 'x');
  assert.deepEqual(r.config, { threshold: 0.8, include: ['**/*.png'] });
  assert.equal(r.problems.length, 3);
  assert.ok(r.problems.some((p) => p.includes('"workers"')));
  assert.ok(r.problems.some((p) => p.includes('"backend"')));
  assert.ok(r.problems.some((p) => p.includes('unknown setting "nonsense"')));
});

test('readConfigFile: missing file is fine, broken JSON is a reported problem', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-cfg-'));
  try {
    assert.deepEqual(await readConfigFile(path.join(dir, 'none.json')), { config: {}, problems: [] });
    fs.writeFileSync(path.join(dir, 'c.json'), '{"threshold": 0.7,');
    const r = await readConfigFile(path.join(dir, 'c.json'));
    assert.deepEqual(r.config, {});
    assert.match(r.problems[0], /not valid JSON/);
    fs.writeFileSync(path.join(dir, 'd.json'), '{"threshold": 0.7, "imageSize": 28}');
    assert.deepEqual((await readConfigFile(path.join(dir, 'd.json'))).config, { threshold: 0.7, imageSize: 28 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('parseArgs: values, =values, booleans, lists, positionals and errors', () => {
  const spec = {
    n: { type: 'number' as const, help: '' },
    s: { type: 'string' as const, help: '' },
    b: { type: 'boolean' as const, help: '' },
    l: { type: 'list' as const, help: '' },
  };
  const r = parseArgs(['a', '--n', '3', '--s=x y', '--b', '--l', 'p, q', '--l=r', 'b', '--', '--n'], spec);
  assert.deepEqual(r.flags, { n: 3, s: 'x y', b: true, l: ['p', 'q', 'r'] });
  assert.deepEqual(r.positionals, ['a', 'b', '--n']);
  assert.throws(() => parseArgs(['--zz'], spec), UsageError);
  assert.throws(() => parseArgs(['--n', 'abc'], spec), /needs a number/);
  assert.throws(() => parseArgs(['--s'], spec), /needs a value/);
  assert.throws(() => parseArgs(['--b=1'], spec), /takes no value/);
});
