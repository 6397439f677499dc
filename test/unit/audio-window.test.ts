import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import {
  AudioError,
  listAudioClips,
  loadAudioClips,
  openAudio,
  parseWindowId,
  planWindows,
  probeAudio,
  windowId,
} from '../../src/core/modalities/audio/index';
import { dominantFrequency, wavHeader16 } from '../fixtures/audio/synth';

describe('planWindows', () => {
  it('a recording up to maxItemSeconds is one item without #', () => {
    assert.deepEqual(planWindows(30, {}), [{ start: 0, duration: 30 }]);
    assert.deepEqual(planWindows(0.2), [{ start: 0, duration: 0.2 }]);
    assert.deepEqual(planWindows(0), []);
  });
  it('a longer one is split into 1-based windows; a short tail under minLastSeconds is dropped', () => {
    const w = planWindows(35.5, { maxItemSeconds: 30, windowSeconds: 10 });
    assert.deepEqual(w, [
      { index: 1, start: 0, duration: 10 },
      { index: 2, start: 10, duration: 10 },
      { index: 3, start: 20, duration: 10 },
      { index: 4, start: 30, duration: 5.5 },
    ]);
    assert.equal(planWindows(30.5, { maxItemSeconds: 30, windowSeconds: 10 }).length, 3);
    assert.equal(planWindows(30.5, { maxItemSeconds: 30, windowSeconds: 10, minLastSeconds: 0.25 }).length, 4);
  });
  it('overlapping windows with hopSeconds', () => {
    const w = planWindows(4, { maxItemSeconds: 1, windowSeconds: 2, hopSeconds: 1 });
    assert.deepEqual(
      w.map((x) => [x.index, x.start, x.duration]),
      [
        [1, 0, 2],
        [2, 1, 2],
        [3, 2, 2],
      ],
    );
  });
  it('bad options are a RangeError, not an endless loop', () => {
    assert.throws(() => planWindows(100, { maxItemSeconds: 1, windowSeconds: 0 }), RangeError);
    assert.throws(() => planWindows(100, { maxItemSeconds: 1, hopSeconds: -1 }), RangeError);
    assert.throws(() => planWindows(100, { maxItemSeconds: 1, hopSeconds: NaN }), RangeError);
  });
  it('window ids are named like rows and parse back', () => {
    assert.equal(windowId('talks/talk.wav', { index: 3, start: 20, duration: 10 }), 'talks/talk.wav#3');
    assert.equal(windowId('a.wav', { start: 0, duration: 1 }), 'a.wav');
    assert.deepEqual(parseWindowId('talks/talk.wav#3'), { file: 'talks/talk.wav', index: 3 });
    assert.deepEqual(parseWindowId('a#b.wav'), { file: 'a#b.wav' });
  });
});

/** Writes a WAV of `segments` × 10 s, 16-bit, where segment k is a sine of 200 + 10k Hz on every channel. */
function writeSegmentedWav(file: string, rate: number, channels: number, segments: number): number {
  const seg = rate * 10;
  const dataBytes = segments * seg * channels * 2;
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, wavHeader16(rate, channels, dataBytes));
    const buf = Buffer.alloc(seg * channels * 2);
    for (let k = 0; k < segments; k++) {
      const w = (2 * Math.PI * (200 + 10 * k)) / rate;
      for (let i = 0; i < seg; i++) {
        const v = Math.round(16000 * Math.sin(w * i));
        for (let c = 0; c < channels; c++) buf.writeInt16LE(v, (i * channels + c) * 2);
      }
      fs.writeSync(fd, buf);
    }
  } finally {
    fs.closeSync(fd);
  }
  return 44 + dataBytes;
}

