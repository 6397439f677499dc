/**
 * Voice features (src/core/modalities/audio/voice.ts) on synthetic voices (harmonic tones with a vowel-like
 * envelope, made here): YIN finds the F0, the long-term spectrum ignores the gain and sees a formant move, silence
 * and noise give finite numbers; the head's rows take them as the blocks pitch, lts and harm (withVoice), and the
 * head scores and fits a voice candidate whose state refuses clips without voice features.
 * Run: node --import tsx --test test/unit/audio-voice.test.ts
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { VOICE_DIM, VOICE_HARMONICS, VOICE_PITCH_DIM, voiceColumns, voiceFeatures, yinTrack } from '../../src/core/modalities/audio/voice';
import { utteranceFeatures, withVoice, standardizeBlocks, columnStats } from '../../src/core/modalities/audio/utterance';
import { logMelClip } from '../../src/core/modalities/audio/melspec';
import { FEATURE_SET_WEIGHTS } from '../../src/core/modalities/audio/headState';

const RATE = 16000;

/** 1 s of a voice: harmonics of f0 (with a slow vibrato) shaped by one formant at `formant` Hz, 0.2 s silence each side. */
function voice(f0: number, formant: number, gain = 0.3, seed = 1): Float32Array {
  const x = new Float32Array(RATE);
  let phase = 0;
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 1e-6;
  for (let i = 0; i < RATE; i++) {
    const t = i / RATE;
    const f = f0 * (1 + 0.01 * Math.sin(2 * Math.PI * 3 * t));
    phase += (2 * Math.PI * f) / RATE;
    let v = 0;
    for (let h = 1; h * f0 < 7000; h++) {
      const fh = h * f0;
      const amp = 1 / (1 + ((fh - formant) / 200) ** 2) + 0.05 / h;
      v += amp * Math.sin(h * phase);
    }
    const env = t > 0.2 && t < 0.8 ? 1 : 0;
    x[i] = gain * 0.2 * v * env + rnd();
  }
  return x;
}

test('YIN finds the F0 of a harmonic voice', () => {
  for (const f0 of [95, 140, 230]) {
    const { f0: track, dip } = yinTrack(voice(f0, 700), RATE);
    const voiced = Array.from(track).filter((f, i) => f > 0 && dip[i] < 0.2);
    assert.ok(voiced.length > 30, `${f0} Hz: ${voiced.length} voiced frames`);
    const med = voiced.sort((a, b) => a - b)[Math.floor(voiced.length / 2)];
    assert.ok(Math.abs(med - f0) / f0 < 0.03, `${f0} Hz: median ${med.toFixed(1)}`);
  }
});

test('voice features: pitch statistics, gain-blind spectrum, a formant move seen, finite on silence and noise', () => {
  assert.equal(voiceColumns().length, VOICE_DIM);
  const low = voiceFeatures(voice(110, 700));
  const high = voiceFeatures(voice(220, 700));
  assert.ok(Math.abs(low[0] - Math.log2(110)) < 0.05, `mean log2 F0 ${low[0]}`);
  assert.ok(Math.abs(high[0] - Math.log2(220)) < 0.05, `mean log2 F0 ${high[0]}`);
  assert.ok(low[6] > 0.8, `voiced fraction of the loud frames ${low[6]}`);
  // Gain: the long-term spectrum is the level less the clip's mean, so a quieter clip gives the same bands.
  const quiet = voiceFeatures(voice(110, 700, 0.03));
  for (let b = VOICE_PITCH_DIM; b < VOICE_PITCH_DIM + 32; b++)
    assert.ok(Math.abs(quiet[b] - low[b]) < 0.05, `band ${b - VOICE_PITCH_DIM}: ${quiet[b]} vs ${low[b]}`);
  // A formant moved from 700 to 1,800 Hz: the band around 1,800 Hz rises relative to the one around 700 Hz.
  const moved = voiceFeatures(voice(110, 1800));
  const bandOf = (hz: number) => VOICE_PITCH_DIM + Math.floor((32 * Math.log(hz / 80)) / Math.log(7600 / 80));
  const diff = (v: Float32Array) => v[bandOf(1800)] - v[bandOf(700)];
  assert.ok(diff(moved) - diff(low) > 2, `formant move seen: ${diff(low).toFixed(2)} → ${diff(moved).toFixed(2)}`);
  // Harmonics against the first: a pure tone has none, a voice with its formant near H2 has H2 above H1.
  const sine = voiceFeatures(
    Float32Array.from({ length: RATE }, (_, i) => (i > 3200 && i < 12800 ? 0.3 * Math.sin((2 * Math.PI * 150 * i) / RATE) : 0)),
  );
  const h2 = VOICE_DIM - VOICE_HARMONICS;
  assert.ok(sine[h2] < -5, `pure tone: H2 − H1 ${sine[h2].toFixed(2)}`);
  const nearH2 = voiceFeatures(voice(150, 300));
  assert.ok(nearH2[h2] > 0, `formant at H2: H2 − H1 ${nearH2[h2].toFixed(2)}`);
  for (const x of [new Float32Array(RATE), Float32Array.from({ length: RATE }, (_, i) => Math.sin(i * 12.9898) * 0.1)]) {
    const v = voiceFeatures(x);
    assert.equal(v.length, VOICE_DIM);
    assert.ok(v.every(Number.isFinite));
  }
});

