import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  FFT,
  LogMel,
  augmentWave,
  dctMatrix,
  mfcc,
  mfccStats,
  spectrogramGray,
  waveformPeaks,
  fixLength,
  freqMask,
  gain,
  hzToMel,
  logMelClip,
  makeRng,
  melToHz,
  mixNoise,
  speedChange,
  tempoChange,
  timeMask,
  timeShift,
} from '../../src/core/modalities/audio/index';
import { chirp, dominantFrequency, noise, sine } from '../fixtures/audio/synth';
import { augmentSpec, fixedViews, standardizeInto, type SpecAugmentOptions } from '../../src/core/modalities/audio/spec';
import { Rng } from '../../src/core/models/random';

describe('log-mel spectrogram', () => {
  it('FFT matches a direct DFT', () => {
    const n = 16;
    const x = noise(n, 7, 1);
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    new FFT(n).transform(re, im);
    for (let k = 0; k < n; k++) {
      let r = 0;
      let i = 0;
      for (let t = 0; t < n; t++) {
        r += x[t] * Math.cos((2 * Math.PI * k * t) / n);
        i -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
      }
      assert.ok(Math.abs(re[k] - r) < 1e-9 && Math.abs(im[k] - i) < 1e-9, `bin ${k}`);
    }
    assert.throws(() => new FFT(12), RangeError);
  });

  // Hand-computed case: 8 Hz sampling, 4-point frames, one mel filter from 0 to 4 Hz.
  //   mel(4 Hz) = 2595·log10(1 + 4/700) = 6.42164; the filter peaks at melToHz(6.42164 / 2) = 1.99715 Hz,
  //   so the 2 Hz bin has weight (4 − 2) / (4 − 1.99715) = 0.998578 and the 0 and 4 Hz bins weight 0.
  //   x = [1, 0, −1, 0] is cos(2π·2t/8): with a rectangular window X[1] = 1 − (−1)·e^{−iπ} = 2, |X[1]|² = 4,
  //   energy 4 · 0.998578 = 3.99431, ln = 1.384871. With the periodic Hann window w = [0, .5, 1, .5] the frame is
  //   [0, 0, −1, 0], X[1] = 1, energy 0.998578, ln = −0.001422. A second frame [2, 0, −2, 0] has 4× the amplitude²·4.
  const tiny = { sampleRate: 8, nFft: 4, winLength: 4, hop: 4, nMels: 1, fMin: 0, fMax: 4 };
  it('matches the hand-computed case (rectangular and Hann windows)', () => {
    assert.ok(Math.abs(hzToMel(4) - 6.42164) < 1e-4);
    assert.ok(Math.abs(melToHz(hzToMel(4) / 2) - 1.99715) < 1e-5);
    const rect = new LogMel({ ...tiny, window: 'rect' });
    assert.deepEqual(
      [...rect.powerSpectrum(new Float32Array([1, 0, -1, 0]), 0)].map((v) => Math.round(v * 1e9) / 1e9),
      [0, 4, 0],
    );
    assert.ok(Math.abs(rect.filters[1] - 0.998578) < 1e-6 && rect.filters[0] === 0 && rect.filters[2] < 1e-9);
    const r = rect.compute(new Float32Array([1, 0, -1, 0, 2, 0, -2, 0]));
    assert.equal(r.frames, 2);
    assert.ok(Math.abs(r.data[0] - 1.384871) < 1e-5, String(r.data[0]));
    assert.ok(Math.abs(r.data[1] - 2.771165) < 1e-5, String(r.data[1]));
    const h = new LogMel(tiny).compute(new Float32Array([1, 0, -1, 0]));
    assert.ok(Math.abs(h.data[0] - -0.001422) < 1e-5, String(h.data[0]));
  });

  it('defaults: 1 s at 16 kHz gives 98 frames × 64 mels; a 1 kHz tone peaks in the mel band centred nearest 1 kHz', () => {
    const lm = new LogMel();
    const s = lm.compute(sine(1000, 16000, 1));
    assert.equal(s.frames, 98);
    assert.equal(s.nMels, 64);
    let nearest = 0;
    for (let m = 0; m < 64; m++) if (Math.abs(lm.centres[m] - 1000) < Math.abs(lm.centres[nearest] - 1000)) nearest = m;
    for (let t = 0; t < s.frames; t++) {
      const row = s.data.subarray(t * 64, t * 64 + 64);
      const arg = row.indexOf(Math.max(...row));
      assert.ok(Math.abs(arg - nearest) <= 1, `frame ${t}: band ${arg}, expected ${nearest}`);
    }
  });

  it('a chirp moves up the mel bands; silence is the log floor; fixed-length clips crop or pad', () => {
    const s = logMelClip(chirp(200, 6000, 16000, 1), 1);
    const argmax = (t: number) => {
      const r = s.data.subarray(t * 64, t * 64 + 64);
      return r.indexOf(Math.max(...r));
    };
    assert.ok(argmax(10) < argmax(50) && argmax(50) < argmax(90), `${argmax(10)} ${argmax(50)} ${argmax(90)}`);
    const z = logMelClip(new Float32Array(100), 1);
    assert.equal(z.frames, 98);
    assert.ok(z.data.every((v) => Math.abs(v - Math.log(1e-6)) < 1e-5)); // stored as float32
    assert.equal(fixLength(new Float32Array(10).fill(1), 4).length, 4);
    assert.deepEqual([...fixLength(new Float32Array([1, 2, 3, 4, 5, 6]), 2)], [3, 4]);
    assert.deepEqual([...fixLength(new Float32Array([1, 2]), 4)], [1, 2, 0, 0]);
    assert.equal(new LogMel().frameCount(399), 0);
  });

  it('bad options are a RangeError', () => {
    assert.throws(() => new LogMel({ winLength: 1024 }), RangeError);
    assert.throws(() => new LogMel({ fMax: 9000 }), RangeError);
    assert.throws(() => new LogMel({ nFft: 500, winLength: 400 }), RangeError);
  });
});

