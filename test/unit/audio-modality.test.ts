/**
 * The audio modality wired into the loop: the registry (a modality is its folder plus one line; an
 * unregistered one does not compile and is refused at run time), the scan of a folder of good and bad clips (skip
 * reasons, windows of long files, details), the two pretext tasks lowering their loss on synthetic tones and noise,
 * and the whole loop (scan → pretrain → labels → train → proposals → suggestions) on a tiny synthetic set through
 * the test worker pool. Audio is synthesised in JS (no espeak here).
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODALITIES, type Modality } from '../../src/protocol/modalities';
import { modalityPlugins } from '../../src/core/modalities';
import type { ModalityPlugin } from '../../src/core/modalities/types';
import { workerSideOf } from '../../src/worker/modalities';
import { loadProductJobs } from '../../src/worker/jobs';
import { fileKindOf, scanWorkspace } from '../../src/core/dataset/scan';
import { initBackend } from '../../src/core/backend';
import { pretrainAudioEncoder } from '../../src/core/modalities/audio/pretrain';
import { readPretextState } from '../../src/core/ssl/loop';
import { LogMel, fixLength } from '../../src/core/modalities/audio/melspec';
import { AUDIO_MELS } from '../../src/core/modalities/audio/features';
import { Project } from '../../src/core/project';
import { testPool } from '../fixtures/worker';
import { chirp, makeWav, noise, sine } from '../fixtures/audio/synth';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-audio-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const wav16 = (x: Float32Array, rate = 16000) => makeWav({ rate, bits: 16, channels: [x] });

test('registry: audio is registered, declares its files, and an unregistered modality is refused', async () => {
  assert.ok(MODALITIES.includes('audio'));
  for (const m of MODALITIES) {
    assert.equal(modalityPlugins[m].name, m);
    assert.equal((await workerSideOf(m)).face.name, m);
    assert.ok(modalityPlugins[m].files.extensions.length > 0, `${m} declares its extensions`);
  }
  for (const f of ['a.wav', 'b.FLAC', 'c.mp3', 'd.ogg', 'e.opus']) assert.equal(fileKindOf(f), 'audio', f);
  assert.equal(fileKindOf('x.png'), 'image');
  assert.equal(fileKindOf('x.txt'), 'text');
  assert.equal(fileKindOf('x.aiff'), undefined);
  // A registry without audio does not compile (checked by `npm run typecheck`):
  // @ts-expect-error: property 'audio' is missing
  const partial: { [M in Modality]: ModalityPlugin<M> } = { image: modalityPlugins.image, text: modalityPlugins.text };
  assert.ok(partial);
  // A job for a modality nobody registered is refused with a clear error, not a crash.
  const ctx = { signal: new AbortController().signal, progress: () => undefined, backend: 'cpu' };
  const productJobs = await loadProductJobs();
  const params = { modality: 'speech', checkpointDir: tmp, data: { kind: 'speech' } } as unknown as Parameters<typeof productJobs.embed>[0];
  await assert.rejects(productJobs.embed(params, ctx), /no modality "speech" is registered/);
});

test('scan: good clips become items with details, long files are windowed, bad ones are skipped with a reason', async () => {
  const ws = path.join(tmp, 'scan');
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'tone.wav'), wav16(sine(440, 16000, 1)));
  fs.writeFileSync(
    path.join(ws, 'stereo.wav'),
    makeWav({ rate: 44100, bits: 24, channels: [sine(300, 44100, 0.5), sine(500, 44100, 0.5)] }),
  );
  fs.writeFileSync(path.join(ws, 'long.wav'), wav16(sine(220, 8000, 25, 0.3), 8000));
  fs.writeFileSync(path.join(ws, 'silent.wav'), wav16(new Float32Array(16000)));
  const good = wav16(sine(440, 16000, 1));
  fs.writeFileSync(path.join(ws, 'truncated.wav'), good.subarray(0, 30));
  fs.writeFileSync(path.join(ws, 'notaudio.mp3'), 'just some text, not an mp3 at all\n'.repeat(20));
  fs.copyFileSync(path.join(__dirname, '../fixtures/audio/tone-alaw.wav'), path.join(ws, 'alaw.wav'));
  fs.copyFileSync(path.join(__dirname, '../fixtures/audio/tone-mono-16k.flac'), path.join(ws, 'flac.flac'));
  const res = await scanWorkspace(ws, { audioWindows: { maxItemSeconds: 20, windowSeconds: 10 } });
  const ids = res.items.map((i) => i.id);
  assert.deepEqual(ids, ['flac.flac', 'long.wav#1', 'long.wav#2', 'long.wav#3', 'stereo.wav', 'tone.wav']);
  for (const it of res.items) {
    assert.equal(it.modality, 'audio');
    assert.equal(it.kind, 'audio');
    assert.ok(it.duration! > 0 && it.sampleRate! > 0 && it.channels! >= 1, it.id);
    assert.match(it.hash, /^[0-9a-f]{32}$/);
  }
  const st = res.items.find((i) => i.id === 'stereo.wav')!;
  assert.equal(st.channels, 2);
  assert.equal(st.sampleRate, 44100);
  assert.match(st.details!, /0\.50 s · 44\.1 kHz · stereo · WAV 24-bit/);
  const w3 = res.items.find((i) => i.id === 'long.wav#3')!;
  assert.equal(w3.start, 20);
  assert.equal(w3.duration, 5);
  assert.notEqual(w3.hash, res.items.find((i) => i.id === 'long.wav#2')!.hash, 'windows of a file have their own hashes');
  const reason = (p: string) => res.skipped.find((s) => s.path === p)?.reason ?? '';
  assert.match(reason('silent.wav'), /silent/);
  assert.match(reason('truncated.wav'), /truncat|end/i);
  assert.match(reason('notaudio.mp3'), /not an audio file/);
  assert.match(reason('alaw.wav'), /A-law|unsupported|not supported/i);
  // The scan cache gives the same items back without reading the files.
  const cacheFile = path.join(tmp, 'scan-cache.json');
  const a = await scanWorkspace(ws, { cacheFile, audioWindows: { maxItemSeconds: 20, windowSeconds: 10 } });
  const b = await scanWorkspace(ws, { cacheFile, audioWindows: { maxItemSeconds: 20, windowSeconds: 10 } });
  assert.deepEqual(b.items, a.items);
  // Another window setting makes other items (the setting is part of the cache key).
  const c = await scanWorkspace(ws, { cacheFile, audioWindows: { maxItemSeconds: 60 } });
  assert.ok(c.items.some((i) => i.id === 'long.wav'));
});

/** log-mel spectrograms (0.5 s) of n clips: tones of random pitch with harmonics, and noise bursts. */
function synthSpecs(n: number, seed: number): { spec: Float32Array; frames: number } {
  const lm = new LogMel({ nMels: AUDIO_MELS });
  const samples = 8000;
  const frames = lm.frameCount(samples);
  const spec = new Float32Array(n * frames * AUDIO_MELS);
  for (let i = 0; i < n; i++) {
    let x: Float32Array;
    const f = 200 + ((i * 7919 + seed * 31) % 1200);
    if (i % 2) x = sine(f, 16000, 0.5, 0.3);
    else x = noise(samples, seed * 1000 + i, 0.2);
    if (i % 4 === 1) {
      const h = sine(2 * f, 16000, 0.5, 0.1);
      for (let k = 0; k < x.length; k++) x[k] += h[k];
    }
    spec.set(lm.compute(fixLength(x, samples)).data, i * frames * AUDIO_MELS);
  }
  return { spec, frames };
}

