/**
 * The extension's audio previews decode in a worker (src/extension/previewWorker.ts, src/extension/thumbnails.ts):
 * the runner is made on the first preview only, reused, stopped when idle and made again, dropped after a crash
 * (not after a bad file); the review grid's thumbnails and media go through it (the host thread does not decode);
 * and the real worker pool serves the `audioPreview` job for FLAC, MP3 and Ogg fixtures.
 * Run: node --import tsx --test test/unit/audio-preview-worker.test.ts
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Item } from '../../src/core/types';
import type { JobRunner, JobTypes } from '../../src/protocol/jobs';
import { PreviewWorker } from '../../src/extension/previewWorker';
import { readMedia, readThumbnails } from '../../src/extension/thumbnails';
import * as previews from '../../src/core/modalities/preview';
import { audioPreviewBytes, encodeWav16 } from '../../src/core/modalities/audio/preview';
import { WorkerPool, WorkerCrashedError } from '../../src/worker/pool';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'audio');

type Call = { job: string; params: JobTypes['audioPreview']['params'] };

/** A runner that records its jobs and answers them with `answer` (default: the real preview, on this thread). */
function fakeRunner(calls: Call[], answer?: (p: Call['params']) => Promise<{ bytes: Uint8Array; duration: number }>) {
  const state = { disposed: false };
  const runner: JobRunner = {
    size: 1,
    start: async () => ({ name: 'fake' }),
    run: (async (job: string, params: Call['params']) => {
      if (state.disposed) throw new Error('run after dispose');
      calls.push({ job, params });
      return answer ? answer(params) : audioPreviewBytes(params.file, params.item, params.want, params.maxSeconds);
    }) as JobRunner['run'],
    dispose: async () => {
      state.disposed = true;
    },
  };
  return { runner, state };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function audioItem(id: string, size: number, extra: Partial<Item> = {}): Item {
  return { id, path: id, kind: 'audio', modality: 'audio', hash: 'h', size, mtimeMs: 0, duration: 1, start: 0, ...extra };
}

test('preview worker: made on the first preview, reused, stopped when idle, made again', async () => {
  const calls: Call[] = [];
  const made: { state: { disposed: boolean } }[] = [];
  const w = new PreviewWorker({
    create: () => {
      const f = fakeRunner(calls, async () => ({ bytes: new Uint8Array([1, 2, 3]), duration: 1 }));
      made.push(f);
      return f.runner;
    },
    idleMs: 40,
  });
  assert.equal(w.started, 0, 'nothing is started before the first preview');
  assert.equal(w.alive, false);
  const p = { file: '/x.flac', item: audioItem('x.flac', 10), want: 'media' as const, maxSeconds: 1 };
  await Promise.all([w.run('audioPreview', p), w.run('audioPreview', p), w.run('audioPreview', p)]);
  assert.equal(w.started, 1, 'one runner for concurrent previews');
  assert.equal(calls.length, 3);
  await sleep(15);
  await w.run('audioPreview', p);
  assert.equal(w.started, 1, 'reused within the idle time');
  await sleep(120);
  assert.equal(w.alive, false, 'stopped after the idle time');
  assert.equal(made[0].state.disposed, true, 'the idle runner was disposed');
  await w.run('audioPreview', p);
  assert.equal(w.started, 2, 'a new runner for the next preview');
  await w.dispose();
  assert.equal(made[1].state.disposed, true);
  await assert.rejects(w.run('audioPreview', p), /stopped/);
});

test('preview worker: a crash drops the runner, a bad file does not, a failed start is retried', async () => {
  let mode: 'crash' | 'bad' | 'ok' = 'bad';
  let fail = true;
  const w = new PreviewWorker({
    create: () => {
      if (fail) {
        fail = false;
        throw new Error('cannot start');
      }
      return fakeRunner([], async () => {
        if (mode === 'crash') throw new WorkerCrashedError('worker 0 exited with code 1');
        if (mode === 'bad') throw new Error('x.flac: corrupt FLAC stream');
        return { bytes: new Uint8Array(1), duration: 0.1 };
      }).runner;
    },
    idleMs: 10_000,
  });
  const p = { file: '/x.flac', item: audioItem('x.flac', 10), want: 'media' as const, maxSeconds: 1 };
  await assert.rejects(w.run('audioPreview', p), /cannot start/);
  assert.equal(w.alive, false, 'a runner that could not be made is not kept');
  await assert.rejects(w.run('audioPreview', p), /corrupt FLAC/);
  assert.equal(w.started, 2);
  assert.equal(w.alive, true, 'a bad file keeps the runner');
  mode = 'crash';
  await assert.rejects(w.run('audioPreview', p), WorkerCrashedError);
  assert.equal(w.alive, false, 'a crashed runner is dropped');
  mode = 'ok';
  const r = await w.run('audioPreview', p);
  assert.equal(r.bytes.length, 1);
  assert.equal(w.started, 3, 'the next preview starts a fresh runner');
  await w.dispose();
});

test('review grid host: thumbnails and media go through the runner, never decoded on the calling thread', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-preview-worker-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  for (const f of ['tone-mono-16k.flac', 'tone-stereo-44k.mp3', 'tone-mono-16k.ogg'])
    await fs.copyFile(path.join(FIXTURES, f), path.join(root, f));
  const items = new Map<string, Item>();
  for (const f of ['tone-mono-16k.flac', 'tone-stereo-44k.mp3', 'tone-mono-16k.ogg'])
    items.set(f, audioItem(f, (await fs.stat(path.join(root, f))).size));
  // A runner that answers without decoding: what comes back can only have come through it.
  const calls: Call[] = [];
  const sentinel = encodeWav16(new Float32Array(800).fill(0.25), 16000);
  const { runner } = fakeRunner(calls, async () => ({ bytes: sentinel, duration: 0.05 }));
  const clip = await readMedia(root, 'tone-mono-16k.flac', (id) => items.get(id), { ...previews, runner });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].job, 'audioPreview');
  assert.equal(calls[0].params.want, 'media');
  assert.equal(calls[0].params.file, path.join(await fs.realpath(root), 'tone-mono-16k.flac'));
  assert.equal(clip.duration, 0.05);
  assert.deepEqual(Buffer.from(clip.src.split(',')[1], 'base64'), Buffer.from(sentinel));
  const thumbs = await readThumbnails(root, [...items.keys()], (id) => items.get(id), null, { ...previews, runner });
  assert.equal(calls.length, 4, 'one thumbnail job per clip');
  assert.deepEqual(
    calls.slice(1).map((c) => c.params.want),
    ['thumbnail', 'thumbnail', 'thumbnail'],
  );
  assert.equal(thumbs.length, 3);
  // The real preview through a recording runner gives the same WAV as on this thread.
  const real: Call[] = [];
  const viaRunner = await readMedia(root, 'tone-stereo-44k.mp3', (id) => items.get(id), { ...previews, runner: fakeRunner(real).runner });
  const here = await readMedia(root, 'tone-stereo-44k.mp3', (id) => items.get(id), previews);
  assert.equal(real.length, 1);
  assert.equal(viaRunner.src, here.src);
});