describe('augmentations (seeded)', () => {
  const x = sine(440, 16000, 1, 0.3);
  it('the same seed gives the same view, another seed another', () => {
    const a = augmentWave(x, makeRng(1));
    const b = augmentWave(x, makeRng(1));
    const c = augmentWave(x, makeRng(2));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(a.length, x.length);
    assert.ok(a.every(Number.isFinite));
  });

  it('timeShift moves by a whole number of samples within the bound and zero-fills', () => {
    const ramp = Float32Array.from({ length: 1000 }, (_, i) => i + 1);
    for (let seed = 0; seed < 20; seed++) {
      const y = timeShift(ramp, 50, makeRng(seed));
      const firstNonZero = y.findIndex((v) => v !== 0);
      const s = firstNonZero > 0 ? firstNonZero : -(y[0] - 1);
      assert.ok(Math.abs(s) <= 50);
      for (let i = 0; i < 1000; i++) assert.equal(y[i], i - s >= 0 && i - s < 1000 ? ramp[i - s] : 0);
    }
  });

  it('gain scales by a factor within the dB range', () => {
    for (let seed = 0; seed < 10; seed++) {
      const y = gain(x, -6, 6, makeRng(seed));
      const k = y[100] / x[100];
      assert.ok(k >= 10 ** (-6 / 20) - 1e-6 && k <= 10 ** (6 / 20) + 1e-6);
      assert.ok(Math.abs(y[333] / x[333] - k) < 1e-5);
    }
  });

  it('mixNoise adds noise at the asked signal-to-noise ratio (white, or a given noise)', () => {
    for (const given of [undefined, noise(5000, 3)]) {
      const y = mixNoise(x, 10, 10, makeRng(5), given);
      let ps = 0;
      let pn = 0;
      for (let i = 0; i < x.length; i++) {
        ps += x[i] * x[i];
        pn += (y[i] - x[i]) ** 2;
      }
      const snr = 10 * Math.log10(ps / pn);
      assert.ok(Math.abs(snr - 10) < 0.05, `SNR ${snr}`);
    }
  });

  it('speedChange raises pitch with the factor; tempoChange keeps the pitch and moves events earlier', () => {
    const fast = speedChange(x, 1.1, 1.1, makeRng(0));
    assert.ok(Math.abs(dominantFrequency(fast.subarray(1000, 12000), 16000, 300, 700, 1) - 484) <= 2);
    const burst = new Float32Array(16000);
    burst.set(sine(440, 16000, 0.1), 8000); // at 0.5 s
    const t = tempoChange(burst, 1.25, 1.25, makeRng(0));
    assert.equal(t.length, 16000);
    let pk = 0;
    for (let i = 1; i < t.length; i++) if (Math.abs(t[i]) > Math.abs(t[pk])) pk = i;
    assert.ok(pk > 6200 && pk < 7900, `burst now at sample ${pk}, expected about 6400–7700`);
    const tone = tempoChange(x, 1.1, 1.1, makeRng(0));
    assert.ok(Math.abs(dominantFrequency(tone.subarray(1000, 12000), 16000, 300, 700, 1) - 440) <= 2);
  });

  it('SpecAugment masks cover at most maxWidth frames / mels per mask and leave the input alone', () => {
    const s = logMelClip(chirp(200, 6000, 16000, 1), 1);
    const before = s.data.slice();
    for (let seed = 0; seed < 10; seed++) {
      const tm = timeMask(s, 1, 8, makeRng(seed), -99);
      const fm = freqMask(s, 1, 6, makeRng(seed), -99);
      let frames = 0;
      for (let t = 0; t < s.frames; t++) if (tm.data.subarray(t * 64, t * 64 + 64).every((v) => v === -99)) frames++;
      assert.ok(frames <= 8);
      assert.equal(tm.data.filter((v) => v === -99).length, frames * 64);
      let bands = 0;
      for (let m = 0; m < 64; m++) {
        let all = true;
        for (let t = 0; t < s.frames; t++) if (fm.data[t * 64 + m] !== -99) all = false;
        if (all) bands++;
      }
      assert.ok(bands <= 6);
      assert.equal(fm.data.filter((v) => v === -99).length, bands * s.frames);
    }
    assert.deepEqual(s.data, before);
    const masked = timeMask(s, 2, 20, makeRng(3));
    assert.notDeepEqual(masked.data, s.data);
  });
});