test('withVoice: the head rows get the blocks pitch and lts; only the voice feature set reads them', () => {
  const clips = [voice(110, 700), voice(220, 1500)];
  const spec = new Float32Array(clips.length * 98 * 40);
  clips.forEach((c, i) => spec.set(logMelClip(c, 1, { nMels: 40 }).data, i * 98 * 40));
  const r = utteranceFeatures(spec, 2, 98, 40);
  const v = new Float32Array(2 * VOICE_DIM);
  clips.forEach((c, i) => v.set(voiceFeatures(c), i * VOICE_DIM));
  const w = withVoice(r, v);
  assert.equal(w.dim, r.dim + VOICE_DIM);
  assert.deepEqual(w.blocks.pitch, [r.dim, r.dim + VOICE_PITCH_DIM]);
  assert.deepEqual(w.blocks.lts, [r.dim + VOICE_PITCH_DIM, r.dim + VOICE_DIM - VOICE_HARMONICS]);
  assert.deepEqual(w.blocks.harm, [r.dim + VOICE_DIM - VOICE_HARMONICS, r.dim + VOICE_DIM]);
  assert.equal(w.X[w.dim + r.dim], v[VOICE_DIM], "clip 2's mean log2 F0");
  const st = columnStats(w.X, w.n, w.dim);
  assert.equal(
    standardizeBlocks(w, st, FEATURE_SET_WEIGHTS.timbre).dim,
    standardizeBlocks(r, columnStats(r.X, r.n, r.dim), FEATURE_SET_WEIGHTS.timbre).dim,
  );
  assert.equal(
    standardizeBlocks(w, st, FEATURE_SET_WEIGHTS.voice).dim - standardizeBlocks(w, st, FEATURE_SET_WEIGHTS.timbre).dim,
    VOICE_DIM,
  );
  assert.throws(() => withVoice(r, new Float32Array(3)), /voice features/);
});

test('the audio head with voice features: a voice candidate scored and fitted; states and data must agree', async () => {
  const { initBackend } = await import('../../src/core/backend');
  await initBackend('wasm');
  const { fitAudioHead, predictAudioHead } = await import('../../src/core/modalities/audio/head');
  const { isAudioHeadState, candidateName } = await import('../../src/core/modalities/audio/headState');
  const F0 = [110, 132, 158];
  const make = (n: number, seed0: number) => {
    const spec = new Float32Array(n * 98 * 40);
    const v = new Float32Array(n * VOICE_DIM);
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = i % 3;
      // The formant and the gain vary within a class; only the pitch (±3%) tells the classes apart.
      const formant = 500 + (((i + seed0) * 379) % 1000);
      const x = voice(F0[c] * (1 + 0.03 * Math.sin(i + seed0)), formant, 0.1 + (((i + seed0) * 0.137) % 0.4), seed0 + i);
      spec.set(logMelClip(x, 1, { nMels: 40 }).data, i * 98 * 40);
      v.set(voiceFeatures(x), i * VOICE_DIM);
      y.push(c);
    }
    return { spec, voice: v, y, n, frames: 98, mels: 40 };
  };
  const pool = make(45, 1);
  const lab = [...Array(15).keys()]; // 5 per class
  const train = { index: Int32Array.from(lab), y: Int32Array.from(lab, (i) => pool.y[i]), weight: new Float32Array(15).fill(1) };
  const all = await fitAudioHead({ ...pool, train, nClasses: 3, seed: 1, encoders: [] });
  const voiceScore = all.candidates.find((c) => c.name === 'voice/linear')?.proxyAccuracy;
  assert.ok(voiceScore !== undefined && voiceScore !== null && voiceScore >= 0.8, JSON.stringify(all.candidates));
  // Only the voice candidate: a state that reads the voice features.
  const state = await fitAudioHead({
    ...pool,
    train,
    nClasses: 3,
    seed: 1,
    encoders: [],
    candidates: [{ features: 'voice', encoders: false, fit: 'linear' }],
  });
  assert.ok(isAudioHeadState(state));
  assert.equal(candidateName(state.chosen), 'voice/linear');
  assert.equal(state.stats.mean.length, utteranceFeatures(pool.spec, 1, 98, 40).dim + VOICE_DIM);
  const test = make(30, 500);
  const probs = await predictAudioHead(JSON.parse(JSON.stringify(state)), test);
  let right = 0;
  for (let i = 0; i < 30; i++) {
    const p = [0, 1, 2].map((c) => probs[i * 3 + c]);
    if (p.indexOf(Math.max(...p)) === test.y[i]) right++;
  }
  assert.ok(right >= 27, `told apart by pitch: ${right}/30`);
  // A state that reads voice features refuses clips without them; a state without them ignores the clips' own.
  await assert.rejects(predictAudioHead(state, { ...test, voice: undefined }), /voice features/);
  const plain = await fitAudioHead({ ...pool, voice: undefined, train, nClasses: 3, seed: 1, encoders: [] });
  assert.ok(plain.candidates.every((c) => !c.name.startsWith('voice')));
  assert.equal((await predictAudioHead(plain, test)).length, 30 * 3);
});
