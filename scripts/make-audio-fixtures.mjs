#!/usr/bin/env node
/**
 * Makes the small audio fixtures of test/fixtures/audio/ (a few KB each, committed, so tests need no apt):
 * a 440 Hz tone (880 Hz on the right channel of stereo files) in every WAV layout and in FLAC, MP3, Ogg Vorbis and
 * Ogg Opus, a spoken word from espeak-ng, and a few bad files (silent, A-law, Ogg with a foreign codec is made in
 * the tests). Writes manifest.json with what each file should decode to; the tests read it.
 *
 * Needs sox (+ libsox-fmt-mp3), opus-tools and espeak-ng from Debian; installs them with apt-get when missing.
 * Usage: node scripts/make-audio-fixtures.mjs [outDir]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const out = path.resolve(process.argv[2] ?? 'test/fixtures/audio');
fs.mkdirSync(out, { recursive: true });

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
function ensureTools() {
  const need = [];
  if (!have('sox')) need.push('sox', 'libsox-fmt-mp3');
  else if (!spawnSync('sox', ['-h'], { encoding: 'utf8' }).stdout.includes('mp3')) need.push('libsox-fmt-mp3');
  if (!have('opusenc')) need.push('opus-tools');
  if (!have('espeak-ng')) need.push('espeak-ng');
  if (!need.length) return;
  console.log(`installing ${need.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=300', ...need], { stdio: 'inherit', env });
}
ensureTools();

const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const f = (name) => path.join(out, name);
const manifest = [];

/** A tone with sox: 440 Hz on channel 1, 880 Hz on channel 2, -6 dBFS. */
function tone({ name, rate, channels, seconds, fmt = [], type = 'wav', expect }) {
  const synth = [
    'synth',
    String(seconds),
    'sine',
    '440',
    ...(channels > 1 ? ['sine', '880'] : []),
    ...Array(Math.max(0, channels - 2))
      .fill(['sine', '440'])
      .flat(),
  ];
  run('sox', ['-D', '-n', '-r', String(rate), '-c', String(channels), ...fmt, '-t', type, f(name), ...synth, 'gain', '-6']);
  manifest.push({ file: name, sampleRate: rate, channels, duration: seconds, tone: [440, 880].slice(0, Math.min(2, channels)), ...expect });
  if (type.startsWith('wav') || expect.format === 'wav') {
    const tag = fs.readFileSync(f(name)).readUInt16LE(20);
    if ((tag === 0xfffe) !== expect.extensible)
      throw new Error(`${name}: sox wrote format tag 0x${tag.toString(16)}, expected extensible=${expect.extensible}`);
  }
}

// WAV layouts. `-t wavpcm` forces the plain (non-EXTENSIBLE) header; sox writes EXTENSIBLE for > 16 bits or > 2 channels.
tone({
  name: 'tone-u8-mono-8k.wav',
  rate: 8000,
  channels: 1,
  seconds: 0.25,
  fmt: ['-b', '8', '-e', 'unsigned-integer'],
  type: 'wavpcm',
  expect: { format: 'wav', bitsPerSample: 8, extensible: false },
});
tone({
  name: 'tone-s16-mono-16k.wav',
  rate: 16000,
  channels: 1,
  seconds: 0.2,
  fmt: ['-b', '16', '-e', 'signed-integer'],
  type: 'wavpcm',
  expect: { format: 'wav', bitsPerSample: 16, extensible: false },
});
tone({
  name: 'tone-s16-stereo-11k.wav',
  rate: 11025,
  channels: 2,
  seconds: 0.2,
  fmt: ['-b', '16', '-e', 'signed-integer'],
  type: 'wavpcm',
  expect: { format: 'wav', bitsPerSample: 16, extensible: false },
});
tone({
  name: 'tone-s24-mono-22k.wav',
  rate: 22050,
  channels: 1,
  seconds: 0.1,
  fmt: ['-b', '24', '-e', 'signed-integer'],
  type: 'wavpcm',
  expect: { format: 'wav', bitsPerSample: 24, extensible: false },
});
tone({
  name: 'tone-s24-stereo-48k-ext.wav',
  rate: 48000,
  channels: 2,
  seconds: 0.05,
  fmt: ['-b', '24', '-e', 'signed-integer'],
  expect: { format: 'wav', bitsPerSample: 24, extensible: true },
});
tone({
  name: 'tone-s32-mono-44k.wav',
  rate: 44100,
  channels: 1,
  seconds: 0.05,
  fmt: ['-b', '32', '-e', 'signed-integer'],
  type: 'wavpcm',
  expect: { format: 'wav', bitsPerSample: 32, extensible: false },
});
tone({
  name: 'tone-s32-mono-32k-ext.wav',
  rate: 32000,
  channels: 1,
  seconds: 0.05,
  fmt: ['-b', '32', '-e', 'signed-integer'],
  expect: { format: 'wav', bitsPerSample: 32, extensible: true },
});
tone({
  name: 'tone-f32-mono-48k.wav',
  rate: 48000,
  channels: 1,
  seconds: 0.05,
  fmt: ['-b', '32', '-e', 'floating-point'],
  type: 'wavpcm',
  expect: { format: 'wav', bitsPerSample: 32, float: true, extensible: false },
});
tone({
  name: 'tone-f32-stereo-16k.wav',
  rate: 16000,
  channels: 2,
  seconds: 0.1,
  fmt: ['-b', '32', '-e', 'floating-point'],
  expect: { format: 'wav', bitsPerSample: 32, float: true, extensible: false },
});
tone({
  name: 'tone-s16-3ch-8k-ext.wav',
  rate: 8000,
  channels: 3,
  seconds: 0.1,
  fmt: ['-b', '16', '-e', 'signed-integer'],
  expect: { format: 'wav', bitsPerSample: 16, extensible: true },
});