describe('long recordings are read window by window with bounded memory', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-audio-long-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a 115 MB WAV (10 min, 48 kHz stereo) becomes 60 clips talk.wav#1…#60, each with its own tone, never held whole', async (t) => {
    const file = path.join(dir, 'talk.wav');
    const size = writeSegmentedWav(file, 48000, 2, 60);
    assert.ok(size > 100 * 1024 * 1024, `file is ${size} bytes`);
    // Garbage from earlier batches is collected before each one, so what is measured is one batch's allocations (kept
    // or not yet collected), not however much garbage V8 let pile up (48 MB in one CI run, 64.6 MB in another).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage();
    const { info, clips } = await listAudioClips(file, 'talks/talk.wav');
    assert.equal(info.duration, 600);
    assert.equal(info.channels, 2);
    assert.equal(clips.length, 60);
    assert.equal(clips[0].id, 'talks/talk.wav#1');
    assert.equal(clips[59].id, 'talks/talk.wav#60');
    let maxBuffers = 0;
    let maxRss = 0;
    // Load a few windows at a time, as a worker would, and check each clip's tone says which part of the file it is.
    for (let k = 0; k < 60; k += 6) {
      gc();
      const got = await loadAudioClips(
        file,
        clips.slice(k, k + 6).map((c) => c.window),
      );
      const mu = process.memoryUsage();
      maxBuffers = Math.max(maxBuffers, mu.arrayBuffers - base.arrayBuffers);
      maxRss = Math.max(maxRss, mu.rss - base.rss);
      got.forEach((x, j) => {
        assert.ok(x instanceof Float32Array);
        assert.equal(x.length, 160000);
        const mid = x.subarray(40000, 56000);
        assert.equal(dominantFrequency(mid, 16000, 150, 850, 5), 200 + 10 * (k + j), `window ${k + j + 1}`);
      });
    }
    const MB = 1024 * 1024;
    t.diagnostic(`115 MB file: array buffers grew by at most ${(maxBuffers / MB).toFixed(1)} MB, rss by ${(maxRss / MB).toFixed(1)} MB`);
    // Bounded by the clips of one batch (6 × 10 s), not by the 115 MB file.
    assert.ok(maxBuffers < 64 * MB, `array buffers grew by ${(maxBuffers / MB).toFixed(1)} MB`);
    assert.ok(maxRss < 160 * MB, `rss grew by ${(maxRss / MB).toFixed(1)} MB`);
  });

  it('a 2 GB WAV (sparse file) is probed from its header and one window in the middle is read by position', async () => {
    const file = path.join(dir, 'huge.wav');
    const rate = 16000;
    const dataBytes = 2 ** 31 - 44;
    const fd = fs.openSync(file, 'w');
    const start = 49_990; // seconds: window #5000 of 10 s
    try {
      fs.writeSync(fd, wavHeader16(rate, 1, dataBytes));
      const tone = Buffer.alloc(rate * 10 * 2);
      for (let i = 0; i < rate * 10; i++) tone.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / rate)), i * 2);
      fs.writeSync(fd, tone, 0, tone.length, 44 + start * rate * 2);
      fs.ftruncateSync(fd, 44 + dataBytes);
    } finally {
      fs.closeSync(fd);
    }
    const base = process.memoryUsage().arrayBuffers;
    const info = await probeAudio(file);
    assert.equal(info.frames, Math.floor(dataBytes / 2));
    const { clips } = await listAudioClips(file, 'huge.wav');
    assert.equal(clips.length, Math.ceil(info.duration / 10));
    const w5000 = clips[4999];
    assert.equal(w5000.id, 'huge.wav#5000');
    assert.equal(w5000.window.start, start);
    const [silent, x] = await loadAudioClips(file, [clips[4998].window, w5000.window]);
    assert.ok(silent instanceof AudioError && silent.code === 'silent', String(silent));
    assert.ok(x instanceof Float32Array);
    assert.equal(dominantFrequency(x.subarray(0, 16000), 16000, 500, 1500, 5), 1000);
    assert.ok(process.memoryUsage().arrayBuffers - base < 32 * 1024 * 1024);
  });

  it('a WAV whose data chunk runs past the end of the file is skipped as truncated, with the sizes', async () => {
    const file = path.join(dir, 'cut.wav');
    writeSegmentedWav(file, 8000, 1, 1);
    fs.truncateSync(file, 1000);
    await assert.rejects(
      openAudio(file),
      (e: unknown) => e instanceof AudioError && e.code === 'truncated' && /declares 160000 bytes, file holds 956/.test(e.reason),
    );
  });
});
