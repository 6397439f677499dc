/**
 * Find similar (`selflabel similar ITEM`): nearest neighbours by cosine of the cached embeddings. A byte-identical
 * copy of the query is its nearest neighbour (similarity 1); the item itself is left out; bad input is refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PNG } from 'pngjs';

let root: string;
const cliSrc = path.resolve(__dirname, '../../src/cli/main.ts');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cliSrc, ...args, '--workspace', root], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
    timeout: 300_000,
  });

function png(file: string, f: (x: number, y: number) => number) {
  const p = new PNG({ width: 16, height: 16, colorType: 0, inputColorType: 0, bitDepth: 8 });
  const data = Buffer.alloc(256);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) data[y * 16 + x] = f(x, y);
  p.data = data;
  fs.writeFileSync(file, PNG.sync.write(p, { colorType: 0, inputColorType: 0, bitDepth: 8 }));
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-similar-'));
  for (let i = 0; i < 12; i++) png(path.join(root, `stripes${i}.png`), (x, y) => ((x + i) % 4 < 2 ? 230 : 20) ^ (y & 1 ? 8 * i : 0));
  for (let i = 0; i < 12; i++) png(path.join(root, `blob${i}.png`), (x, y) => ((x - 8) ** 2 + (y - 8 + (i % 3)) ** 2 < 20 + i ? 250 : 10));
  fs.copyFileSync(path.join(root, 'blob3.png'), path.join(root, 'copy-of-blob3.png'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('similar: refused before pretraining and for an unknown item; after it, the identical copy comes first', () => {
  assert.equal(cli('init', '--classes', 'stripes,blob').status, 0);
  assert.equal(cli('scan').status, 0);
  const early = cli('similar', 'blob3.png');
  assert.equal(early.status, 1);
  assert.match(early.stderr, /pretrain/i);
  const pre = cli('pretrain', '--epochs', '1');
  assert.equal(pre.status, 0, pre.stderr);
  assert.equal(cli('label', 'blob5.png', 'blob').status, 0);
  const r = cli('similar', 'blob3.png', '--count', '5', '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { item: string; similarity: number; label?: string }[];
  assert.equal(s.length, 5);
  assert.equal(s[0].item, 'copy-of-blob3.png');
  assert.ok(s[0].similarity > 0.999, `an identical file has similarity 1 (got ${s[0].similarity})`);
  assert.ok(!s.some((x) => x.item === 'blob3.png'), 'the item itself is left out');
  for (let k = 1; k < s.length; k++) assert.ok(s[k - 1].similarity >= s[k].similarity, 'most similar first');
  const labelled = JSON.parse(cli('similar', 'blob3.png', '--count', '25', '--json').stdout) as { item: string; label?: string }[];
  assert.equal(labelled.length, 24, 'every other item when count exceeds them');
  assert.equal(labelled.find((x) => x.item === 'blob5.png')?.label, 'blob');
  const unknown = cli('similar', 'nope.png');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown item "nope\.png"/);
  assert.equal(cli('similar', 'blob3.png', '--count', '0').status, 2);
});
