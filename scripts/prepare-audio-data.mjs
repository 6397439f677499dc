#!/usr/bin/env node
// Audio benchmark data from Debian's espeak-ng (installed with apt-get when missing): ordinary WAV workspace folders
// plus truth CSVs, cached outside git in .bench/data (git-ignored), in the layout `selflabel bench --data --truth`
// reads. No General-MIDI soundfont renderings (kept aside), no downloads besides the apt package.
//
//   node scripts/prepare-audio-data.mjs                      both sets (idempotent: skips what is up to date)
//   node scripts/prepare-audio-data.mjs --only audio-words   one set (audio-words | audio-speakers); --force rebuilds
//   options: --per-class N (pool clips per class), --test-per-class N, --seed S, --jobs J (parallel espeak-ng runs),
//            --out DIR (instead of .bench/data)
//
// audio-words (a speech-commands set): 20 classes — yes no up down left right on off stop go and the digits zero…nine —
//   each clip one word by a random voice (7 English accents × ~70 espeak-ng voice variants), speed 120–220 wpm,
//   pitch 20–80, gain −12…0 dB, placed at a random onset in a 1 s clip, with white or pink-ish noise mixed in at
//   5–40 dB SNR (or clean, one clip in four). Default 250 pool + 50 test clips per class (5,000 + 1,000).
// audio-speakers (speaker identity over voice variants, the seed article's example): 12 speakers, each a fixed
//   (accent, variant, base pitch, base speed); each clip one of 40 words with ±8 % speed and ±4 pitch jitter and the
//   same noise. Default 200 pool + 50 test clips per speaker.
//
// Layout of each set (.bench/data/<name>/): pool/clip-<n>.wav (16 kHz mono 16-bit PCM, 1 s; flat, numbered in a
// seeded random order, so neither the folder nor the number tells the label), pool-truth.csv (`path,label`, path
// relative to pool/), test/ and test-truth.csv the same for the held-out split, sources.csv (how
// each file was made), .prepared.json (marker with version, counts, seconds). A set is built in a temporary folder
// and renamed into place when complete.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FORMAT_VERSION = 2;
const MARKER = '.prepared.json';
const RATE = 16000;

function parseArgs(argv) {
  const o = {
    only: undefined,
    force: false,
    perClass: undefined,
    testPerClass: undefined,
    seed: 20261202,
    jobs: Math.max(1, os.cpus().length),
    out: path.join(ROOT, '.bench', 'data'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--only') o.only = next();
    else if (a === '--force') o.force = true;
    else if (a === '--per-class') o.perClass = Number(next());
    else if (a === '--test-per-class') o.testPerClass = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--jobs') o.jobs = Number(next());
    else if (a === '--out') o.out = path.resolve(next());
    else throw new Error(`unknown option ${a}`);
  }
  for (const k of ['perClass', 'testPerClass', 'jobs']) {
    if (o[k] !== undefined && !(Number.isInteger(o[k]) && o[k] >= 1)) throw new Error(`--${k} must be a positive integer`);
  }
  return o;
}

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (r, arr) => arr[Math.floor(r() * arr.length)];
const between = (r, lo, hi) => lo + (hi - lo) * r();

function ensureEspeak() {
  if (spawnSync('sh', ['-c', 'command -v espeak-ng']).status === 0) return;
  console.log('installing espeak-ng with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=300', 'espeak-ng'], { stdio: 'inherit', env });
}

const ACCENTS = ['en', 'en-us', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029'];

/** espeak-ng's voice variants (the files under voices/!v), by the name `-v lang+NAME` takes. */
function voiceVariants() {
  const out = execFileSync('espeak-ng', ['--voices=variant'], { encoding: 'utf8' });
  const names = [];
  for (const line of out.split('\n').slice(1)) {
    const m = /!v\/(\S+)/.exec(line);
    if (m) names.push(m[1]);
  }
  if (names.length < 10) throw new Error(`espeak-ng lists only ${names.length} voice variants`);
  return names.sort();
}

/** Runs espeak-ng and returns its samples (22,050 Hz 16-bit mono from --stdout) as floats, and the rate. */
function speak(voice, speed, pitch, text) {
  return new Promise((resolve, reject) => {
    const p = spawn('espeak-ng', ['-v', voice, '-s', String(Math.round(speed)), '-p', String(Math.round(pitch)), '--stdout', text]);
    const chunks = [];
    let err = '';
    p.stdout.on('data', (c) => chunks.push(c));
    p.stderr.on('data', (c) => {
      err += c;
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`espeak-ng -v ${voice} exited ${code}: ${err.trim()}`));
      const b = Buffer.concat(chunks);
      // The header written to a pipe has no true sizes: find the 'data' chunk and take everything after it.
      const at = b.indexOf('data', 12, 'latin1');
      if (b.toString('latin1', 0, 4) !== 'RIFF' || at < 0) return reject(new Error(`espeak-ng -v ${voice}: no WAV on stdout`));
      const rate = b.readUInt32LE(24);
      const n = Math.floor((b.length - at - 8) / 2);
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = b.readInt16LE(at + 8 + 2 * i) / 32768;
      resolve({ x, rate });
    });
  });
}