describe('views on the log-mel (spec.ts augmentSpec)', () => {
  const still: SpecAugmentOptions = {
    maxShift: 0,
    gainDb: [0, 0],
    noiseP: 0,
    snrDb: [20, 20],
    timeMasks: 0,
    timeMaskWidth: 0,
    freqMasks: 0,
    freqMaskWidth: 0,
  };
  /** The band of largest mean over the frames, and the frame of largest mean over the bands, of view v. */
  const peaks = (v: Float32Array, frames: number, mels: number) => {
    let band = 0;
    let frame = 0;
    const bm = new Float64Array(mels);
    const fm = new Float64Array(frames);
    for (let t = 0; t < frames; t++)
      for (let m = 0; m < mels; m++) {
        bm[m] += v[t * mels + m];
        fm[t] += v[t * mels + m];
      }
    for (let m = 1; m < mels; m++) if (bm[m] > bm[band]) band = m;
    for (let t = 1; t < frames; t++) if (fm[t] > fm[frame]) frame = t;
    return { band, frame };
  };

  it('melShift moves a tone by at most that many bands, both ways; stretch moves an off-centre burst by the factor', () => {
    const mels = 40;
    const tone = logMelClip(sine(1000, 16000, 1), 1, { nMels: mels });
    const F = tone.frames;
    const out = new Float32Array(F * mels);
    const tmp = new Float32Array(F * mels);
    augmentSpec(tone.data, 0, F, mels, still, new Rng(1), tmp, out, 0);
    const home = peaks(out, F, mels).band;
    const moved = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      augmentSpec(tone.data, 0, F, mels, { ...still, melShift: 3 }, new Rng(seed), tmp, out, 0);
      const d = peaks(out, F, mels).band - home;
      assert.ok(Math.abs(d) <= 3, `moved ${d} bands`);
      moved.add(Math.sign(d));
    }
    assert.ok(moved.has(1) && moved.has(-1), 'moves up and down');
    // a burst of noise at 0.75 s in silence: stretched about the centre (frame 48.5) by 1 ± 0.2 it is heard
    // between 48.5 + (73 − 48.5) / 1.2 ≈ 69 and 48.5 + (73 − 48.5) / 0.8 ≈ 79 (fixed: 73)
    const x = new Float32Array(16000);
    x.set(noise(800, 5, 0.5), 11600);
    const burst = logMelClip(x, 1, { nMels: mels });
    augmentSpec(burst.data, 0, F, mels, still, new Rng(1), tmp, out, 0);
    const at = peaks(out, F, mels).frame;
    assert.ok(Math.abs(at - 73) <= 2, `burst at frame ${at}`);
    const seen: number[] = [];
    for (let seed = 0; seed < 20; seed++) {
      augmentSpec(burst.data, 0, F, mels, { ...still, stretch: 0.2 }, new Rng(seed), tmp, out, 0);
      seen.push(peaks(out, F, mels).frame);
    }
    assert.ok(Math.min(...seen) >= 67 && Math.max(...seen) <= 81, `stretched bursts at ${seen.join(' ')}`);
    assert.ok(Math.max(...seen) - Math.min(...seen) >= 4, 'the tempo varies with the seed');
  });

  it('without stretch or melShift the view is what it was (same draws, no interpolation)', () => {
    const s = logMelClip(chirp(200, 6000, 16000, 1), 1, { nMels: 40 });
    const per = s.frames * 40;
    const a = new Float32Array(per);
    const b = new Float32Array(per);
    const tmp = new Float32Array(per);
    const o: SpecAugmentOptions = { ...still, maxShift: 0.1, gainDb: [-3, 3], noiseP: 1, timeMasks: 1, timeMaskWidth: 0.1 };
    augmentSpec(s.data, 0, s.frames, 40, o, new Rng(7), tmp, a, 0);
    augmentSpec(s.data, 0, s.frames, 40, { ...o, stretch: 0, melShift: 0 }, new Rng(7), tmp, b, 0);
    assert.deepEqual(a, b);
    augmentSpec(s.data, 0, s.frames, 40, { ...o, melShift: 1 }, new Rng(7), tmp, b, 0);
    assert.notDeepEqual(a, b);
  });

  it('fixedViews: the clip as it is, moved by whole frames (the gap at its own floor), its bands and tempo as augmentSpec moves them', () => {
    const mels = 40;
    const a = logMelClip(chirp(300, 5000, 16000, 1), 1, { nMels: mels });
    const b = logMelClip(sine(700, 16000, 1), 1, { nMels: mels });
    const F = a.frames;
    const per = F * mels;
    const two = new Float32Array(2 * per);
    two.set(a.data, 0);
    two.set(b.data, per);
    assert.deepEqual(fixedViews(two, 2, F, mels, { shift: 0, rate: 1, melShift: 0 }), two);
    const moved = fixedViews(two, 2, F, mels, { shift: 3, rate: 1, melShift: 0 });
    for (const [i, clip] of [a.data, b.data].entries()) {
      const floor = Math.min(...clip);
      for (let t = 0; t < F; t++)
        for (let m = 0; m < mels; m += 7)
          assert.equal(moved[i * per + t * mels + m], t < 3 ? floor : clip[(t - 3) * mels + m], `clip ${i}, frame ${t}`);
    }
    // Bands and tempo: the same geometry as augmentSpec's, which draws it (no gain, noise or masks: standardised alike).
    const tmp = new Float32Array(per);
    const drawn = new Float32Array(per);
    const fixed = new Float32Array(per);
    for (const o of [{ melShift: 2 }, { stretch: 0.2 }]) {
      const rng = new Rng(4);
      augmentSpec(two, 1, F, mels, { ...still, ...o }, rng, tmp, drawn, 0);
      // the draws augmentSpec made, in its order: shift (none), gain, noise, stretch, melShift
      const r = new Rng(4);
      r.uniform(0, 0);
      r.next();
      const rate = o.stretch ? 1 + r.uniform(-o.stretch, o.stretch) : 1;
      const melShift = o.melShift ? r.uniform(-o.melShift, o.melShift) : 0;
      const v = fixedViews(two, 2, F, mels, { shift: 0, rate, melShift });
      standardizeInto(v, per, per, fixed, 0);
      for (let k = 0; k < per; k += 13)
        assert.ok(Math.abs(fixed[k] - drawn[k]) < 1e-3, `${JSON.stringify(o)} at ${k}: ${fixed[k]} vs ${drawn[k]}`);
      assert.ok(rate !== 1 || melShift !== 0);
    }
  });
});

