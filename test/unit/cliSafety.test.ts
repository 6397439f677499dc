/**
 * Issue 15 through the `selflabel` CLI (src/cli/main.ts bundled with esbuild, run as child processes): exit codes and one-line messages for unknown and hostile items, exports that would
 * destroy data, a corrupt classes.json, a --workspace that is a file, a read-only workspace, `compact`, and journal
 * warnings printed once. Real files in temp folders; no training.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

let tmp: string;
let ws: string;
let bundle: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-clisafety-'));
  bundle = path.join(tmp, 'selflabel.js');
  await build({
    entryPoints: [path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'silent',
    external: ['@tensorflow/tfjs-node'],
  });
  ws = path.join(tmp, 'ws');
  await fs.mkdir(path.join(ws, 'texts'), { recursive: true });
  for (let i = 0; i < 6; i++) await fs.writeFile(path.join(ws, 'texts', `t${i}.txt`), `text number ${i}, in english or not`);
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Runs the bundled CLI (the same code as `selflabel`, bundled once so each run starts fast) in a child process. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = spawnSync(process.execPath, [bundle, ...argv], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const journal = () => path.join(ws, '.selflabel', 'labels.jsonl');

test('label: a missing or hostile item exits non-zero with one clear line, before and after a scan (item 3)', async () => {
  assert.equal((await cli('init', '--workspace', ws, '--classes', 'english,other')).code, 0);
  for (const [item, re] of [
    ['no-such-item.txt', /unknown item "no-such-item.txt"/],
    ['../../etc/passwd', /invalid item id "..\/..\/etc\/passwd": it leaves the workspace/],
    ['/etc/passwd', /invalid item id "\/etc\/passwd": it is an absolute path/],
    ['..', /invalid item id/],
    ['x'.repeat(5000), /invalid item id ".*…": it is longer than 4096/],
    ['.selflabel/labels.jsonl', /invalid item id ".selflabel\/labels.jsonl": it is inside .selflabel/],
  ] as const) {
    const r = await cli('label', '--workspace', ws, item, 'english');
    assert.equal(r.code, 1, `${item.slice(0, 30)}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
  assert.equal((await cli('label', '--workspace', ws, 'texts/t0.txt', 'english')).code, 0);
  assert.equal((await cli('label', '--workspace', ws, './texts/t1.txt', 'other')).code, 0);
  const st = JSON.parse((await cli('status', '--workspace', ws, '--json')).out) as { labelled: number; counts: Record<string, number> };
  assert.equal(st.labelled, 2);
  assert.deepEqual(st.counts, { english: 1, other: 1 });
});

test('export refuses .selflabel/ and workspace items, and asks for --force to replace a file (item 2)', async () => {
  const before = await fs.readFile(journal());
  for (const out of ['.selflabel/labels.jsonl', '.selflabel/classes.json']) {
    const r = await cli('export', '--workspace', ws, '--format', 'csv', '--out', path.join(ws, out), '--force');
    assert.equal(r.code, 1);
    assert.match(r.err, /inside \.selflabel\//);
  }
  const item = await cli('export', '--workspace', ws, '--format', 'csv', '--out', path.join(ws, 'texts', 't0.txt'), '--force');
  assert.equal(item.code, 1);
  assert.match(item.err, /is an item of the workspace/);
  assert.deepEqual(await fs.readFile(journal()), before);
  assert.equal((await cli('status', '--workspace', ws)).code, 0);
  const out = path.join(tmp, 'labels.csv');
  assert.equal((await cli('export', '--workspace', ws, '--format', 'csv', '--out', out)).code, 0);
  const again = await cli('export', '--workspace', ws, '--format', 'csv', '--out', out);
  assert.equal(again.code, 1);
  assert.match(again.err, /already exists: add --force to replace it/);
  assert.equal((await cli('export', '--workspace', ws, '--format', 'csv', '--out', out, '--force')).code, 0);
});

test('a corrupt classes.json: status and export work from the journal, init --force repairs it (item 9)', async () => {
  const cls = path.join(ws, '.selflabel', 'classes.json');
  const good = await fs.readFile(cls);
  await fs.writeFile(cls, '{"version":1,"classes":["english",');
  const st = await cli('status', '--workspace', ws);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /warning: cannot read .*classes\.json.*init --force/);
  const out = path.join(tmp, 'from-journal.csv');
  const ex = await cli('export', '--workspace', ws, '--format', 'csv', '--out', out);
  assert.equal(ex.code, 0, ex.err);
  assert.equal(await fs.readFile(out, 'utf8'), 'path,label\r\ntexts/t0.txt,english\r\ntexts/t1.txt,other\r\n');
  const lab = await cli('label', '--workspace', ws, 'texts/t2.txt', 'english');
  assert.equal(lab.code, 1);
  assert.match(lab.err, /init --force/);
  const init = await cli('init', '--workspace', ws, '--classes', 'english,other', '--force');
  assert.equal(init.code, 0, init.err);
  assert.deepEqual(JSON.parse(await fs.readFile(cls, 'utf8')), JSON.parse(good.toString()));
  assert.equal((await cli('label', '--workspace', ws, 'texts/t2.txt', 'english')).code, 0);
});

test('journal warnings are printed once each, with counts (item 10)', async () => {
  const ev = (id: string, item: string, label: string) =>
    JSON.stringify({ id, time: '2026-01-01T00:00:00Z', item, label, source: 'human' });
  await fs.appendFile(journal(), [ev('w1', 'texts/t3.txt', 'german'), ev('w2', 'texts/t4.txt', 'german'), 'not json'].join('\n') + '\n');
  for (const args of [['status'], ['label', 'texts/t5.txt', 'english']]) {
    const r = await cli(args[0], '--workspace', ws, ...args.slice(1));
    assert.equal(r.code, 0, r.err);
    const all = r.out + r.err;
    assert.equal(all.match(/2 label\(s\) of class\(es\) not in classes\.json: "german" \(2\)/g)?.length, 1, all);
    assert.equal(all.match(/line \d+ is not valid JSON/g)?.length, 1, all);
  }
});

test('compact: rewrites the journal, keeps every label (item 11)', async () => {
  for (let i = 0; i < 5; i++) await cli('label', '--workspace', ws, 'texts/t0.txt', i % 2 ? 'english' : 'other');
  const before = JSON.parse((await cli('status', '--workspace', ws, '--json')).out) as { counts: Record<string, number> };
  const r = await cli('compact', '--workspace', ws, '--json');
  assert.equal(r.code, 0, r.err);
  const res = JSON.parse(r.out) as {
    compacted: boolean;
    eventsBefore: number;
    eventsAfter: number;
    bytesAfter: number;
    bytesBefore: number;
  };
  assert.equal(res.compacted, true);
  assert.ok(res.eventsAfter < res.eventsBefore && res.bytesAfter < res.bytesBefore, r.out);
  const after = JSON.parse((await cli('status', '--workspace', ws, '--json')).out) as { counts: Record<string, number> };
  assert.deepEqual(after.counts, before.counts);
});

test('a --workspace that is a file says so, not "not found" (item 12)', async () => {
  const file = path.join(tmp, 'a-file');
  await fs.writeFile(file, 'x');
  for (const cmd of ['status', 'scan', 'label']) {
    const r = await cli(cmd, '--workspace', file, ...(cmd === 'label' ? ['a', 'b'] : []));
    assert.equal(r.code, 1);
    assert.match(r.err, /not a folder: .*a-file is a file/);
  }
  const r = await cli('status', '--workspace', path.join(tmp, 'nothing-here'));
  assert.match(r.err, /workspace folder not found/);
});

test('scan of a read-only workspace names the read-only file system, not ENOENT (item 12)', async (t) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return t.skip('needs root on Linux to mount a read-only tmpfs');
  const mnt = path.join(tmp, 'ro');
  await fs.mkdir(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`mount failed: ${m.stderr.trim()}`);
  try {
    await fs.writeFile(path.join(mnt, 'a.txt'), 'hello');
    assert.equal((await cli('init', '--workspace', mnt, '--classes', 'x,y')).code, 0);
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
    const r = await cli('scan', '--workspace', mnt);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot scan: read-only file system/);
    assert.doesNotMatch(r.err, /ENOENT/);
  } finally {
    spawnSync('umount', [mnt]);
  }
});