test('preview worker on the real worker pool: FLAC, MP3 and Ogg previews decoded in the worker thread', async (t) => {
  const w = new PreviewWorker({ create: () => new WorkerPool({ size: 1, backend: 'cpu', log: () => undefined }), idleMs: 5_000 });
  t.after(() => w.dispose());
  for (const f of ['tone-mono-16k.flac', 'tone-stereo-44k.mp3', 'tone-stereo-44k.ogg']) {
    const file = path.join(FIXTURES, f);
    const item = audioItem(f, (await fs.stat(file)).size);
    const media = await w.run('audioPreview', { file, item, want: 'media', maxSeconds: 60 });
    const local = await audioPreviewBytes(file, item, 'media', 60);
    assert.deepEqual(Buffer.from(media.bytes), Buffer.from(local.bytes), `${f}: the worker's WAV is the one made here`);
    const thumb = await w.run('audioPreview', { file, item, want: 'thumbnail', maxSeconds: 60 });
    assert.equal(Buffer.from(thumb.bytes).toString('ascii', 1, 4), 'PNG', `${f}: a PNG`);
  }
  assert.equal(w.started, 1, 'one worker for every preview');
  // A corrupt file is the job's error (a reason), not a crash: the worker stays.
  const bad = path.join(os.tmpdir(), `selflabel-bad-${process.pid}.flac`);
  await fs.writeFile(bad, Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(200, 7)]));
  t.after(() => fs.rm(bad, { force: true }));
  await assert.rejects(w.run('audioPreview', { file: bad, item: audioItem('bad.flac', 204), want: 'media', maxSeconds: 1 }));
  assert.equal(w.alive, true);
  await w.run('audioPreview', {
    file: path.join(FIXTURES, 'tone-mono-16k.flac'),
    item: audioItem('t.flac', 1),
    want: 'thumbnail',
    maxSeconds: 1,
  });
  assert.equal(w.started, 1);
});