describe('MFCC and thumbnails', () => {
  it('the DCT is orthonormal', () => {
    const n = 8;
    const d = dctMatrix(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += d[i * n + k] * d[j * n + k];
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-12);
      }
    }
    assert.throws(() => dctMatrix(10, 4), RangeError);
  });

  it('hand-computed: a flat log-mel frame of 2 over 4 mels has c0 = 2·√4 = 4 and no other coefficient; stats are mean and std', () => {
    const spec = { data: new Float32Array([2, 2, 2, 2, 4, 4, 4, 4]), frames: 2, nMels: 4 };
    const m = mfcc(spec, 3);
    assert.deepEqual(
      [...m.data].map((v) => Math.round(v * 1e6) / 1e6 + 0),
      [4, 0, 0, 8, 0, 0],
    ); // + 0 turns -0 into 0
    assert.deepEqual(
      [...mfccStats(m)].map((v) => Math.round(v * 1e6) / 1e6 + 0),
      [6, 0, 0, 2, 0, 0],
    );
  });

  it('MFCC stats tell a low tone from a high one and are the same for the same clip', () => {
    const a = mfccStats(mfcc(logMelClip(sine(300, 16000, 1), 1)));
    const b = mfccStats(mfcc(logMelClip(sine(3000, 16000, 1), 1)));
    const a2 = mfccStats(mfcc(logMelClip(sine(300, 16000, 1), 1)));
    assert.equal(a.length, 40);
    assert.deepEqual(a, a2);
    let dist = 0;
    for (let i = 0; i < 20; i++) dist += (a[i] - b[i]) ** 2;
    assert.ok(Math.sqrt(dist) > 10, `distance ${Math.sqrt(dist)}`);
  });

  it('spectrogramGray: a rising chirp is bright low on the left and high on the right', () => {
    const s = logMelClip(chirp(200, 6000, 16000, 1), 1);
    const w = 32;
    const h = 16;
    const img = spectrogramGray(s, w, h);
    assert.equal(img.length, w * h);
    assert.ok(Math.max(...img) >= 240); // the loudest cell maps to 255, nearest-neighbour sampling may step past it
    const brightestRow = (x: number) => {
      let best = 0;
      for (let y = 0; y < h; y++) if (img[y * w + x] > img[best * w + x]) best = y;
      return best;
    };
    assert.ok(brightestRow(2) > brightestRow(w - 3), `${brightestRow(2)} vs ${brightestRow(w - 3)}`);
    assert.ok(spectrogramGray({ data: new Float32Array(0), frames: 0, nMels: 64 }, 4, 4).every((v) => v === 0));
  });

  it('waveformPeaks gives min and max per span', () => {
    assert.deepEqual([...waveformPeaks(new Float32Array([0.5, -0.25, 0.125, 0.25, -1, 0]), 3)], [-0.25, 0.5, 0, 0.25, -1, 0]);
  });
});