for (const task of ['contrastive', 'masked'] as const) {
  test(`pretext task "${task}" lowers its loss on synthetic tones and noise`, async () => {
    await initBackend('wasm');
    const { spec, frames } = synthSpecs(64, 3);
    const dir = path.join(tmp, `pre-${task}`);
    const r = await pretrainAudioEncoder({
      spec,
      n: 64,
      frames,
      mels: AUDIO_MELS,
      task,
      epochs: 8,
      batchSize: 32,
      seed: 2,
      checkpointDir: dir,
    });
    assert.equal(r.complete, true);
    const st = await readPretextState(dir);
    assert.ok(st, 'a checkpoint state is written');
    const h = st.lossHistory;
    assert.equal(h.length, 8);
    assert.ok(h.every(Number.isFinite));
    const first = h[0];
    const last = Math.min(...h.slice(-2));
    assert.ok(last < first * 0.9, `${task}: loss ${first.toFixed(4)} → ${last.toFixed(4)} should drop by 10%`);
  });
}

test('the whole loop on a tiny synthetic set through the test worker pool', async () => {
  const ws = path.join(tmp, 'loop');
  fs.mkdirSync(ws, { recursive: true });
  const truth = new Map<string, string>();
  for (let i = 0; i < 36; i++) {
    const cls = ['tone', 'chirp', 'noise'][i % 3];
    const f = 300 + ((i * 37) % 400);
    const x = cls === 'tone' ? sine(f, 16000, 0.5, 0.4) : cls === 'chirp' ? chirp(f, 3 * f, 16000, 0.5, 0.4) : noise(8000, i + 1, 0.3);
    const name = `clip${String(i).padStart(3, '0')}.wav`;
    fs.writeFileSync(path.join(ws, name), wav16(x));
    truth.set(name, cls);
  }
  fs.writeFileSync(path.join(ws, 'broken.wav'), 'RIFF....WAVEfmt ');
  const p = await Project.init(
    ws,
    ['chirp', 'noise', 'tone'],
    { workers: 2, audioClipSeconds: 0.5 },
    {
      runner: (o) => testPool({ size: o.size, backend: 'wasm' }),
    },
  );
  try {
    const sc = await p.scan();
    assert.equal(p.getModality(), 'audio');
    assert.equal(p.getItems().length, 36, JSON.stringify(sc));
    assert.ok(p.getSkipped().some((s) => s.path === 'broken.wav'));
    const pre = await p.pretrain({ epochs: 2 });
    assert.ok(JSON.stringify(pre).includes('contrastive') && JSON.stringify(pre).includes('masked'), JSON.stringify(pre));
    const per = new Map<string, number>();
    for (const [item, label] of truth) {
      if ((per.get(label) ?? 0) >= 3) continue;
      per.set(label, (per.get(label) ?? 0) + 1);
      await p.label(item, label);
    }
    const tr = await p.train();
    // The audio head's choice among its candidates is reported like the embedding heads'.
    assert.ok(tr.chosen, 'the audio head reports the candidate it chose');
    assert.ok(
      tr.chosen.candidates.some((c) => c.name === tr.chosen!.name),
      JSON.stringify(tr.chosen),
    );
    let right = 0;
    for (const [item, label] of truth) {
      const pr = p.predictionFor(item);
      assert.ok(pr && pr.confidence > 0 && pr.confidence <= 1, item);
      if (pr.label === label) right++;
    }
    assert.ok(right >= 24, `tones, chirps and noise told apart: ${right}/36`);
    const props = await p.propose({ threshold: 0 });
    assert.ok(props.proposals.length > 0, 'proposals are made');
    const sug = await p.suggest(3);
    assert.equal(sug.length, 3);
    const out = await p.predictFolder(ws);
    assert.equal(out.length, 36);
  } finally {
    await p.dispose();
  }
});