// Compressed formats.
tone({
  name: 'tone-mono-16k.flac',
  rate: 16000,
  channels: 1,
  seconds: 0.5,
  fmt: ['-b', '16'],
  type: 'flac',
  expect: { format: 'flac', bitsPerSample: 16 },
});
tone({
  name: 'tone-stereo-44k-24bit.flac',
  rate: 44100,
  channels: 2,
  seconds: 0.1,
  fmt: ['-b', '24'],
  type: 'flac',
  expect: { format: 'flac', bitsPerSample: 24 },
});
tone({
  name: 'tone-mono-22k.mp3',
  rate: 22050,
  channels: 1,
  seconds: 0.5,
  fmt: ['-C', '32'],
  type: 'mp3',
  expect: { format: 'mp3', lossy: true },
});
tone({
  name: 'tone-stereo-44k.mp3',
  rate: 44100,
  channels: 2,
  seconds: 0.3,
  fmt: ['-C', '64'],
  type: 'mp3',
  expect: { format: 'mp3', lossy: true },
});
tone({
  name: 'tone-mono-16k.ogg',
  rate: 16000,
  channels: 1,
  seconds: 0.5,
  fmt: ['-C', '0'],
  type: 'vorbis',
  expect: { format: 'ogg-vorbis', lossy: true },
});
tone({
  name: 'tone-stereo-44k.ogg',
  rate: 44100,
  channels: 2,
  seconds: 0.3,
  fmt: ['-C', '0'],
  type: 'vorbis',
  expect: { format: 'ogg-vorbis', lossy: true },
});
// Opus through opusenc (sox cannot write Opus); Opus always decodes at 48 kHz.
for (const [name, channels, seconds] of [
  ['tone-mono.opus', 1, 0.5],
  ['tone-stereo.opus', 2, 0.3],
]) {
  const tmp = f('tmp-opus-src.wav');
  run('sox', [
    '-D',
    '-n',
    '-r',
    '48000',
    '-c',
    String(channels),
    '-b',
    '16',
    '-t',
    'wavpcm',
    tmp,
    'synth',
    String(seconds),
    'sine',
    '440',
    ...(channels > 1 ? ['sine', '880'] : []),
    'gain',
    '-6',
  ]);
  run('opusenc', ['--quiet', '--bitrate', '24', tmp, f(name)]);
  fs.rmSync(tmp);
  manifest.push({
    file: name,
    format: 'ogg-opus',
    sampleRate: 48000,
    channels,
    duration: seconds,
    tone: [440, 880].slice(0, channels),
    lossy: true,
  });
}

// Speech: one word from espeak-ng (22,050 Hz 16-bit mono), and the same word as MP3.
run('espeak-ng', ['-v', 'en', '-s', '170', '-w', f('tmp-word.wav'), 'seven']);
run('sox', ['-D', f('tmp-word.wav'), '-r', '16000', '-b', '16', '-t', 'wavpcm', f('speech-seven-16k.wav')]);
run('sox', ['-D', f('tmp-word.wav'), '-r', '16000', '-C', '32', f('speech-seven-16k.mp3')]);
fs.rmSync(f('tmp-word.wav'));
manifest.push({ file: 'speech-seven-16k.wav', format: 'wav', sampleRate: 16000, channels: 1, speech: true, bitsPerSample: 16 });
manifest.push({ file: 'speech-seven-16k.mp3', format: 'mp3', sampleRate: 16000, channels: 1, speech: true, lossy: true });

// Bad files: all-zero samples, and a real WAV in A-law (a codec the reader does not decode).
run('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', '-t', 'wavpcm', f('silent.wav'), 'trim', '0', '0.2']);
manifest.push({ file: 'silent.wav', format: 'wav', sampleRate: 8000, channels: 1, duration: 0.2, error: 'silent' });
run('sox', ['-D', '-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'wav', f('tone-alaw.wav'), 'synth', '0.1', 'sine', '440']);
manifest.push({ file: 'tone-alaw.wav', error: 'unsupported' });

fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
let total = 0;
for (const m of manifest) total += fs.statSync(f(m.file)).size;
console.log(`${manifest.length} fixtures in ${out}, ${(total / 1024).toFixed(1)} KB`);
