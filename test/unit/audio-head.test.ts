/**
 * The audio head and the preview job: utterance features (the word's course in time apart from its onset and level),
 * the head fitted on synthetic clips without any encoder (candidates, calibration fields, a state that survives JSON
 * and predicts other clips), its jobs refusing a bad state, and the `audioPreview` job decoding a clip in a real
 * worker for the plugin's thumbnail and media.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LogMel, fixLength } from '../../src/core/modalities/audio/melspec';
import { AUDIO_MELS } from '../../src/core/modalities/audio/features';
import { columnStats, standardizeBlocks, utteranceFeatures } from '../../src/core/modalities/audio/utterance';
import { candidateName, isAudioHeadState, type AudioHeadState } from '../../src/core/modalities/audio/headState';

type AudioHeadStateLike = Pick<AudioHeadState, 'student' | 'estimatedAccuracy'>;
import { audioMedia, audioThumbnail } from '../../src/core/modalities/audio/preview';
import { scanWorkspace } from '../../src/core/dataset/scan';
import { initBackend } from '../../src/core/backend';
import { testPool } from '../fixtures/worker';
import { chirp, makeWav, noise } from '../fixtures/audio/synth';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-audio-head-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const RATE = 16000;
const lm = new LogMel({ nMels: AUDIO_MELS });
const frames = lm.frameCount(RATE);

/** 1 s: a 0.35 s sweep f0 → f1 at `onset` seconds, amplitude `amp`, in noise of seed `seed`. */
function clip(f0: number, f1: number, onset: number, amp: number, seed: number): Float32Array {
  const x = noise(RATE, seed, 0.01);
  const s = chirp(f0, f1, RATE, 0.35, amp);
  const at = Math.round(onset * RATE);
  for (let i = 0; i < s.length && at + i < x.length; i++) x[at + i] += s[i];
  return x;
}

function specOf(clips: Float32Array[]): Float32Array {
  const out = new Float32Array(clips.length * frames * AUDIO_MELS);
  clips.forEach((c, i) => out.set(lm.compute(fixLength(c, RATE)).data, i * frames * AUDIO_MELS));
  return out;
}

/** Three classes told apart by their course in time only: rising, falling, and up-then-down (same band). */
function dataset(n: number, seed0: number): { clips: Float32Array[]; y: number[] } {
  const clips: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const onset = 0.05 + ((i * 0.137) % 0.55);
    const amp = 0.2 + ((i * 0.071) % 0.5);
    const base = 500 + ((i * 53) % 200);
    if (c === 0) clips.push(clip(base, 3 * base, onset, amp, seed0 + i));
    else if (c === 1) clips.push(clip(3 * base, base, onset, amp, seed0 + i));
    else {
      const a = clip(base, 3 * base, onset, amp, seed0 + i);
      const b = chirp(3 * base, base, RATE, 0.35, amp);
      const at = Math.round((onset + 0.35) * RATE);
      for (let k = 0; k < b.length && at + k < a.length; k++) a[at + k] += b[k];
      clips.push(a);
    }
    y.push(c);
  }
  return { clips, y };
}

test('utterance features: blind to onset and level, apart for another course in time', () => {
  const a = clip(500, 1500, 0.1, 0.3, 1);
  const later = clip(500, 1500, 0.5, 0.3, 2);
  const louder = clip(500, 1500, 0.1, 0.6, 3);
  const falling = clip(1500, 500, 0.1, 0.3, 4);
  const r = utteranceFeatures(specOf([a, later, louder, falling]), 4, frames, AUDIO_MELS);
  assert.equal(r.dim, r.blocks.spectrum[1]);
  const st = columnStats(r.X, r.n, r.dim);
  const { X, dim } = standardizeBlocks(r, st, { mfcc: 0, stats: 0, spectrum: 0 });
  assert.equal(dim, r.blocks.shape[1] - r.blocks.shape[0]);
  const row = (i: number) => X.subarray(i * dim, (i + 1) * dim);
  const cos = (u: Float32Array, v: Float32Array) => u.reduce((s, x, k) => s + x * v[k], 0);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(cos(row(i), row(i)) - 1) < 1e-4, 'unit rows');
  assert.ok(cos(row(0), row(1)) > cos(row(0), row(3)) + 0.3, `onset: ${cos(row(0), row(1))} vs falling ${cos(row(0), row(3))}`);
  assert.ok(cos(row(0), row(2)) > cos(row(0), row(3)) + 0.3, `level: ${cos(row(0), row(2))} vs falling ${cos(row(0), row(3))}`);
  for (const v of r.X) assert.ok(Number.isFinite(v));
  // Silence (all cells at the log floor) gives finite features, not NaN.
  const silent = utteranceFeatures(new Float32Array(frames * AUDIO_MELS).fill(Math.log(1e-6)), 1, frames, AUDIO_MELS);
  for (const v of silent.X) assert.ok(Number.isFinite(v));
});

