import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  AudioError,
  type AudioFormat,
  decodeAudio,
  describeAudio,
  downmix,
  listAudioClips,
  loadAudioClips,
  openAudio,
  probeAudio,
  readClip,
  resample,
  sniffAudio,
} from '../../src/core/modalities/audio/index';
import { mp3Channels } from '../../src/core/modalities/audio/decode/mp3';
import { dominantFrequency, magnitudeAt, makeWav, sine } from '../fixtures/audio/synth';

const FIX = path.join(__dirname, '..', 'fixtures', 'audio');
interface Entry {
  file: string;
  format?: AudioFormat;
  sampleRate?: number;
  channels?: number;
  duration?: number;
  tone?: number[];
  bitsPerSample?: number;
  float?: boolean;
  extensible?: boolean;
  lossy?: boolean;
  speech?: boolean;
  error?: string;
}
const manifest: Entry[] = JSON.parse(fs.readFileSync(path.join(FIX, 'manifest.json'), 'utf8'));
const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(FIX, f)));

async function rejects(p: Promise<unknown>, code: string, re?: RegExp): Promise<AudioError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AudioError, `expected AudioError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.reason, re);
    return e;
  }
  assert.fail(`expected AudioError(${code})`);
}

describe('audio fixtures: every format and layout decodes to the tone it was made from', () => {
  assert.ok(manifest.length >= 20);
  for (const e of manifest.filter((m) => m.tone)) {
    it(e.file, async () => {
      const d = await decodeAudio(read(e.file));
      assert.equal(d.info.format, e.format);
      assert.equal(d.info.sampleRate, e.sampleRate);
      assert.equal(d.info.channels, e.channels);
      assert.equal(d.channelData.length, e.channels);
      if (e.bitsPerSample) assert.equal(d.info.bitsPerSample, e.bitsPerSample);
      assert.equal(!!d.info.float, !!e.float);
      if (e.lossy) {
        // Encoder delay and padding lengthen lossy files a little; never shorten them.
        assert.ok(d.info.duration >= e.duration! - 0.01 && d.info.duration <= e.duration! + 0.12, `duration ${d.info.duration}`);
      } else {
        assert.equal(d.info.frames, Math.round(e.duration! * e.sampleRate!));
      }
      for (let c = 0; c < Math.min(2, e.channels!); c++) {
        const x = d.channelData[c];
        const mid = x.subarray(Math.floor(x.length * 0.2), Math.floor(x.length * 0.8));
        const f = dominantFrequency(mid, d.info.sampleRate, 100, 2000, 2);
        assert.ok(Math.abs(f - e.tone![c]) <= 6, `channel ${c}: peak at ${f} Hz, expected ${e.tone![c]}`);
        let pk = 0;
        for (const v of mid) pk = Math.max(pk, Math.abs(v));
        // -6 dBFS = 0.501 full scale
        assert.ok(pk > (e.lossy ? 0.35 : 0.48) && pk < (e.lossy ? 0.7 : 0.52), `channel ${c} peak ${pk}`);
      }
      // The extensible files really are WAVE_FORMAT_EXTENSIBLE (format tag 0xFFFE at byte 20), the others are not.
      if (e.format === 'wav') {
        const b = read(e.file);
        assert.equal(new DataView(b.buffer, b.byteOffset).getUint16(20, true) === 0xfffe, !!e.extensible);
      }
    });
  }

  it('speech fixtures (espeak-ng "seven") decode to a non-silent clip of about 0.8 s, WAV and MP3 alike', async () => {
    for (const e of manifest.filter((m) => m.speech)) {
      const r = await openAudio(path.join(FIX, e.file));
      try {
        assert.equal(r.info.sampleRate, 16000);
        assert.equal(r.info.channels, 1);
        assert.ok(r.info.duration > 0.5 && r.info.duration < 1.2, `${e.file}: ${r.info.duration}`);
        const x = await readClip(r, { start: 0, duration: r.info.duration });
        assert.equal(x.length, Math.round(r.info.duration * 16000));
        let energy = 0;
        for (const v of x) energy += v * v;
        assert.ok(energy / x.length > 1e-4, `${e.file} rms² ${energy / x.length}`);
      } finally {
        await r.close();
      }
    }
  });

  it('silent.wav opens (header is fine) but its clip is AudioError silent; the A-law WAV is unsupported', async () => {
    const r = await openAudio(path.join(FIX, 'silent.wav'));
    await rejects(readClip(r, { start: 0, duration: 0.2 }), 'silent', /silent/);
    await r.close();
    await rejects(decodeAudio(read('tone-alaw.wav')), 'unsupported', /A-law/);
    await rejects(openAudio(path.join(FIX, 'tone-alaw.wav')), 'unsupported', /A-law/);
  });

  it('the format comes from the magic bytes, not the extension', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-audio-'));
    try {
      fs.copyFileSync(path.join(FIX, 'tone-mono-22k.mp3'), path.join(dir, 'renamed.wav'));
      fs.copyFileSync(path.join(FIX, 'tone-mono-16k.flac'), path.join(dir, 'renamed.ogg'));
      fs.writeFileSync(path.join(dir, 'text.mp3'), 'this is not audio at all\n');
      assert.equal((await probeAudio(path.join(dir, 'renamed.wav'))).format, 'mp3');
      assert.equal((await probeAudio(path.join(dir, 'renamed.ogg'))).format, 'flac');
      await rejects(probeAudio(path.join(dir, 'text.mp3')), 'unknown-format');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sniffAudio names each fixture format and nothing in plain bytes', () => {
    for (const e of manifest.filter((m) => m.format)) assert.equal(sniffAudio(read(e.file).subarray(0, 512)), e.format, e.file);
    assert.equal(sniffAudio(new TextEncoder().encode('RIFF....AVI LIST')), undefined);
    assert.equal(sniffAudio(new Uint8Array([0xff, 0xff, 0xff, 0xff])), undefined);
    assert.equal(sniffAudio(new Uint8Array(0)), undefined);
  });

  it('mp3Channels reads mono/stereo from the first frame header after the ID3 tag', () => {
    assert.equal(mp3Channels(read('tone-mono-22k.mp3')), 1);
    assert.equal(mp3Channels(read('tone-stereo-44k.mp3')), 2);
    assert.equal(mp3Channels(new Uint8Array(100)), undefined);
  });

  it('listAudioClips reports info and one clip for a short file; describeAudio gives the details line', async () => {
    const { info, clips } = await listAudioClips(path.join(FIX, 'tone-s16-stereo-11k.wav'), 'a/tone.wav');
    assert.deepEqual(clips, [{ id: 'a/tone.wav', window: { start: 0, duration: 0.2 } }]);
    assert.equal(describeAudio(info), '0.20 s · 11.025 kHz · stereo · WAV 16-bit');
    const [x] = await loadAudioClips(
      path.join(FIX, 'tone-s16-stereo-11k.wav'),
      clips.map((c) => c.window),
    );
    assert.ok(x instanceof Float32Array);
    assert.equal(x.length, 3200); // 0.2 s at 16 kHz
  });
});

describe('WAV layouts synthesised in JS', () => {
  const layouts: { bits: number; float?: boolean; tol: number }[] = [
    { bits: 8, tol: 1 / 128 },
    { bits: 16, tol: 1 / 32768 },
    { bits: 24, tol: 1 / 8388608 },
    { bits: 32, tol: 1e-9 },
    { bits: 32, float: true, tol: 1e-7 },
    { bits: 64, float: true, tol: 1e-12 },
  ];
  for (const l of layouts) {
    for (const extensible of [false, true]) {
      for (const [rate, nch] of [
        [8000, 1],
        [44100, 2],
        [96000, 2],
        [7350, 3],
      ] as const) {
        it(`${l.bits}-bit ${l.float ? 'float' : 'int'}${extensible ? ' extensible' : ''}, ${nch} ch at ${rate} Hz`, async () => {
          const channels = Array.from({ length: nch }, (_, c) => sine(300 + 200 * c, rate, 0.05, 0.6, c));
          // a full-scale negative sample and a clipped positive one exercise the ends of the range
          channels[0][0] = -1;
          channels[0][1] = 1;
          const bytes = makeWav({ rate, channels, bits: l.bits, float: l.float, extensible });
          const d = await decodeAudio(bytes);
          assert.equal(d.info.sampleRate, rate);
          assert.equal(d.info.channels, nch);
          assert.equal(d.info.frames, channels[0].length);
          assert.equal(d.info.bitsPerSample, l.bits);
          for (let c = 0; c < nch; c++) {
            let worst = 0;
            for (let i = 0; i < channels[c].length; i++) {
              const want = Math.max(-1, Math.min(1 - 2 ** -(l.float ? 60 : l.bits - 1), channels[c][i]));
              worst = Math.max(worst, Math.abs(d.channelData[c][i] - want));
            }
            assert.ok(worst <= l.tol, `channel ${c}: max error ${worst} > ${l.tol}`);
          }
        });
      }
    }
  }

  it('skips unknown chunks, including an odd-sized one with its pad byte, before the data', async () => {
    const ch = [sine(440, 8000, 0.1)];
    const bytes = makeWav({
      rate: 8000,
      channels: ch,
      bits: 16,
      extraChunks: [
        { id: 'LIST', body: new Uint8Array(7).fill(65) },
        { id: 'fact', body: new Uint8Array(4) },
      ],
    });
    const d = await decodeAudio(bytes);
    assert.equal(d.info.frames, 800);
    assert.ok(Math.abs(d.channelData[0][100] - ch[0][100]) < 1e-4);
  });

  it('a data size left as 0xFFFFFFFF or 0 by a streaming writer means "to the end of the file"', async () => {
    const ch = [sine(440, 8000, 0.1)];
    for (const size of [0xffffffff, 0]) {
      const b = makeWav({ rate: 8000, channels: ch, bits: 16 });
      new DataView(b.buffer).setUint32(40, size, true);
      const d = await decodeAudio(b);
      assert.equal(d.info.frames, 800, `size 0x${size.toString(16)}`);
      assert.ok(Math.abs(d.channelData[0][123] - ch[0][123]) < 1e-4);
    }
  });

  it('float samples outside [-1, 1], NaN and Infinity become finite and clipped', async () => {
    const x = new Float32Array([0.5, 2, -3, NaN, Infinity, -Infinity]);
    const d = await decodeAudio(makeWav({ rate: 8000, channels: [x], bits: 32, float: true }));
    assert.deepEqual([...d.channelData[0]], [0.5, 1, -1, 0, 0, 0]);
  });

  it('bad WAVs are typed errors with a reason', async () => {
    const good = makeWav({ rate: 8000, channels: [sine(440, 8000, 0.1)], bits: 16 });
    const cases: [string, Uint8Array, string, RegExp][] = [
      ['empty', new Uint8Array(0), 'truncated', /empty/],
      ['8 bytes', good.subarray(0, 8), 'truncated', /RIFF header/],
      ['cut in the data', good.subarray(0, 500), 'truncated', /declares/],
      ['cut before data chunk', good.subarray(0, 36), 'truncated', /no data chunk/],
      ['cut in fmt', good.subarray(0, 24), 'truncated', /fmt/],
    ];
    const mut = (f: (b: Uint8Array, dv: DataView) => void) => {
      const b = good.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    cases.push(['RF64', mut((b) => b.set([0x52, 0x46, 0x36, 0x34])), 'unsupported', /RF64/]);
    cases.push(['RIFX', mut((b) => b.set([0x52, 0x49, 0x46, 0x58])), 'unsupported', /RIFX/]);
    cases.push(['µ-law', mut((_, dv) => dv.setUint16(20, 7, true)), 'unsupported', /µ-law/]);
    cases.push(['0 channels', mut((_, dv) => dv.setUint16(22, 0, true)), 'corrupt', /0 channels/]);
    cases.push(['rate 0', mut((_, dv) => dv.setUint32(24, 0, true)), 'corrupt', /sample rate/]);
    cases.push(['block align 5 for 16-bit mono', mut((_, dv) => dv.setUint16(32, 5, true)), 'unsupported', /sample size/]);
    cases.push([
      '12 bits in 1 byte',
      mut((_, dv) => {
        dv.setUint16(32, 1, true);
        dv.setUint16(34, 12, true);
      }),
      'corrupt',
      /12 bits/,
    ]);
    cases.push(['data before fmt', mut((b) => b.set([0x64, 0x61, 0x74, 0x61], 12)), 'corrupt', /before the fmt/]);
    for (const [name, bytes, code, re] of cases) {
      await rejects(decodeAudio(bytes), code, re).catch((e) => assert.fail(`${name}: ${String(e)}`));
    }
  });

  it('Ogg with a codec other than Vorbis/Opus is unsupported; truncated compressed files are typed errors', async () => {
    const ogg = read('tone-mono-16k.ogg');
    const p = 27 + ogg[26];
    const flacInOgg = ogg.slice();
    flacInOgg.set([0x7f, 0x46, 0x4c, 0x41, 0x43, 0x01, 0x00, 0x00], p);
    await rejects(decodeAudio(flacInOgg), 'unsupported', /FLAC in Ogg/);
    const flac = read('tone-mono-16k.flac');
    await rejects(decodeAudio(flac.subarray(0, 20)), 'truncated', /STREAMINFO/);
    await rejects(decodeAudio(flac.subarray(0, Math.floor(flac.length / 2))), 'truncated', /samples its header declares/);
    await rejects(decodeAudio(read('tone-mono.opus').subarray(0, 30)), 'truncated');
  });
});

describe('decoder failures inside wasm', () => {
  it('a wasm trap while decoding (and again in free) is AudioError corrupt, and the next file decodes fine', async () => {
    // Found by the Opus fuzz test: a block of tone-stereo.opus copied over a later part, five bytes changed.
    const b = read('tone-stereo.opus');
    const len = Math.floor(0.1132562 * b.length);
    const from = Math.floor(0.50837 * (b.length - len));
    b.copyWithin(Math.floor(0.723167 * (b.length - len)), from, from + len);
    for (const [pos, v] of [
      [0.908063, 132],
      [0.211923, 124],
      [0.089205, 167],
      [0.156459, 12],
      [0.917213, 174],
    ])
      b[Math.floor(pos * b.length)] = v;
    await rejects(decodeAudio(b), 'corrupt', /decoder failed/);
    // Also from the fuzz test: this one decodes, then the reset before pooling traps (thrown synchronously).
    let c = read('tone-stereo.opus');
    const len2 = Math.floor(0.199997 * c.length);
    const from2 = Math.floor(0.655018 * (c.length - len2));
    c.copyWithin(Math.floor(0.999998 * (c.length - len2)), from2, from2 + len2);
    for (const [pos, v] of [
      [0.547301, 229],
      [0.308344, 187],
      [0.572518, 55],
      [0.559987, 129],
      [0.328026, 164],
      [0.131397, 136],
      [0.402478, 7],
      [0.209349, 88],
      [0.789882, 179],
      [0.910664, 74],
    ])
      c[Math.floor(pos * c.length)] = v;
    c = c.subarray(0, Math.floor(0.915164 * c.length));
    await rejects(decodeAudio(c), 'corrupt', /decoder failed/);
    const ok = await decodeAudio(read('tone-stereo.opus'));
    assert.equal(ok.info.channels, 2);
  });
});

describe('resampling and down-mix', () => {
  it('44.1 kHz and 48 kHz tones come out at 16 kHz with their frequency and level', () => {
    for (const rate of [8000, 11025, 22050, 44100, 48000]) {
      const x = resample(sine(440, rate, 0.5), rate, 16000);
      assert.equal(x.length, Math.round((Math.round(rate * 0.5) * 16000) / rate));
      const mid = x.subarray(1000, 7000);
      assert.equal(dominantFrequency(mid, 16000, 300, 600, 1), 440, `from ${rate}`);
      const m = magnitudeAt(mid, 16000, 440);
      assert.ok(Math.abs(m - 0.5) < 0.01, `level ${m} from ${rate}`);
    }
  });

  it('down-sampling filters out what lies above the new Nyquist frequency instead of aliasing it', () => {
    const x = resample(sine(11000, 48000, 0.5), 48000, 16000); // would alias to 5 kHz
    const mid = x.subarray(1000, 7000);
    assert.ok(magnitudeAt(mid, 16000, 5000) < 0.5 * 10 ** (-60 / 20), `alias at ${magnitudeAt(mid, 16000, 5000)}`);
    const keep = resample(sine(7000, 48000, 0.5), 48000, 16000).subarray(1000, 7000);
    assert.ok(magnitudeAt(keep, 16000, 7000) > 0.45);
  });

  it('downmix averages channels', () => {
    assert.deepEqual([...downmix([new Float32Array([1, 0.5]), new Float32Array([0, -0.5])])], [0.5, 0]);
  });
});