/** Windowed-sinc resampling (Blackman, 16 zero crossings), low-passed at 0.95 × the lower Nyquist frequency. */
function resample(x, from, to) {
  if (from === to) return x;
  const out = new Float32Array(Math.round((x.length * to) / from));
  const ratio = from / to;
  const fc = Math.min(1, to / from) * 0.95;
  const half = 16 / fc;
  for (let i = 0; i < out.length; i++) {
    const t = i * ratio;
    let acc = 0;
    for (let j = Math.max(0, Math.ceil(t - half)); j <= Math.min(x.length - 1, Math.floor(t + half)); j++) {
      const u = (t - j) * fc;
      const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
      const w = 0.42 + 0.5 * Math.cos((Math.PI * u) / 16) + 0.08 * Math.cos((2 * Math.PI * u) / 16);
      acc += x[j] * sinc * w;
    }
    out[i] = acc * fc;
  }
  return out;
}

/** Trims leading/trailing near-silence (below −50 dBFS peak in 10 ms blocks). */
function trimSilence(x) {
  const blk = 160;
  let pk = 0;
  for (const v of x) pk = Math.max(pk, Math.abs(v));
  const thr = pk * 10 ** (-50 / 20);
  const loud = (b) => {
    for (let i = b * blk; i < Math.min(x.length, (b + 1) * blk); i++) if (Math.abs(x[i]) > thr) return true;
    return false;
  };
  const nb = Math.ceil(x.length / blk);
  let a = 0;
  while (a < nb && !loud(a)) a++;
  let z = nb - 1;
  while (z > a && !loud(z)) z--;
  return x.subarray(a * blk, Math.min(x.length, (z + 1) * blk));
}

/** Places the word in a 1 s clip at a random onset, applies gain and mixes noise at the given SNR (dB, or null). */
function makeClip(word, r, gainDb, snrDb, pinkish) {
  const clip = new Float32Array(RATE);
  const w = word.length > RATE ? word.subarray(Math.floor((word.length - RATE) / 2), Math.floor((word.length - RATE) / 2) + RATE) : word;
  const onset = Math.floor(r() * (RATE - w.length + 1));
  const g = 10 ** (gainDb / 20);
  for (let i = 0; i < w.length; i++) clip[onset + i] = w[i] * g;
  if (snrDb !== null) {
    let ps = 0;
    for (let i = 0; i < w.length; i++) ps += (w[i] * g) ** 2;
    ps /= Math.max(1, w.length);
    const n = new Float32Array(RATE);
    let prev = 0;
    for (let i = 0; i < RATE; i++) {
      const u = Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
      prev = pinkish ? 0.95 * prev + 0.31 * u : u; // a one-pole low-pass makes a darker, pink-ish noise
      n[i] = prev;
    }
    let pn = 0;
    for (const v of n) pn += v * v;
    pn /= RATE;
    const k = Math.sqrt(ps / (pn * 10 ** (snrDb / 10)));
    for (let i = 0; i < RATE; i++) clip[i] += k * n[i];
  }
  return clip;
}

function wav16(x) {
  const b = Buffer.alloc(44 + x.length * 2);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + x.length * 2, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(RATE, 24);
  b.writeUInt32LE(RATE * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(x.length * 2, 40);
  for (let i = 0; i < x.length; i++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(x[i] * 32767))), 44 + 2 * i);
  return b;
}

const COMMANDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];
const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const EXTRA = [
  'bed',
  'bird',
  'cat',
  'dog',
  'happy',
  'house',
  'marvin',
  'sheila',
  'tree',
  'wow',
  'follow',
  'forward',
  'learn',
  'visual',
  'backward',
  'green',
  'water',
  'paper',
  'light',
  'music',
];

/** The clip recipes of a set: [{split, label, text, voice, speed, pitch, gainDb, snrDb, pinkish, seed}]. */
function recipes(name, o, variants) {
  const r = rng(o.seed ^ (name === 'audio-words' ? 0x5151 : 0xa7a7));
  const noise = () => (r() < 0.25 ? { snrDb: null, pinkish: false } : { snrDb: Math.round(between(r, 5, 40)), pinkish: r() < 0.5 });
  const out = [];
  if (name === 'audio-words') {
    const per = { pool: o.perClass ?? 250, test: o.testPerClass ?? 50 };
    for (const split of ['pool', 'test']) {
      for (const word of [...COMMANDS, ...DIGITS]) {
        for (let k = 0; k < per[split]; k++) {
          out.push({
            split,
            label: word,
            text: word,
            voice: `${pick(r, ACCENTS)}+${pick(r, variants)}`,
            speed: between(r, 120, 220),
            pitch: between(r, 20, 80),
            gainDb: between(r, -12, 0),
            ...noise(),
            seed: Math.floor(r() * 2 ** 31),
          });
        }
      }
    }
  } else {
    const speakers = [];
    const used = new Set();
    while (speakers.length < 12) {
      const s = { voice: `${pick(r, ACCENTS)}+${pick(r, variants)}`, pitch: between(r, 25, 75), speed: between(r, 140, 200) };
      if (used.has(s.voice)) continue;
      used.add(s.voice);
      speakers.push(s);
    }
    const per = { pool: o.perClass ?? 200, test: o.testPerClass ?? 50 };
    const words = [...COMMANDS, ...DIGITS, ...EXTRA];
    for (const split of ['pool', 'test']) {
      speakers.forEach((s, i) => {
        for (let k = 0; k < per[split]; k++) {
          out.push({
            split,
            label: `speaker${String(i + 1).padStart(2, '0')}`,
            text: pick(r, words),
            voice: s.voice,
            speed: s.speed * between(r, 0.92, 1.08),
            pitch: s.pitch + between(r, -4, 4),
            gainDb: between(r, -12, 0),
            ...noise(),
            seed: Math.floor(r() * 2 ** 31),
          });
        }
      });
    }
  }
  return out;
}

