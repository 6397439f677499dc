/**
 * Fuzzing every decoder with mutated and truncated real files (>= 10,000 cases each; SELFLABEL_AUDIO_FUZZ_RUNS
 * changes the count): each case must either decode to well-formed audio or throw an AudioError with a code and a
 * reason — never another exception, never a hang (the slowest case is reported and bounded).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzParams } from './fuzzSeed';
import {
  AudioError,
  type DecodedAudio,
  bytesSource,
  decodeAudio,
  freeAudioDecoders,
  openAudio,
} from '../../src/core/modalities/audio/index';

const RUNS = Number(process.env.SELFLABEL_AUDIO_FUZZ_RUNS ?? 10_000);
const FIX = path.join(__dirname, '..', 'fixtures', 'audio');
const CODES = new Set(['truncated', 'corrupt', 'unsupported', 'unknown-format', 'silent', 'too-large']);

interface Mutation {
  cut: number;
  edits: [number, number][];
  splice?: [number, number, number];
  garbageAfterMagic: boolean;
}

/** A fraction in [0, 1), spread evenly (fast-check's doubles crowd at the ends). */
const frac = fc.integer({ min: 0, max: 999_999 }).map((v) => v / 1_000_000);

const mutation: fc.Arbitrary<Mutation> = fc.record({
  // keep the whole file 3 times in 5, else cut it at a fraction of its length
  cut: fc.oneof({ arbitrary: fc.constant(2), weight: 3 }, { arbitrary: frac, weight: 2 }),
  // bytes overwritten: (position as a fraction, new value)
  edits: fc.array(fc.tuple(frac, fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
  // a block copied elsewhere: (from, to, length) as fractions
  splice: fc.option(
    fc.tuple(
      frac,
      frac,
      frac.map((v) => v * 0.2),
    ),
    { nil: undefined, freq: 3 },
  ),
  // one case in ten: keep only the 4 magic bytes and fill the rest with noise
  garbageAfterMagic: fc.integer({ min: 0, max: 9 }).map((v) => v === 0),
});

function mutate(orig: Uint8Array, m: Mutation, seedBytes: Uint8Array): Uint8Array {
  let b = orig.slice();
  if (m.garbageAfterMagic) {
    b = new Uint8Array(Math.max(4, seedBytes.length));
    b.set(orig.subarray(0, 4));
    b.set(seedBytes.subarray(0, b.length - 4), 4);
  }
  if (m.splice) {
    const len = Math.floor(m.splice[2] * b.length);
    const from = Math.floor(m.splice[0] * (b.length - len));
    const to = Math.floor(m.splice[1] * (b.length - len));
    b.copyWithin(to, from, from + len);
  }
  for (const [pos, v] of m.edits) b[Math.floor(pos * b.length)] = v;
  if (m.cut < 1) b = b.subarray(0, Math.floor(m.cut * b.length));
  return b;
}

function checkAudio(d: DecodedAudio): void {
  assert.ok(d.info.channels >= 1 && d.channelData.length === d.info.channels);
  assert.ok(d.info.sampleRate > 0 && d.info.frames > 0);
  for (const c of d.channelData) {
    assert.equal(c.length, d.info.frames);
    for (let i = 0; i < c.length; i += 7) assert.ok(Number.isFinite(c[i]));
  }
}

function expectTyped(e: unknown): void {
  if (!(e instanceof AudioError)) throw new Error(`untyped error: ${e instanceof Error ? e.stack : String(e)}`);
  assert.ok(CODES.has(e.code), e.code);
  assert.ok(e.reason.length > 5);
}

async function fuzz(t: { diagnostic(s: string): void }, files: string[], run: (b: Uint8Array) => Promise<void>): Promise<void> {
  const originals = files.map((f) => new Uint8Array(fs.readFileSync(path.join(FIX, f))));
  const outcomes = new Map<string, number>();
  let slowest = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: originals.length - 1 }),
      mutation,
      fc.uint8Array({ minLength: 64, maxLength: 4096 }),
      async (which, m, noise) => {
        const bytes = mutate(originals[which], m, noise);
        const t1 = performance.now();
        let outcome = 'decoded';
        try {
          await run(bytes);
        } catch (e) {
          expectTyped(e);
          outcome = (e as AudioError).code;
        }
        slowest = Math.max(slowest, performance.now() - t1);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      },
    ),
    { ...fuzzParams(RUNS), endOnFailure: true },
  );
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
  const cpu = process.cpuUsage(cpu0);
  t.diagnostic(
    `${total} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU), slowest ${slowest.toFixed(0)} ms: ${JSON.stringify(Object.fromEntries(outcomes))}`,
  );
  assert.ok(total >= RUNS);
  // A hang would never get here; a case this slow on a few KB would be a near-hang.
  assert.ok(slowest < 10_000, `slowest case ${slowest} ms`);
}

const decodeWhole = async (b: Uint8Array) => checkAudio(await decodeAudio(b));

describe('audio decoders under fuzzing', { timeout: 60 * 60_000 }, () => {
  after(() => freeAudioDecoders());

  it('WAV (whole-buffer and positioned reads)', async (t) => {
    await fuzz(
      t,
      ['tone-s16-stereo-11k.wav', 'tone-s24-stereo-48k-ext.wav', 'tone-f32-mono-48k.wav', 'tone-u8-mono-8k.wav', 'tone-alaw.wav'],
      async (b) => {
        await decodeWhole(b);
        const r = await openAudio(bytesSource(b));
        try {
          const x = await r.readMono(0, r.info.frames);
          assert.equal(x.length, r.info.frames);
        } finally {
          await r.close();
        }
      },
    );
  });
  it('FLAC', (t) => fuzz(t, ['tone-mono-16k.flac', 'tone-stereo-44k-24bit.flac'], decodeWhole));
  it('MP3', (t) => fuzz(t, ['tone-mono-22k.mp3', 'tone-stereo-44k.mp3', 'speech-seven-16k.mp3'], decodeWhole));
  it('Ogg Vorbis', (t) => fuzz(t, ['tone-mono-16k.ogg', 'tone-stereo-44k.ogg'], decodeWhole));
  it('Ogg Opus', (t) => fuzz(t, ['tone-mono.opus', 'tone-stereo.opus'], decodeWhole));
});