test('the audio head without encoders: candidates by held-out labels, calibrated, a JSON state that predicts other clips', async () => {
  await initBackend('wasm');
  const { fitAudioHead, predictAudioHead } = await import('../../src/core/modalities/audio/head');
  const pool = dataset(60, 100);
  const spec = specOf(pool.clips);
  const lab = [...Array(60).keys()].filter((i) => i < 18); // 6 per class
  const state = await fitAudioHead({
    spec,
    n: 60,
    frames,
    mels: AUDIO_MELS,
    train: { index: Int32Array.from(lab), y: Int32Array.from(lab, (i) => pool.y[i]), weight: new Float32Array(lab.length).fill(1) },
    nClasses: 3,
    seed: 1,
    encoders: [],
  });
  assert.ok(isAudioHeadState(state));
  assert.deepEqual(
    state.candidates.map((c) => c.name),
    ['all/linear', 'shape/linear', 'timbre/linear', 'all/spread', 'shape/spread', 'timbre/spread', 'all/lda', 'shape/lda', 'timbre/lda'],
  );
  for (const c of state.candidates) assert.ok(c.proxyAccuracy !== null && c.proxyAccuracy >= 0 && c.proxyAccuracy <= 1);
  const best = Math.max(...state.candidates.map((c) => c.proxyAccuracy!));
  assert.equal(state.candidates.find((c) => c.name === candidateName(state.chosen))!.proxyAccuracy, best, 'the best proxy is chosen');
  assert.equal(state.encoders.length, 0);
  // Out of fold on 6 labels per class (a fold's model learns from 4–5): well above chance (1/3).
  assert.ok(state.estimatedAccuracy !== null && state.estimatedAccuracy >= 0.5, `estimated ${state.estimatedAccuracy}`);
  assert.ok(state.temperature > 0);
  const back = JSON.parse(JSON.stringify(state)) as unknown;
  assert.ok(isAudioHeadState(back));
  const test = dataset(30, 900);
  const probs = await predictAudioHead(back, { spec: specOf(test.clips), n: 30, frames, mels: AUDIO_MELS });
  let right = 0;
  for (let i = 0; i < 30; i++) {
    const p = [0, 1, 2].map((c) => probs[i * 3 + c]);
    assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-4);
    if (p.indexOf(Math.max(...p)) === test.y[i]) right++;
  }
  assert.ok(right >= 25, `rising, falling and up-down told apart: ${right}/30`);
  assert.equal(isAudioHeadState({ ...state, kind: 'text-linear' }), false);
  // Accepted proposals (holdout 0) do not train it: the same labels plus wrong accepted ones give the same model.
  const { humanLabels } = await import('../../src/core/modalities/audio/head');
  const withAccepted = {
    index: Int32Array.from([...lab, 40, 41]),
    y: Int32Array.from([...lab.map((i) => pool.y[i]), 2, 2]),
    weight: new Float32Array(lab.length + 2).fill(1),
    holdout: Uint8Array.from([...lab.map(() => 1), 0, 0]),
  };
  const h = humanLabels(withAccepted);
  assert.deepEqual(Array.from(h.index), lab);
  assert.deepEqual(
    Array.from(h.holdout!),
    lab.map(() => 1),
  );
  assert.equal(isAudioHeadState({ ...state, chosen: { ...state.chosen, features: 'nope' } }), false);
});

test('a spread candidate fits a hidden layer on the spread labels (a word is several clusters of voices) and predicts other clips', async () => {
  await initBackend('wasm');
  const { fitAudioHead, predictAudioHead, AUDIO_HEAD_DEFAULTS } = await import('../../src/core/modalities/audio/head');
  const pool = dataset(90, 300);
  const lab = [...Array(90).keys()].filter((i) => i < 15); // 5 per class
  const state = await fitAudioHead({
    spec: specOf(pool.clips),
    n: 90,
    frames,
    mels: AUDIO_MELS,
    train: { index: Int32Array.from(lab), y: Int32Array.from(lab, (i) => pool.y[i]), weight: new Float32Array(lab.length).fill(1) },
    nClasses: 3,
    seed: 2,
    encoders: [],
    candidates: [{ features: 'shape', encoders: false, fit: 'spread' }],
  });
  assert.equal(state.classifier.kind, 'spread+mlp');
  const layers = state.classifier.net.layers;
  assert.deepEqual(
    layers.map((l) => l.outDim),
    [...AUDIO_HEAD_DEFAULTS.spreadHidden, 3],
    'hidden layer(s), then the classes',
  );
  const back = JSON.parse(JSON.stringify(state)) as unknown;
  assert.ok(isAudioHeadState(back));
  const test = dataset(30, 1900);
  const probs = await predictAudioHead(back, { spec: specOf(test.clips), n: 30, frames, mels: AUDIO_MELS });
  let right = 0;
  for (let i = 0; i < 30; i++) {
    const p = [0, 1, 2].map((c) => probs[i * 3 + c]);
    if (p.indexOf(Math.max(...p)) === test.y[i]) right++;
  }
  assert.ok(right >= 25, `rising, falling and up-down told apart by the spread MLP: ${right}/30`);
});

test("an lda candidate spreads over its labels' discriminant projection, refitted per fit; its state and a half-label fit predict other clips", async () => {
  await initBackend('wasm');
  const { fitAudioHead, predictAudioHead, fitCandidate } = await import('../../src/core/modalities/audio/head');
  const pool = dataset(90, 300);
  const spec = specOf(pool.clips);
  const lab = [...Array(90).keys()].filter((i) => i < 15); // 5 per class
  const train = { index: Int32Array.from(lab), y: Int32Array.from(lab, (i) => pool.y[i]), weight: new Float32Array(lab.length).fill(1) };
  const state = await fitAudioHead({
    spec,
    n: 90,
    frames,
    mels: AUDIO_MELS,
    train,
    nClasses: 3,
    seed: 2,
    encoders: [],
    candidates: [{ features: 'all', encoders: false, fit: 'lda' }],
  });
  assert.equal(candidateName(state.chosen), 'all/lda');
  assert.equal(state.classifier.kind, 'spread+mlp');
  assert.ok(
    state.candidates[0].proxyAccuracy !== null && state.candidates[0].proxyAccuracy > 0.6,
    `proxy ${state.candidates[0].proxyAccuracy}`,
  );
  assert.ok(state.estimatedAccuracy !== null && state.estimatedAccuracy > 0.6, `estimated ${state.estimatedAccuracy}`);
  const back = JSON.parse(JSON.stringify(state)) as unknown;
  assert.ok(isAudioHeadState(back));
  const test = dataset(30, 1900);
  const right = (probs: Float32Array) => {
    let ok = 0;
    for (let i = 0; i < 30; i++) {
      const p = [0, 1, 2].map((c) => probs[i * 3 + c]);
      if (p.indexOf(Math.max(...p)) === test.y[i]) ok++;
    }
    return ok;
  };
  const a = right(await predictAudioHead(back, { spec: specOf(test.clips), n: 30, frames, mels: AUDIO_MELS }));
  assert.ok(a >= 25, `rising, falling and up-down told apart through the projection: ${a}/30`);
  // The judging half's fit (no folds) from 3 labels a class, through the same function.
  const half = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const { standardizeBlocks: sb, utteranceFeatures: uf, columnStats: cs } = await import('../../src/core/modalities/audio/utterance');
  const { FEATURE_SET_WEIGHTS } = await import('../../src/core/modalities/audio/headState');
  const both = uf(specOf([...pool.clips, ...test.clips]), 120, frames, AUDIO_MELS);
  const m = sb(both, cs(both.X, 120, both.dim), FEATURE_SET_WEIGHTS.all);
  let graphs = 0;
  const s = await fitCandidate(
    'lda',
    {
      X: m.X,
      n: 120,
      dim: m.dim,
      train: { index: Int32Array.from(half), y: Int32Array.from(half, (i) => pool.y[i]), weight: new Float32Array(9).fill(1) },
      nClasses: 3,
      seed: 3,
      folds: 1,
    },
    async () => {
      graphs++;
      throw new Error('the lda fit builds its own graphs');
    },
  );
  assert.equal(graphs, 0);
  const { predict } = await import('../../src/core/train/classifier');
  const b = right(predict(s, m.X, 120, m.dim).probs.subarray(90 * 3));
  assert.ok(b >= 24, `a fit on 3 labels a class: ${b}/30`);
  // Seeds of one class give no discriminant direction: the fit spreads over the rows' own graph instead of failing.
  const one = await fitCandidate(
    'lda',
    {
      X: m.X,
      n: 120,
      dim: m.dim,
      train: { index: Int32Array.from([0, 3]), y: Int32Array.from([0, 0]), weight: new Float32Array(2).fill(1) },
      nClasses: 3,
      seed: 3,
      folds: 1,
    },
    async () => {
      throw new Error('the lda fit builds its own graphs');
    },
  );
  assert.equal(predict(one, m.X, 120, m.dim).probs.length, 120 * 3);
});