test('bench baselines on audio: MFCC mean+std features and the encoder trained from scratch tell tones from noise', async () => {
  const { mfccFeatures } = await import('../../src/bench/baselines/mfcc');
  const ws = path.join(tmp, 'baseline');
  fs.mkdirSync(ws, { recursive: true });
  const items = [];
  for (let i = 0; i < 20; i++) {
    const x = i % 2 ? sine(300 + 20 * i, 16000, 0.5, 0.4) : noise(8000, i + 7, 0.3);
    const name = `c${i}.wav`;
    fs.writeFileSync(path.join(ws, name), wav16(x));
  }
  fs.writeFileSync(path.join(ws, 'silent.wav'), wav16(new Float32Array(8000)));
  const scanned = await scanWorkspace(ws, {});
  for (const it of scanned.items) items.push(it);
  // A file that disappears after the scan is left out of the rows, not a crash.
  const ghost = { ...items[0], id: 'gone.wav', path: 'gone.wav' };
  const f = await mfccFeatures(ws, [...items, ghost], undefined, { clipSeconds: 0.5 });
  assert.equal(f.pool.n, 20);
  assert.equal(f.dim, 40);
  assert.ok(!f.pool.ids.includes('gone.wav'));
  // Standardised columns, and the tone rows differ from the noise rows (mean distance between groups > within).
  const row = (id: string) => f.pool.X.subarray(f.pool.ids.indexOf(id) * 40, (f.pool.ids.indexOf(id) + 1) * 40);
  const dist = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((v, k) => v - b[k]));
  const tones = f.pool.ids.filter((id) => Number(id.slice(1, -4)) % 2 === 1);
  const noises = f.pool.ids.filter((id) => Number(id.slice(1, -4)) % 2 === 0);
  const within = dist(row(tones[0]), row(tones[1])) + dist(row(noises[0]), row(noises[1]));
  const between = dist(row(tones[0]), row(noises[0])) + dist(row(tones[1]), row(noises[1]));
  assert.ok(between > within, `between ${between.toFixed(2)} > within ${within.toFixed(2)}`);

  // The audioSupervised job: trained on 6 labels, it labels the other clips.
  await initBackend('wasm');
  const { audioJobs } = await import('../../src/core/modalities/audio/worker');
  const { audioFeatureRows, audioFrames } = await import('../../src/core/modalities/audio/features');
  const frames = audioFrames(0.5);
  const sab = new SharedArrayBuffer(items.length * frames * AUDIO_MELS * 4);
  const failed = await audioFeatureRows(ws, items, { seconds: 0.5, frames, mels: AUDIO_MELS, out: new Float32Array(sab), offset: 0 });
  assert.equal(failed.length, 0);
  const y = items.map((it) => (Number(it.id.slice(1, -4)) % 2 === 1 ? 1 : 0));
  const index = Int32Array.from([0, 1, 2, 3, 4, 5]);
  const ctx = { signal: new AbortController().signal, progress: () => undefined, backend: 'wasm' };
  const r = await audioJobs.audioSupervised(
    {
      data: { kind: 'audio', spec: sab, n: items.length, frames, mels: AUDIO_MELS },
      others: [],
      train: { index, y: Int32Array.from([...index].map((i) => y[i])), weight: new Float32Array(6).fill(1) },
      nClasses: 2,
      epochs: 40,
      seed: 1,
    },
    ctx,
  );
  const logits = r.result.logits[0];
  let right = 0;
  for (let i = 6; i < items.length; i++) if ((logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === y[i]) right++;
  assert.ok(right >= 12, `the from-scratch encoder labels ${right}/14 held-out clips right`);
});
