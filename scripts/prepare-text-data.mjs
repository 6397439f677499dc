#!/usr/bin/env node
// Prepares text dev sets for the benchmark and research/text from Debian data on this machine (cached outside git in
// .bench/data/, like scripts/prepare-data.mjs, same layout so `selflabel bench --data DIR --truth FILE.csv` reads it):
//
//   node scripts/prepare-text-data.mjs [--only debian-desc|manpages] [--force]
//
// debian-desc, debian-desc-small — Debian package descriptions labelled by Section. `apt-cache dumpavail` prints
//   every stanza (Section, short description); the long descriptions come from the Translation-en lists (read with
//   apt-helper cat-file). When either is missing the script runs `apt-get update -o Acquire::Languages=en` (root).
//   Per package (first stanza), the text is the short description, a newline, then the long description (" ."
//   lines become blank lines); packages without a long description are dropped. The package name is NOT in the text (it gives the section away: python3-*, lib*-perl, …).
//   Packages whose long description was already seen are dropped (lib/-dev/-doc trios share one text; they must not
//   straddle pool and test). The 10 biggest sections after that are kept, with their natural imbalance.
//   One JSONL file per split: pool/descriptions.jsonl (rows `{"text": ...}`), pool-truth.csv (`descriptions.jsonl#N`),
//   test/descriptions.jsonl, test-truth.csv. Large: 8,000 pool + 2,000 test; small: the first 1,000 of that pool (a
//   seeded random, hence imbalanced, subset) with the same test split.
// manpages, manpages-small — installed man pages of sections 1, 3, 5, 8 (`man-db manpages manpages-dev`, installed by
//   the script with apt-get when /usr/share/man/man3 is missing), rendered with groff (`-t -man -Tutf8`, no bold/
//   underline) to .txt files. The header and footer lines (which print the section, e.g. "LS(1)") are removed.
//   Redirect pages (`.so`) and pages rendering to < 200 characters are skipped; at most 3 pages per name prefix
//   (the part before the first `_ . -`) so that one big family (e.g. 16,000 `gcloud_*` pages) cannot fill a class.
//   Texts are cut at 20,000 characters. 75% pool / 25% test, stratified; small: 600 pool items, same test.
//
// Both sets are deterministic given the machine's package lists / installed pages (seeded shuffles).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DATA_DIR, ROOT, rng, shuffle } from './prepare-data.mjs';

export const TEXT_FORMAT_VERSION = 1;
const MARKER = '.prepared.json';
const SEED = 20261202;
const csvField = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function readMarker(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return null;
  }
}

/** Builds datasets into temp folders with `build(tmpDirs) → infos`, then renames each into place. */
async function prepareGroup(names, force, build, log) {
  const fresh = names.every((n) => readMarker(path.join(DATA_DIR, n))?.version === TEXT_FORMAT_VERSION);
  if (!force && fresh) {
    for (const n of names) {
      const m = readMarker(path.join(DATA_DIR, n));
      log(`[prepare-text] ${n}: up to date (${m.pool} pool, ${m.test} test) in ${path.relative(ROOT, path.join(DATA_DIR, n))}`);
    }
    return;
  }
  const t0 = Date.now();
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const tmps = names.map((n) => path.join(DATA_DIR, `.${n}.tmp-${process.pid}`));
  for (const t of tmps) {
    fs.rmSync(t, { recursive: true, force: true });
    fs.mkdirSync(t, { recursive: true });
  }
  try {
    const infos = await build(tmps);
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    names.forEach((n, k) => {
      const out = { version: TEXT_FORMAT_VERSION, dataset: n, ...infos[k], seconds, written: new Date().toISOString() };
      fs.writeFileSync(path.join(tmps[k], MARKER), JSON.stringify(out, null, 2) + '\n');
      const dir = path.join(DATA_DIR, n);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmps[k], dir);
      log(`[prepare-text] ${n}: ${out.pool} pool + ${out.test} test items, classes ${JSON.stringify(out.classes)} in ${seconds} s`);
    });
  } catch (err) {
    for (const t of tmps) fs.rmSync(t, { recursive: true, force: true });
    throw err;
  }
}

/** Stratified split of [{label, ...}]: `testFraction` of each class to test (seeded), the rest shuffled to pool. */
function stratifiedSplit(items, testFraction, rand) {
  const by = new Map();
  for (const it of items) (by.get(it.label) ?? by.set(it.label, []).get(it.label)).push(it);
  const pool = [];
  const test = [];
  for (const label of [...by.keys()].sort()) {
    const list = shuffle(by.get(label).slice(), rand);
    const nt = Math.round(list.length * testFraction);
    test.push(...list.slice(0, nt));
    pool.push(...list.slice(nt));
  }
  return { pool: shuffle(pool, rand), test: shuffle(test, rand) };
}

const countBy = (items) =>
  Object.fromEntries([...items.reduce((m, it) => m.set(it.label, (m.get(it.label) ?? 0) + 1), new Map())].sort((a, b) => b[1] - a[1]));