test('audioPreview job in a worker: the plugin previews decode there when given a runner; a bad state is refused', async () => {
  const ws = path.join(tmp, 'preview');
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'up.wav'), makeWav({ rate: 22050, bits: 16, channels: [chirp(300, 900, 22050, 0.8, 0.4)] }));
  fs.writeFileSync(path.join(ws, 'bad.wav'), 'RIFF....WAVEfmt ');
  const scanned = await scanWorkspace(ws, {});
  const item = scanned.items.find((it) => it.id === 'up.wav')!;
  assert.ok(item);
  const pool = testPool({ size: 1, backend: 'wasm' });
  const calls: string[] = [];
  const runner = {
    run: ((job: 'audioPreview', params: never, opts: never) => {
      calls.push(job);
      return pool.run(job, params, opts);
    }) as typeof pool.run,
  };
  try {
    const file = path.join(ws, 'up.wav');
    const media = await audioMedia(file, item, { maxBytes: 1 << 20, runner });
    assert.equal(Buffer.from(media.bytes.subarray(0, 4)).toString('latin1'), 'RIFF');
    assert.ok(Math.abs(media.duration - 0.8) < 0.01, `duration ${media.duration}`);
    assert.equal(media.bytes.length, 44 + 2 * Math.round(0.8 * RATE));
    const thumb = await audioThumbnail(file, item, { maxBytes: 1 << 20, runner });
    assert.ok(thumb && 'src' in thumb && thumb.src.startsWith('data:image/png;base64,'));
    assert.deepEqual(calls, ['audioPreview', 'audioPreview']);
    // The same answer as decoding in this thread.
    const local = await audioMedia(file, item, { maxBytes: 1 << 20 });
    assert.deepEqual(Buffer.from(local.bytes), Buffer.from(media.bytes));
    // An unreadable file: media throws a readable error from the worker, the thumbnail is absent.
    const badItem = { ...item, id: 'bad.wav', path: 'bad.wav' };
    await assert.rejects(audioMedia(path.join(ws, 'bad.wav'), badItem, { maxBytes: 1 << 20, runner }), /./);
    assert.equal(await audioThumbnail(path.join(ws, 'bad.wav'), badItem, { maxBytes: 1 << 20, runner }), undefined);
    // predictAudio refuses a state that is not the audio head's.
    const data = { kind: 'audio' as const, spec: new SharedArrayBuffer(frames * AUDIO_MELS * 4), n: 1, frames, mels: AUDIO_MELS };
    await assert.rejects(pool.run('predictAudio', { state: { kind: 'text-linear' } as never, data }), /audio-head state/);
  } finally {
    await pool.dispose();
  }
});

/** What the `fitAudio` job returns, in short, for the plugin tests' stub runners: an all/linear head on `rows` labels. */
function stubHead(nClasses: number, rows: number, extra: object = {}): object {
  return {
    kind: 'audio-head',
    version: 2,
    nClasses,
    chosen: { features: 'all', encoders: false, fit: 'linear' },
    encoders: [],
    stats: { mean: [], std: [] },
    classifier: { rows },
    candidates: [],
    trainedOn: { rows, heldOut: 0, folds: 0 },
    ...extra,
  };
}