async function build(name, o, variants) {
  const dest = path.join(o.out, name);
  const marker = path.join(dest, MARKER);
  if (!o.force && fs.existsSync(marker)) {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8'));
    if (
      m.version === FORMAT_VERSION &&
      m.seed === o.seed &&
      m.perClass === (o.perClass ?? null) &&
      m.testPerClass === (o.testPerClass ?? null)
    ) {
      console.log(`${name}: up to date (${m.pool} pool + ${m.test} test clips)`);
      return;
    }
  }
  const t0 = Date.now();
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const list = recipes(name, o, variants);
  // Number the clips in a seeded random order: the recipes come class by class, and a clip's number must not tell it.
  const shuffle = rng(o.seed ^ 0x3c3c);
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  const counters = { pool: 0, test: 0 };
  const truth = { pool: ['path,label'], test: ['path,label'] };
  const sources = ['split,path,label,text,voice,speed,pitch,gain_db,snr_db,noise'];
  const jobs = list.map((rec) => {
    const n = ++counters[rec.split];
    const rel = `clip-${String(n).padStart(5, '0')}.wav`;
    truth[rec.split].push(`${rel},${rec.label}`);
    sources.push(
      [
        rec.split,
        rel,
        rec.label,
        rec.text,
        rec.voice,
        rec.speed.toFixed(0),
        rec.pitch.toFixed(0),
        rec.gainDb.toFixed(1),
        rec.snrDb ?? '',
        rec.snrDb === null ? 'none' : rec.pinkish ? 'pink' : 'white',
      ].join(','),
    );
    return { rec, file: path.join(tmp, rec.split, rel) };
  });
  for (const split of ['pool', 'test']) fs.mkdirSync(path.join(tmp, split), { recursive: true });
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { rec, file } = jobs[next++];
      const { x, rate } = await speak(rec.voice, rec.speed, rec.pitch, rec.text);
      const word = trimSilence(resample(x, rate, RATE));
      fs.writeFileSync(file, wav16(makeClip(word, rng(rec.seed), rec.gainDb, rec.snrDb, rec.pinkish)));
      if (++done % 500 === 0) console.log(`${name}: ${done}/${jobs.length} clips`);
    }
  };
  await Promise.all(Array.from({ length: o.jobs }, worker));
  fs.writeFileSync(path.join(tmp, 'pool-truth.csv'), truth.pool.join('\n') + '\n');
  fs.writeFileSync(path.join(tmp, 'test-truth.csv'), truth.test.join('\n') + '\n');
  fs.writeFileSync(path.join(tmp, 'sources.csv'), sources.join('\n') + '\n');
  const seconds = (Date.now() - t0) / 1000;
  fs.writeFileSync(
    path.join(tmp, MARKER),
    JSON.stringify(
      {
        version: FORMAT_VERSION,
        seed: o.seed,
        perClass: o.perClass ?? null,
        testPerClass: o.testPerClass ?? null,
        pool: counters.pool,
        test: counters.test,
        classes: new Set(list.map((x) => x.label)).size,
        seconds,
      },
      null,
      1,
    ) + '\n',
  );
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.renameSync(tmp, dest);
  console.log(`${name}: ${counters.pool} pool + ${counters.test} test clips in ${seconds.toFixed(1)} s → ${dest}`);
  console.log(
    `  bench: selflabel bench --data ${path.join(dest, 'pool')} --truth ${path.join(dest, 'pool-truth.csv')} --test-data ${path.join(dest, 'test')} --test-truth ${path.join(dest, 'test-truth.csv')}`,
  );
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const names = o.only ? [o.only] : ['audio-words', 'audio-speakers'];
  for (const n of names)
    if (!['audio-words', 'audio-speakers'].includes(n)) throw new Error(`unknown set ${n} (audio-words | audio-speakers)`);
  ensureEspeak();
  const variants = voiceVariants();
  for (const n of names) await build(n, o, variants);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