function writeJsonlSplit(dir, truthFile, file, items) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), items.map((it) => JSON.stringify({ text: it.text })).join('\n') + '\n');
  fs.writeFileSync(
    truthFile,
    ['path,label', ...items.map((it, i) => `${csvField(`${file}#${i + 1}`)},${csvField(it.label)}`)].join('\n') + '\n',
  );
}

function writeTxtSplit(dir, truthFile, items) {
  fs.mkdirSync(dir, { recursive: true });
  const w = String(items.length).length;
  const lines = ['path,label'];
  items.forEach((it, i) => {
    const name = `${String(i).padStart(w, '0')}.txt`;
    fs.writeFileSync(path.join(dir, name), it.text);
    lines.push(`${name},${csvField(it.label)}`);
  });
  fs.writeFileSync(truthFile, lines.join('\n') + '\n');
}

function writeSources(file, items) {
  fs.writeFileSync(
    file,
    ['index,source,label', ...items.map((it, i) => `${i},${csvField(it.source)},${csvField(it.label)}`)].join('\n') + '\n',
  );
}

function apt(args, log) {
  log(`[prepare-text] apt-get ${args.join(' ')}`);
  execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

// ───────────────────────── Debian package descriptions ─────────────────────────

/** Parses `apt-cache dumpavail` output → [{package, section, text}] (first stanza of each package). */
export function parseDumpavail(s, noSection = false) {
  const out = [];
  const seen = new Set();
  for (const stanza of s.split(/\n\n+/)) {
    const pkg = /^Package: (.+)$/m.exec(stanza)?.[1].trim();
    const section = /^Section: (.+)$/m.exec(stanza)?.[1].trim();
    const dm = /^Description(?:-en)?: (.*)\n((?:[ \t].*\n?)*)/m.exec(stanza);
    if (!pkg || (!section && !noSection) || !dm || seen.has(pkg)) continue;
    seen.add(pkg);
    const long = dm[2]
      .split('\n')
      .map((l) => l.replace(/^[ \t]/, ''))
      .map((l) => (l.trim() === '.' ? '' : l))
      .join('\n')
      .trim();
    // Sections may carry an area prefix (contrib/net, non-free/games): the label is the last part.
    out.push({ package: pkg, section: section?.split('/').pop() ?? '', short: dm[1].trim(), long });
  }
  return out;
}

async function prepareDebianDesc({ force, log }) {
  await prepareGroup(
    ['debian-desc', 'debian-desc-small'],
    force,
    async ([big, small]) => {
      const lists = '/var/lib/apt/lists';
      const translations = () =>
        fs.existsSync(lists) ? fs.readdirSync(lists).filter((f) => /_i18n_Translation-en(\.[a-z0-9]+)?$/.test(f)) : [];
      let dump = '';
      try {
        dump = execFileSync('apt-cache', ['dumpavail'], { maxBuffer: 1 << 30, encoding: 'utf8' });
      } catch {
        /* no lists yet */
      }
      // The Packages lists carry only the short description; the long ones are in the Translation-en lists, which an
      // image configured with Acquire::Languages "none" does not download.
      if (!/^Package: /m.test(dump) || !translations().length) {
        apt(['update', '-o', 'Acquire::Languages=en'], log);
        dump = execFileSync('apt-cache', ['dumpavail'], { maxBuffer: 1 << 30, encoding: 'utf8' });
      }
      const longs = new Map();
      for (const f of translations()) {
        const txt = execFileSync('/usr/lib/apt/apt-helper', ['cat-file', path.join(lists, f)], { maxBuffer: 1 << 30, encoding: 'utf8' });
        for (const d of parseDumpavail(txt, true)) if (!longs.has(d.package)) longs.set(d.package, d);
      }
      const pk = parseDumpavail(dump).map((p) => ({ ...p, long: longs.get(p.package)?.long ?? '' }));
      const seenLong = new Set();
      const items = [];
      for (const p of pk) {
        const key = p.long.replace(/\s+/g, ' ').toLowerCase();
        if (!key || seenLong.has(key)) continue;
        seenLong.add(key);
        items.push({ label: p.section, text: `${p.short}\n${p.long}`, source: p.package });
      }
      const sizes = countBy(items);
      const keep = new Set(Object.keys(sizes).slice(0, 10));
      const kept = items.filter((it) => keep.has(it.label));
      const rand = rng(SEED);
      const { pool: allPool, test: allTest } = stratifiedSplit(kept, 2000 / kept.length, rand);
      const test = allTest.slice(0, 2000);
      const pool = allPool.slice(0, 8000);
      const poolSmall = pool.slice(0, 1000);
      const note = `${pk.length} packages, ${items.length} with distinct descriptions, 10 biggest sections kept`;
      for (const [dir, p] of [
        [big, pool],
        [small, poolSmall],
      ]) {
        writeJsonlSplit(path.join(dir, 'pool'), path.join(dir, 'pool-truth.csv'), 'descriptions.jsonl', p);
        writeJsonlSplit(path.join(dir, 'test'), path.join(dir, 'test-truth.csv'), 'descriptions.jsonl', test);
        writeSources(path.join(dir, 'pool-sources.csv'), p);
      }
      return [
        { pool: pool.length, test: test.length, classes: countBy(pool), note },
        { pool: poolSmall.length, test: test.length, classes: countBy(poolSmall), note },
      ];
    },
    log,
  );
}

// ───────────────────────── man pages ─────────────────────────

const MAN_DIR = '/usr/share/man';
const MAN_SECTIONS = ['1', '3', '5', '8'];

/** Renders one man page source (troff) to plain text with groff; resolves with '' on failure. */
function groff(src) {
  return new Promise((resolve) => {
    const p = spawn('groff', ['-t', '-man', '-Tutf8', '-P-cbou', '-rLL=78n'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
    });
    const chunks = [];
    p.stdout.on('data', (c) => chunks.push(c));
    p.on('error', () => resolve(''));
    p.on('close', (code) => resolve(code === 0 ? Buffer.concat(chunks).toString('utf8') : ''));
    p.stdin.on('error', () => {});
    p.stdin.end(src);
  });
}

/** Plain text of a rendered page without its header/footer lines (they carry the section) and extra blank lines. */
export function cleanManText(s) {
  const lines = s.replace(/\r/g, '').split('\n');
  while (lines.length && lines[0].trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length && /\(\w+\)\s*$/.test(lines[0])) lines.shift();
  if (lines.length && /\(\w+\)\s*$/.test(lines[lines.length - 1])) lines.pop();
  return (
    lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n'
  );
}

async function prepareManpages({ force, log }) {
  await prepareGroup(
    ['manpages', 'manpages-small'],
    force,
    async ([big, small]) => {
      if (!fs.existsSync(path.join(MAN_DIR, 'man3')))
        apt(['install', '-y', '--no-install-recommends', 'man-db', 'manpages', 'manpages-dev', 'groff-base'], log);
      const rand = rng(SEED + 1);
      const files = [];
      for (const sec of MAN_SECTIONS) {
        const dir = path.join(MAN_DIR, `man${sec}`);
        const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
        const perPrefix = new Map();
        for (const f of shuffle(names, rand)) {
          const prefix = f.split(/[._-]/)[0];
          const c = perPrefix.get(prefix) ?? 0;
          if (c >= 3) continue;
          perPrefix.set(prefix, c + 1);
          files.push({ file: path.join(dir, f), label: `man${sec}` });
        }
      }
      const items = [];
      let skipped = 0;
      let next = 0;
      const worker = async () => {
        while (next < files.length) {
          const f = files[next++];
          let src;
          try {
            const raw = fs.readFileSync(f.file);
            src = f.file.endsWith('.gz') ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
          } catch {
            skipped++;
            continue;
          }
          if (/^\.so\s/m.test(src) && src.trim().split('\n').length <= 3) {
            skipped++;
            continue;
          }
          const text = cleanManText(await groff(src)).slice(0, 20_000);
          if (text.length < 200) {
            skipped++;
            continue;
          }
          items.push({ label: f.label, text, source: path.relative(MAN_DIR, f.file) });
        }
      };
      await Promise.all([worker(), worker()]);
      items.sort((a, b) => (a.source < b.source ? -1 : 1));
      const { pool, test } = stratifiedSplit(items, 0.25, rng(SEED + 2));
      const poolSmall = pool.slice(0, 600);
      const note = `${files.length} pages looked at, ${skipped} skipped (redirects, unreadable, < 200 chars)`;
      for (const [dir, p] of [
        [big, pool],
        [small, poolSmall],
      ]) {
        writeTxtSplit(path.join(dir, 'pool'), path.join(dir, 'pool-truth.csv'), p);
        writeTxtSplit(path.join(dir, 'test'), path.join(dir, 'test-truth.csv'), test);
        writeSources(path.join(dir, 'pool-sources.csv'), p);
      }
      return [
        { pool: pool.length, test: test.length, classes: countBy(pool), note },
        { pool: poolSmall.length, test: test.length, classes: countBy(poolSmall), note },
      ];
    },
    log,
  );
}

export async function prepareText({ only, force = false, log = console.log } = {}) {
  const all = { 'debian-desc': prepareDebianDesc, manpages: prepareManpages };
  if (only && !all[only]) throw new Error(`unknown dataset "${only}" (debian-desc | manpages)`);
  for (const [n, f] of Object.entries(all)) if (!only || only === n) await f({ force, log });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const o = {};
  try {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--force') o.force = true;
      else if (argv[i] === '--only') o.only = argv[++i];
      else if (argv[i] === '--help' || argv[i] === '-h') o.help = true;
      else throw new Error(`unknown option ${argv[i]}`);
    }
    if (o.help) console.log('usage: node scripts/prepare-text-data.mjs [--only debian-desc|manpages] [--force]');
    else await prepareText(o);
  } catch (err) {
    console.error(`[prepare-text] error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