test('the plugin head: the same human labels get the saved state back, other labels fit again', async () => {
  const { audioPlugin } = await import('../../src/core/modalities/audio/plugin');
  const { workspacePaths } = await import('../../src/core/paths');
  const { DEFAULT_CONFIG } = await import('../../src/core/config');
  const root = path.join(tmp, 'cache-ws');
  const paths = workspacePaths(root);
  fs.mkdirSync(paths.cache, { recursive: true });
  const pool = Array.from({ length: 4 }, (_, i) => ({ id: `c${i}.wav`, path: `c${i}.wav`, hash: `h${i}`, duration: 1 })) as never[];
  let fits = 0;
  const students: { dir: string; initFrom?: string; rows: number }[] = [];
  const runner = {
    run: (async (
      job: string,
      p: { nClasses: number; train: { index: Int32Array; holdout: Uint8Array }; teacher: object; dir: string; initFrom?: string },
    ) => {
      if (job === 'fitAudioStudent') {
        // What the worker does, in short: the model in `dir`, the record in the state.
        const rows = p.train.holdout.filter((h) => h === 0).length;
        students.push({ dir: p.dir, initFrom: p.initFrom, rows });
        fs.mkdirSync(p.dir, { recursive: true });
        fs.writeFileSync(path.join(p.dir, 'student.json'), '{}');
        const heldOut = { labels: 2, head: { accuracy: 0.5, logLoss: 1 }, student: { accuracy: 1 }, mean: { accuracy: 1, logLoss: 0.5 } };
        return {
          ...p.teacher,
          student: { dir: p.dir, rows, steps: 200, seconds: 1, warm: !!p.initFrom, weight: 0.5, temperature: 1, kept: true, heldOut },
        };
      }
      assert.equal(job, 'fitAudio');
      fits++;
      return stubHead(p.nClasses, p.train.index.length);
    }) as never,
  };
  const ctx = { root, paths, config: { ...DEFAULT_CONFIG, seed: 1 }, pool, runner } as never;
  const data = { kind: 'audio' as const, spec: new SharedArrayBuffer(4), n: 4, frames: 1, mels: 1 };
  const train = (y: number[], holdout: number[]) => ({
    index: Int32Array.from([0, 1, 2, 3].slice(0, y.length)),
    y: Int32Array.from(y),
    weight: new Float32Array(y.length).fill(1),
    holdout: Uint8Array.from(holdout),
  });
  const head = audioPlugin.ownHead!;
  const opts = {};
  await head.fit(ctx, data, train([0, 1], [1, 1]), 2, opts);
  assert.equal(fits, 1);
  assert.equal(students.length, 0, 'no accepted proposal: no student');
  // The same human labels plus an accepted proposal: the saved head state, no fit; a student learns the proposal.
  const again = await head.fit(ctx, data, train([0, 1, 1], [1, 1, 0]), 2, opts);
  assert.equal(fits, 1);
  assert.equal((again as { classifier: { rows: number } }).classifier.rows, 2);
  assert.equal(students.length, 1);
  assert.equal(students[0].rows, 1);
  assert.equal(students[0].initFrom, undefined, 'the first student starts from scratch');
  assert.ok(students[0].dir.startsWith(paths.models), 'its model is saved under models/');
  assert.equal((again as { student?: { kept: boolean } }).student?.kept, true);
  assert.equal(head.chosen!(again)?.name, 'all/linear + student');
  assert.deepEqual(head.chosen!(again)?.candidates.slice(-2), [
    { name: 'student', accuracy: 1 },
    { name: 'all/linear + student', accuracy: 1 },
  ]);
  // The same labels again: the saved state with its student, no training.
  await head.fit(ctx, data, train([0, 1, 1], [1, 1, 0]), 2, opts);
  assert.equal(students.length, 1);
  // Its model folder gone (models/ cleared by hand): trained again rather than a state that cannot predict.
  fs.rmSync(students[0].dir, { recursive: true });
  await head.fit(ctx, data, train([0, 1, 1], [1, 1, 0]), 2, opts);
  assert.equal(students.length, 2);
  assert.equal(students[1].dir, students[0].dir);
  students.pop();
  // More accepted proposals: a new student, started from the last one, and only the last one stays on disk.
  const grown = { ...train([0, 1, 1], [1, 1, 0]), index: Int32Array.from([0, 1, 2, 3]), y: Int32Array.from([0, 1, 1, 0]) };
  grown.weight = new Float32Array(4).fill(1);
  grown.holdout = Uint8Array.from([1, 1, 0, 0]);
  await head.fit(ctx, data, grown, 2, opts);
  assert.equal(students.length, 2);
  assert.equal(students[1].rows, 2);
  assert.equal(students[1].initFrom, students[0].dir);
  assert.deepEqual(
    fs.readdirSync(paths.models).filter((f) => f.startsWith('audio-student-')),
    [path.basename(students[1].dir)],
  );
  assert.equal(fs.readdirSync(paths.cache).filter((f) => f.startsWith('audio-student-')).length, 1);
  // Another human label: fitted again, and only the last state is kept on disk.
  await head.fit(ctx, data, train([0, 1, 1], [1, 1, 1]), 2, opts);
  assert.equal(fits, 2);
  assert.equal(fs.readdirSync(paths.cache).filter((f) => f.startsWith('audio-head-')).length, 1);
  // A changed pool (another hash) fits again.
  (pool[3] as { hash: string }).hash = 'changed';
  await head.fit(ctx, data, train([0, 1, 1], [1, 1, 1]), 2, opts);
  assert.equal(fits, 3);
});

