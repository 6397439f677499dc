/**
 * The spectrum statistics audio embeddings carry beside the encoder (src/core/modalities/audio/mfcc.ts,
 * `spectrumStats`): unit rows, blind to loudness (a constant added to the log-mel), apart for different spectra.
 * Run: node --import tsx --test test/unit/audio-spectrum-stats.test.ts
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { LogMel } from '../../src/core/modalities/audio/melspec';
import { spectrumStats } from '../../src/core/modalities/audio/mfcc';

const RATE = 16000;
function tone(f: number, amp: number, seed: number): Float32Array {
  const x = new Float32Array(RATE);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    x[i] = amp * (Math.sin((2 * Math.PI * f * i) / RATE) + 0.3 * Math.sin((4 * Math.PI * f * i) / RATE)) + 0.01 * (s / 2 ** 31 - 0.5);
  }
  return x;
}
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

test('spectrumStats: unit rows, the same for a louder copy, apart for another spectrum', () => {
  const lm = new LogMel({ nMels: 40 });
  const clips = [tone(300, 0.5, 1), tone(300, 0.05, 1), tone(2500, 0.5, 2), tone(310, 0.5, 3)].map((x) => lm.compute(x));
  const { frames, nMels } = clips[0];
  const spec = new Float32Array(clips.length * frames * nMels);
  clips.forEach((c, i) => spec.set(c.data, i * frames * nMels));
  const st = spectrumStats(spec, clips.length, frames, nMels);
  assert.equal(st.length, clips.length * 2 * nMels);
  const row = (i: number) => st.subarray(i * 2 * nMels, (i + 1) * 2 * nMels);
  for (let i = 0; i < clips.length; i++) assert.ok(Math.abs(cos(row(i), row(i)) - 1) < 1e-5, `row ${i} has unit norm`);
  // 20 dB quieter: the same shape (the noise floor stays, so nearly, not exactly, the same).
  assert.ok(cos(row(0), row(1)) > 0.9, `louder vs quieter copy: ${cos(row(0), row(1))}`);
  // A constant added to every log-mel value of a clip (pure gain) changes nothing.
  const shifted = spec.slice(0, frames * nMels).map((v) => v + 3);
  const st2 = spectrumStats(shifted, 1, frames, nMels);
  for (let k = 0; k < 2 * nMels; k++) assert.ok(Math.abs(st2[k] - st[k]) < 1e-5, `gain-invariant at ${k}`);
  // A near pitch is close, a far one is not.
  assert.ok(cos(row(0), row(3)) > cos(row(0), row(2)) + 0.2, `near ${cos(row(0), row(3))} vs far ${cos(row(0), row(2))}`);
  assert.ok(cos(row(0), row(2)) < 0.8);
});