test('the plugin head: the verdict is judged first, on both workers; a student it leaves out is never trained, one it keeps is', async () => {
  const { audioPlugin } = await import('../../src/core/modalities/audio/plugin');
  const { workspacePaths } = await import('../../src/core/paths');
  const { DEFAULT_CONFIG } = await import('../../src/core/config');
  const root = path.join(tmp, 'cross-ws');
  const paths = workspacePaths(root);
  fs.mkdirSync(paths.cache, { recursive: true });
  const n = 30;
  const pool = Array.from({ length: n }, (_, i) => ({ id: `c${i}.wav`, path: `c${i}.wav`, hash: `x${i}`, duration: 1 })) as never[];
  // 4 human labels (2 a class) and 24 accepted proposals: enough for a student (10 a class).
  const human = [0, 1, 2, 3];
  const yOf = (i: number) => i % 2;
  const rows = [...Array(28).keys()];
  const train = {
    index: Int32Array.from(rows),
    y: Int32Array.from(rows, yOf),
    weight: new Float32Array(rows.length).fill(1),
    holdout: Uint8Array.from(rows, (i) => (human.includes(i) ? 1 : 0)),
  };
  const events: string[] = [];
  const judgeParams: { half: number; count: number; saveTo?: string }[] = [];
  const studentInit: (string | undefined)[] = [];
  const progress: { done: number; total?: number; message?: string }[] = [];
  // The judging students: confidently wrong (left out), or right where the half-label teacher errs (kept).
  let judgingStudentRight = false;
  // Right on three of the four labels (half 1's class 0 mildly wrong): better than the half-label heads, 0.75 in all.
  let judgingStudentMostly = false;
  let teacherEstimate = 0.75;
  let judgesStarted = 0;
  const bothStarted = () =>
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const tick = setInterval(() => {
        if (judgesStarted === 2) {
          clearInterval(tick);
          resolve();
        } else if (Date.now() - t0 > 10_000) {
          clearInterval(tick);
          reject(new Error('the two halves did not run side by side'));
        }
      }, 5);
    });
  const runner = {
    run: (async (
      job: string,
      p: { nClasses: number; teacher: object; dir: string; half: 0 | 1; count: number; saveTo?: string; initFrom?: string },
      o: { onProgress?: (q: { stage: string; done: number; total: number }) => void },
    ) => {
      if (job === 'fitAudio')
        return stubHead(p.nClasses, 4, { estimatedAccuracy: teacherEstimate, trainedOn: { rows: 4, heldOut: 4, folds: 2 } });
      if (job === 'judgeAudioStudent') {
        events.push(`judge ${p.half} start`);
        judgesStarted++;
        judgeParams.push({ half: p.half, count: p.count, ...(p.saveTo ? { saveTo: p.saveTo } : {}) });
        if (p.saveTo) {
          fs.mkdirSync(p.saveTo, { recursive: true });
          fs.writeFileSync(path.join(p.saveTo, 'student.json'), '{}');
        }
        o.onProgress?.({ stage: 'train', done: 5, total: 10 });
        // Each half waits for the other: they run side by side (a hang fails the test).
        await bothStarted();
        events.push(`judge ${p.half} end`);
        // The half's two labels: the teacher right on class 1 and unsure and wrong on class 0.
        const index = Int32Array.from(p.half === 0 ? [0, 1] : [2, 3]);
        const labels = Int32Array.from(index, yOf);
        const teacher = Float32Array.from(Array.from(labels).flatMap((c) => (c === 0 ? [0.45, 0.55] : [0.1, 0.9])));
        const studentRow = (c: number): number[] => {
          if (judgingStudentMostly && p.half === 1 && c === 0) return [0.4, 0.6];
          if (judgingStudentRight) return c === 0 ? [0.9, 0.1] : [0.1, 0.9];
          return c === 0 ? [0.02, 0.98] : [0.98, 0.02];
        };
        const student = Float32Array.from(Array.from(labels).flatMap(studentRow));
        return { index, labels, teacher, student, seconds: 2 };
      }
      assert.equal(job, 'fitAudioStudent');
      events.push('student start');
      studentInit.push(p.initFrom);
      fs.mkdirSync(p.dir, { recursive: true });
      fs.writeFileSync(path.join(p.dir, 'student.json'), '{}');
      // The job's own verdict, on labels its teacher saw: flattering.
      const heldOut = { labels: 4, head: { accuracy: 0.75, logLoss: 0.6 }, student: { accuracy: 1 }, mean: { accuracy: 1, logLoss: 0.2 } };
      return {
        ...p.teacher,
        estimatedAccuracy: 1,
        student: { dir: p.dir, rows: 24, steps: 200, seconds: 1, warm: false, weight: 0.5, temperature: 1, kept: true, heldOut },
      };
    }) as never,
  };
  const ctx = { root, paths, config: { ...DEFAULT_CONFIG, seed: 1 }, pool, runner } as never;
  const data = { kind: 'audio' as const, spec: new SharedArrayBuffer(4), n, frames: 1, mels: 1 };
  const head = audioPlugin.ownHead!;
  const state = (await head.fit(ctx, data, train, 2, {
    onProgress: (q: (typeof progress)[number]) => progress.push(q),
  })) as AudioHeadStateLike;
  assert.deepEqual(events.slice(0, 2).sort(), ['judge 0 start', 'judge 1 start']);
  assert.deepEqual(events.slice(2).sort(), ['judge 0 end', 'judge 1 end'], 'the student the verdict left out was never trained');
  judgeParams.sort((a, b) => a.half - b.half);
  let judgedDir = judgeParams[0].saveTo ?? '';
  assert.equal(path.dirname(judgedDir), paths.models);
  assert.match(path.basename(judgedDir), /^audio-judged-/);
  assert.deepEqual(
    judgeParams,
    [
      { half: 0, count: 24, saveTo: judgedDir },
      { half: 1, count: 24 },
    ],
    'with no earlier student, half 0 keeps its judging student for the real one to start from',
  );
  // One bar for both halves: their steps summed.
  assert.deepEqual(
    progress.map((q) => [q.done, q.total]),
    [
      [5, 20],
      [10, 20],
    ],
  );
  assert.match(progress[0].message ?? '', /judging/);
  const st = state.student!;
  assert.equal(st.judge, 'cross-fitted');
  assert.equal(st.kept, false);
  assert.equal(st.dir, '', 'no model');
  assert.equal(st.steps, 0);
  assert.equal(st.rows, 24);
  assert.equal(st.heldOut.labels, 4);
  assert.equal(st.heldOut.student.accuracy, 0);
  assert.equal(st.judgeSeconds, 2);
  assert.equal(state.estimatedAccuracy, 0.75, "the teacher's estimate");
  assert.equal(head.chosen!(state as never)?.name, 'all/linear');
  assert.deepEqual(
    head.chosen!(state as never)?.candidates.map((c) => c.name),
    ['all/linear on half the labels', 'student (cross-fitted)', 'all/linear + student (cross-fitted)'],
  );
  assert.equal(fs.existsSync(paths.models) && fs.readdirSync(paths.models).some((f) => f.startsWith('audio-student-')), false);
  assert.equal(fs.existsSync(judgedDir), false, 'the judging student of a verdict that left the student out is removed');
  // The same labels again: the saved state, nothing run.
  events.length = 0;
  await head.fit(ctx, data, train, 2, {});
  assert.equal(events.length, 0);
  // A round that only adds accepted clips (the same human labels): the saved verdict, no judging, and still no student.
  const grown = {
    index: Int32Array.from([...rows, 28, 29]),
    y: Int32Array.from([...rows, 28, 29], yOf),
    weight: new Float32Array(30).fill(1),
    holdout: Uint8Array.from([...rows, 28, 29], (i) => (human.includes(i) ? 1 : 0)),
  };
  const next = (await head.fit(ctx, data, grown, 2, {})) as AudioHeadStateLike;
  assert.equal(events.length, 0, 'no judging job, no student');
  assert.equal(next.student!.judge, 'cross-fitted');
  assert.deepEqual(next.student!.heldOut, st.heldOut);
  // Judged again (the saved verdict removed) with judging students that correct the teacher: kept, and only then trained.
  for (const f of fs.readdirSync(paths.cache).filter((f) => f.startsWith('audio-verdict-') || f.startsWith('audio-student-')))
    fs.rmSync(path.join(paths.cache, f));
  judgingStudentRight = true;
  judgesStarted = 0;
  judgeParams.length = 0;
  const kept = (await head.fit(ctx, data, grown, 2, {})) as AudioHeadStateLike;
  assert.deepEqual(events.slice(0, 2).sort(), ['judge 0 start', 'judge 1 start']);
  assert.deepEqual(events.slice(2, 4).sort(), ['judge 0 end', 'judge 1 end']);
  assert.deepEqual(events.slice(4), ['student start'], 'the real student after the verdict');
  judgedDir = judgeParams.find((j) => j.half === 0)?.saveTo ?? '';
  assert.match(path.basename(judgedDir), /^audio-judged-/);
  assert.equal(judgeParams.find((j) => j.half === 1)?.saveTo, undefined, 'half 1 keeps nothing');
  assert.deepEqual(studentInit, [judgedDir], "it starts from half 0's judging student");
  assert.equal(fs.existsSync(judgedDir), false, 'which is removed once the real student is trained');
  assert.equal(kept.student!.kept, true);
  assert.equal(kept.student!.judge, 'cross-fitted', "the verdict's, not the job's flattered one");
  assert.equal(kept.student!.heldOut.student.accuracy, 1);
  assert.ok(kept.student!.dir.startsWith(paths.models));
  assert.equal(head.chosen!(kept as never)?.name, 'all/linear + student');
  // A saved verdict of the wrong shape is judged again, never trusted.
  const { savedHalves } = await import('../../src/core/modalities/audio/verdict');
  const vFile = fs.readdirSync(paths.cache).find((f) => f.startsWith('audio-verdict-'))!;
  const saved = JSON.parse(fs.readFileSync(path.join(paths.cache, vFile), 'utf8')) as { halves: { teacher: number[]; labels: number[] }[] };
  assert.equal(savedHalves(saved, 2)?.length, 2);
  assert.equal(savedHalves(saved, 3), undefined, 'another number of classes');
  assert.equal(savedHalves({ ...saved, version: 1 }, 2), undefined, 'judged before the students predicted from fixed views');
  assert.equal(savedHalves({ ...saved, halves: [saved.halves[0]] }, 2), undefined, 'one half');
  assert.equal(
    savedHalves({ ...saved, halves: [{ ...saved.halves[0], labels: [0, 7] }, saved.halves[1]] }, 2),
    undefined,
    'a class out of range',
  );
  assert.equal(savedHalves({ ...saved, halves: [{ ...saved.halves[0], teacher: [0.5] }, saved.halves[1]] }, 2), undefined, 'short rows');
  assert.equal(savedHalves(null, 2), undefined);
  fs.writeFileSync(path.join(paths.cache, vFile), '{"version":1,"halves":"no"}');
  events.length = 0;
  judgesStarted = 0;
  judgeParams.length = 0;
  const third = { ...grown, holdout: Uint8Array.from(grown.holdout) };
  third.y = Int32Array.from(grown.y);
  third.y[29] = 0; // another accepted label: another student
  await head.fit(ctx, data, third, 2, {});
  assert.equal(events.filter((e) => e.startsWith('judge') && e.endsWith('start')).length, 2, 'judged again');
  assert.equal(judgeParams.filter((j) => j.saveTo).length, 0, 'with an earlier student, no judging student is kept');
  assert.equal(studentInit.length, 2);
  assert.equal(studentInit[1], kept.student!.dir, 'the new student starts from the last one');
  // No earlier student, and judging students kept but far under the teacher's own estimate (0.75 against 0.9): the
  // real student is trained from scratch, not from a judging student taught by a much weaker head.
  const { JUDGED_START_GAP } = await import('../../src/core/modalities/audio/verdict');
  assert.ok(0.75 < 0.9 - JUDGED_START_GAP && 0.75 >= 0.75 - JUDGED_START_GAP);
  for (const f of fs.readdirSync(paths.cache).filter((f) => f.startsWith('audio-'))) fs.rmSync(path.join(paths.cache, f));
  for (const f of fs.readdirSync(paths.models).filter((f) => f.startsWith('audio-')))
    fs.rmSync(path.join(paths.models, f), { recursive: true });
  judgingStudentMostly = true;
  teacherEstimate = 0.9;
  judgeParams.length = 0;
  judgesStarted = 0;
  const far = (await head.fit(ctx, data, third, 2, {})) as AudioHeadStateLike;
  assert.equal(far.student!.kept, true, 'the verdict keeps it');
  assert.equal(far.student!.heldOut.student.accuracy, 0.75);
  assert.ok(judgeParams.find((j) => j.half === 0)?.saveTo, 'half 0 kept its judging student');
  assert.equal(studentInit.length, 3);
  assert.equal(studentInit[2], undefined, 'trained from scratch');
  assert.equal(fs.readdirSync(paths.models).filter((f) => f.startsWith('audio-judged-')).length, 0, 'the judging student removed');
});

test('the plugin head: a judging half that fails stops the other, no student is trained, and the error reaches the caller', async () => {
  const { audioPlugin } = await import('../../src/core/modalities/audio/plugin');
  const { workspacePaths } = await import('../../src/core/paths');
  const { DEFAULT_CONFIG } = await import('../../src/core/config');
  const paths = workspacePaths(path.join(tmp, 'cross-fail-ws'));
  fs.mkdirSync(paths.cache, { recursive: true });
  const n = 24;
  const pool = Array.from({ length: n }, (_, i) => ({ id: `c${i}.wav`, path: `c${i}.wav`, hash: `f${i}`, duration: 1 })) as never[];
  const rows = [...Array(n).keys()];
  const train = {
    index: Int32Array.from(rows),
    y: Int32Array.from(rows, (i) => i % 2),
    weight: new Float32Array(n).fill(1),
    holdout: Uint8Array.from(rows, (i) => (i < 4 ? 1 : 0)),
  };
  let otherAborted = false;
  let studentRan = false;
  const runner = {
    run: (async (job: string, p: { nClasses: number; half: number }, o: { signal: AbortSignal }) => {
      if (job === 'fitAudio') return stubHead(p.nClasses, 4, { trainedOn: { rows: 4, heldOut: 4, folds: 2 } });
      if (job === 'fitAudioStudent') studentRan = true;
      if (job === 'judgeAudioStudent' && p.half === 1) throw new Error(`judging half ${p.half} ran out of memory`);
      // Half 0 runs until it is stopped.
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('the other half was never stopped')), 10_000);
        o.signal.addEventListener('abort', () => {
          clearTimeout(t);
          otherAborted = true;
          resolve();
        });
      });
      throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    }) as never,
  };
  const ctx = { root: paths.root, paths, config: { ...DEFAULT_CONFIG, seed: 1 }, pool, runner } as never;
  const data = { kind: 'audio' as const, spec: new SharedArrayBuffer(4), n, frames: 1, mels: 1 };
  await assert.rejects(audioPlugin.ownHead!.fit(ctx, data, train, 2, {}), /judging half 1 ran out of memory/);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(otherAborted, true);
  assert.equal(studentRan, false);
  assert.deepEqual(
    fs.readdirSync(paths.cache).filter((f) => f.startsWith('audio-verdict-') || f.startsWith('audio-student-')),
    [],
    'nothing saved',
  );
});

test('the student learns the accepted clips, is judged cross-fitted by human labels neither it nor its teacher saw, and predicts with the head when kept', async () => {
  await initBackend('wasm');
  const { fitAudioHead, fitAudioStudent, predictAudioHead } = await import('../../src/core/modalities/audio/head');
  const { studentRows } = await import('../../src/core/train/student');
  const { studentSteps, AUDIO_STUDENT_DEFAULTS } = await import('../../src/core/modalities/audio/student');
  const { judgeAudioStudentHalf, judgingSteps } = await import('../../src/core/modalities/audio/head');
  const { crossVerdict, withCrossVerdict } = await import('../../src/core/modalities/audio/verdict');
  const argmax3 = (P: Float32Array, a: number) => [0, 1, 2].reduce((b, c) => (P[a * 3 + c] > P[a * 3 + b] ? c : b), 0);
  const n = 90;
  const pool = dataset(n, 300);
  const spec = specOf(pool.clips);
  const human = [...Array(18).keys()]; // 6 per class
  const accepted = [...Array(n).keys()].filter((i) => i >= 18); // right, as a no-review round's proposals mostly are
  const train = {
    index: Int32Array.from([...human, ...accepted]),
    y: Int32Array.from([...human, ...accepted], (i) => pool.y[i]),
    weight: new Float32Array(n).fill(1),
    holdout: Uint8Array.from([...human.map(() => 1), ...accepted.map(() => 0)]),
  };
  assert.deepEqual(Array.from(studentRows(train).rows), accepted, 'the student learns the rows no person labelled');
  const d = { spec, n, frames, mels: AUDIO_MELS };
  const teacher = await fitAudioHead({ ...d, train, nClasses: 3, seed: 1, encoders: [] });
  assert.equal(teacher.student, undefined);
  const dir = path.join(tmp, 'models', 'audio-student-a');
  const progress: number[] = [];
  const state = await fitAudioStudent({
    ...d,
    teacher,
    train,
    nClasses: 3,
    seed: 1,
    dir,
    onProgress: (p) => p.message === 'audio student' && progress.push(p.done),
  });
  const st = state.student!;
  assert.ok(st, 'a student was trained');
  assert.equal(st.rows, accepted.length);
  assert.equal(st.steps, studentSteps(accepted.length));
  assert.equal(st.warm, false);
  assert.ok(progress.length >= 5 && progress[progress.length - 1] === st.steps, 'progress up to the last step');
  assert.ok(fs.existsSync(path.join(dir, 'student.json')), 'its model is saved');
  // It predicts from the mean of its fixed views (test-time augmentation), not from the clip alone.
  {
    const tf = await import('@tensorflow/tfjs');
    const { predictAudioStudent, studentViews } = await import('../../src/core/modalities/audio/student');
    const { fixedViews, standardizeInto } = await import('../../src/core/modalities/audio/spec');
    const { loadModel } = await import('../../src/core/models/checkpoint');
    const few = 12;
    const sub = { spec: spec.subarray(0, few * frames * AUDIO_MELS), n: few, frames, mels: AUDIO_MELS };
    const got = await predictAudioStudent(dir, sub, 3);
    const model = await loadModel(dir, 'student');
    const per = frames * AUDIO_MELS;
    const views = studentViews(frames);
    assert.equal(views.length, 7);
    const want = new Float32Array(few * 3);
    const alone = new Float32Array(few * 3);
    for (const [k, v] of views.entries()) {
      const x = fixedViews(sub.spec, few, frames, AUDIO_MELS, v);
      const z = new Float32Array(few * per);
      for (let i = 0; i < few; i++) standardizeInto(x, i * per, per, z, i * per);
      const p = tf.tidy(() =>
        tf.softmax(model.predict(tf.tensor4d(z, [few, frames, AUDIO_MELS, 1])) as import('@tensorflow/tfjs').Tensor2D).dataSync(),
      );
      for (let i = 0; i < p.length; i++) want[i] += p[i] / views.length;
      if (k === 0) alone.set(p);
    }
    model.dispose();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `row ${Math.floor(i / 3)}: ${got[i]} vs ${want[i]}`);
    assert.ok(
      alone.some((p, i) => Math.abs(p - got[i]) > 1e-4),
      'the views change the probabilities',
    );
  }
  // In the job, judged on the head's 18 held-out human labels (flattered: its teacher saw them).
  assert.equal(st.judge, undefined);
  assert.equal(st.heldOut.labels, 18);
  // Cross-fitted (jobs judgeAudioStudent, beside it): each half of the human labels judged by a teacher fitted on the
  // other half and a judging student taught by that teacher's surest clips, neither of which saw it.
  // Half 0 keeps its judging student where asked (the real student starts from it when there is no earlier one).
  const judgedDir = path.join(tmp, 'models', 'audio-judged-a');
  const maybe = await Promise.all(
    ([0, 1] as const).map((half) =>
      judgeAudioStudentHalf({
        ...d,
        teacher,
        train,
        nClasses: 3,
        seed: 1,
        half,
        count: accepted.length,
        ...(half === 0 ? { saveTo: judgedDir } : {}),
      }),
    ),
  );
  assert.ok(fs.existsSync(path.join(judgedDir, 'student.json')), 'half 0 kept its judging student');
  const halves = maybe.filter((h) => h !== null);
  assert.equal(halves.length, 2, 'both halves judged');
  const judgedRows = [...halves[0].index, ...halves[1].index].sort((a, b) => a - b);
  assert.deepEqual(judgedRows, human, 'every human label judged once');
  for (const h of halves) {
    assert.equal(h.teacher.length, h.index.length * 3);
    assert.equal(h.student.length, h.index.length * 3);
    h.labels.forEach((c, a) => assert.equal(c, pool.y[h.index[a]]));
    for (let a = 0; a < h.index.length; a++) {
      assert.ok(Math.abs(h.student[a * 3] + h.student[a * 3 + 1] + h.student[a * 3 + 2] - 1) < 1e-4);
      assert.ok(Math.abs(h.teacher[a * 3] + h.teacher[a * 3 + 1] + h.teacher[a * 3 + 2] - 1) < 1e-4);
    }
  }
  const judgedRight = halves.reduce((x, h) => x + Array.from(h.labels).filter((c, a) => argmax3(h.student, a) === c).length, 0);
  assert.ok(
    judgedRight >= 12,
    `a judging student (half the labels' teacher, ${judgingSteps(accepted.length)} steps) still hears the courses in time`,
  );
  const cross = withCrossVerdict(teacher, state, crossVerdict(halves, 3));
  const cs = cross.student!;
  assert.equal(cs.judge, 'cross-fitted');
  assert.equal(cs.dir, st.dir, 'the real student predicts; the judging ones are thrown away');
  assert.equal(cs.heldOut.labels, 18);
  assert.equal(
    cs.kept,
    cs.heldOut.mean.accuracy >= cs.heldOut.head.accuracy &&
      cs.heldOut.student.accuracy >= cs.heldOut.head.accuracy &&
      cs.heldOut.mean.logLoss < cs.heldOut.head.logLoss,
  );
  // The real pair's temperature: the judging pairs', moved by the real teacher's over the half-label teachers'.
  const { crossFittedVerdict, transferTemperature } = await import('../../src/core/train/student');
  const judged = crossFittedVerdict(halves, 3);
  assert.equal(cs.judgedTemperature, judged.temperature);
  assert.equal(
    cs.temperature,
    transferTemperature(judged.temperature, teacher.classifier.temperature, judged.teacherTemperature, cs.weight),
  );
  if (cs.kept) {
    assert.equal(cross.temperature, cs.temperature, 'the state predicts at the moved temperature');
    assert.equal(cross.estimatedAccuracy, cs.heldOut.mean.accuracy);
    assert.deepEqual(
      [...cross.oof!.index].sort((a, b) => a - b),
      human,
    );
  } else assert.equal(cross.estimatedAccuracy, teacher.estimatedAccuracy);
  assert.ok(isAudioHeadState(JSON.parse(JSON.stringify(cross))));
  assert.ok(st.heldOut.student.accuracy >= 0.8, `the student tells the courses in time apart: ${st.heldOut.student.accuracy}`);
  assert.equal(
    st.kept,
    st.heldOut.mean.accuracy >= st.heldOut.head.accuracy &&
      st.heldOut.student.accuracy >= st.heldOut.head.accuracy &&
      st.heldOut.mean.logLoss < st.heldOut.head.logLoss,
    'kept exactly when the mean and the student alone are as accurate and the mean fits better',
  );
  if (st.kept) assert.equal(state.estimatedAccuracy, st.heldOut.mean.accuracy);
  else assert.equal(state.estimatedAccuracy, teacher.estimatedAccuracy);
  const back = JSON.parse(JSON.stringify(state)) as unknown;
  assert.ok(isAudioHeadState(back));
  assert.equal(isAudioHeadState({ ...state, student: { ...st, weight: 2 } }), false);
  assert.equal(isAudioHeadState({ ...state, student: { ...st, dir: 3 } }), false);
  // Kept, the model predicts with the mean of both: other clips, rows summing to 1, mostly right. A verdict that
  // was not cross-fitted (a state saved before it) caps the mean by the head; a cross-fitted one does not.
  const forced = { ...state, student: { ...st, kept: true, judge: undefined } };
  const crossKept = { ...state, student: { ...st, kept: true, judge: 'cross-fitted' as const } };
  const test = dataset(30, 1900);
  const td = { spec: specOf(test.clips), n: 30, frames, mels: AUDIO_MELS };
  const probs = await predictAudioHead(forced, td);
  const uncappedProbs = await predictAudioHead(crossKept, td);
  const headOnly = await predictAudioHead({ ...state, student: { ...st, kept: false } }, td);
  const { predictAudioStudent } = await import('../../src/core/modalities/audio/student');
  const sp = await predictAudioStudent(st.dir, td, 3);
  /** Row i of the mean before the cap, as log-probabilities (same order). */
  const meanUncapped = (i: number) =>
    [0, 1, 2].map((c) => Math.log(Math.max(1e-12, (1 - st.weight) * headOnly[i * 3 + c] + st.weight * sp[i * 3 + c])) / st.temperature);
  let right = 0;
  let differ = 0;
  for (let i = 0; i < 30; i++) {
    const p = [0, 1, 2].map((c) => probs[i * 3 + c]);
    assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-4);
    const top = p.indexOf(Math.max(...p));
    if (top === test.y[i]) right++;
    // A proposal needs the head's support: no more confident than the head in that class.
    assert.ok(
      p[top] <= Math.max(headOnly[i * 3 + top], 1 / 3 + 0.01) + 1e-5,
      `row ${i}: ${p[top]} over the head's ${headOnly[i * 3 + top]}`,
    );
    const uncapped = meanUncapped(i);
    assert.equal(top, uncapped.indexOf(Math.max(...uncapped)), `row ${i}: the cap keeps the mean's label`);
    const z = uncapped.reduce((a, v) => a + Math.exp(v), 0);
    for (let c = 0; c < 3; c++)
      assert.ok(Math.abs(uncappedProbs[i * 3 + c] - Math.exp(uncapped[c]) / z) < 1e-4, `row ${i}: the cross-fitted mean, uncapped`);
    for (let c = 0; c < 3; c++) if (Math.abs(probs[i * 3 + c] - headOnly[i * 3 + c]) > 1e-3) differ++;
  }
  assert.ok(right >= 25, `head + student: ${right}/30`);
  assert.ok(differ > 0, 'the student changes the probabilities');
  // The next round (more accepted clips) starts from it: fewer steps, at half the rate.
  const next = await fitAudioStudent({
    ...d,
    teacher: state,
    train,
    nClasses: 3,
    seed: 1,
    dir: path.join(tmp, 'models', 'b'),
    initFrom: dir,
  });
  assert.equal(next.student!.warm, true);
  assert.equal(
    next.student!.steps,
    Math.max(AUDIO_STUDENT_DEFAULTS.minSteps, Math.ceil(studentSteps(accepted.length) * AUDIO_STUDENT_DEFAULTS.warmShare)),
  );
  // The first real student starts from half 0's judging student, which has the same shape.
  const fromJudged = await fitAudioStudent({
    ...d,
    teacher,
    train,
    nClasses: 3,
    seed: 1,
    dir: path.join(tmp, 'models', 'e'),
    initFrom: judgedDir,
  });
  assert.equal(fromJudged.student!.warm, true);
  // Too few accepted clips (under 10 a class): the head alone, no student trained.
  const few = { ...train, holdout: Uint8Array.from(train.holdout, (_, k) => (k < n - 9 ? 1 : 0)) };
  const alone = await fitAudioStudent({ ...d, teacher, train: few, nClasses: 3, seed: 1, dir: path.join(tmp, 'models', 'c') });
  assert.equal(alone.student, undefined);
  assert.equal(fs.existsSync(path.join(tmp, 'models', 'c')), false);
  // Its model gone, a kept student says so.
  fs.rmSync(dir, { recursive: true });
  await assert.rejects(predictAudioHead(forced, td), /audio student's model is missing .*train again/);
});
