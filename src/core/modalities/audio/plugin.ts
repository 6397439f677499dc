/**
 * The audio modality's host face (no tfjs): the scan's reader of .wav .flac .mp3 .ogg .opus files (./scan.ts), and
 * `load`: log-mel spectrograms of the clips computed in the workers (decoding and resampling there too), straight into
 * shared memory with each clip's voice features (./voice.ts), both cached by content hash under .selflabel/cache. Pretext tasks: contrastive views and masked-frame
 * reconstruction, one worker each (./pretrain.ts). The worker face is ./worker.ts; ./index.ts is the library.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Item, Progress } from '../../types';
import type { AudioData, TrainSet } from '../../../protocol/jobs';
import type { FailedItem, ModalityContext, ModalityPlugin, OwnHead, StageOptions } from '../types';
import { readArrayFile, readJson, writeArrayFile, writeJson } from '../../util/files';
import { decodeInWorkers } from '../workerRows';
import { isHumanLabel } from '../../train/crossval';
import { candidateName, isAudioHeadState, stateName, type AudioHeadState, type JudgedHalf } from './headState';
import { crossVerdict, savedHalves, startsFromJudged, verdictJson, withCrossVerdict, withoutStudent } from './verdict';
import { enoughForStudent, studentRows } from '../../train/student';
import { AUDIO_MELS, audioFrames, clipSecondsOf } from './features';
import { AUDIO_EXTENSIONS, scanAudioFile } from './scan';
import { audioMedia, audioThumbnail } from './preview';
import { VOICE_DIM, VOICE_VERSION } from './voice';

export const AUDIO_TASKS = ['contrastive', 'masked'] as const;

/** The encoder's input: clip seconds (setting or median clip), frames and mel bands. */
export function audioGeometry(ctx: Pick<ModalityContext, 'config' | 'pool'>): { seconds: number; frames: number; mels: number } {
  const seconds = clipSecondsOf(ctx.config.audioClipSeconds, ctx.pool);
  return { seconds, frames: audioFrames(seconds), mels: AUDIO_MELS };
}

async function loadSpectrograms(
  ctx: ModalityContext,
  root: string,
  items: readonly Item[],
  opts: StageOptions & { cache: boolean },
): Promise<{ data: AudioData; failed: FailedItem[] }> {
  const { seconds, frames, mels } = audioGeometry(ctx);
  const per = frames * mels;
  const n = items.length;
  const sab = new SharedArrayBuffer(Math.max(4, n * per * 4));
  const out = new Float32Array(sab);
  const voiceSab = new SharedArrayBuffer(Math.max(4, n * VOICE_DIM * 4));
  const voice = new Float32Array(voiceSab);
  const base = path.join(ctx.paths.cache, `audio-mel-${seconds}s-${mels}`);
  const voiceBase = path.join(ctx.paths.cache, `audio-voice-${seconds}s-v${VOICE_VERSION}`);
  const missing: number[] = [];
  if (opts.cache) {
    // Two caches by content hash, the log-mel and the voice features: a clip missing from either is computed again.
    const rows = async (file: string, width: number) => {
      const cached = await readArrayFile<{ hashes: string[]; per: number }>(file);
      const rowOf = new Map<string, number>();
      if (cached && cached.meta.per === width) cached.meta.hashes.forEach((h, i) => h && rowOf.set(h, i));
      const src = cached ? new Float32Array(cached.bytes.buffer, cached.bytes.byteOffset, cached.bytes.byteLength / 4) : undefined;
      return { rowOf, src };
    };
    const mel = await rows(base, per);
    const vc = await rows(voiceBase, VOICE_DIM);
    for (let i = 0; i < n; i++) {
      if (i % 5000 === 4999) await new Promise<void>((r) => setImmediate(r));
      const r = mel.rowOf.get(items[i].hash);
      const v = vc.rowOf.get(items[i].hash);
      if (r !== undefined && mel.src && v !== undefined && vc.src) {
        out.set(mel.src.subarray(r * per, (r + 1) * per), i * per);
        voice.set(vc.src.subarray(v * VOICE_DIM, (v + 1) * VOICE_DIM), i * VOICE_DIM);
      } else missing.push(i);
    }
  } else {
    for (let i = 0; i < n; i++) missing.push(i);
  }
  let failed: FailedItem[] = [];
  if (missing.length) {
    const scratch = new SharedArrayBuffer(missing.length * per * 4);
    const voiceScratch = new SharedArrayBuffer(missing.length * VOICE_DIM * 4);
    failed = await decodeInWorkers(
      ctx,
      items,
      missing,
      { signal: opts.signal, onProgress: opts.onProgress, minRows: 64 },
      (part, offset, run) =>
        ctx.runner.run('audioFeatures', { root, items: part, seconds, frames, mels, out: scratch, offset, voice: voiceScratch }, run),
    );
    const src = new Float32Array(scratch);
    const vsrc = new Float32Array(voiceScratch);
    missing.forEach((i, k) => {
      out.set(src.subarray(k * per, (k + 1) * per), i * per);
      voice.set(vsrc.subarray(k * VOICE_DIM, (k + 1) * VOICE_DIM), i * VOICE_DIM);
    });
    if (opts.cache && root === ctx.root) {
      const bad = new Set(failed.map((f) => f.id));
      const hashes = items.map((it) => (bad.has(it.id) ? '' : it.hash));
      await writeArrayFile(base, out, { hashes, per, seconds, frames, mels });
      await writeArrayFile(voiceBase, voice, { hashes, per: VOICE_DIM, seconds });
    }
  }
  return { data: { kind: 'audio', spec: sab, n, frames, mels, voice: voiceSab }, failed };
}

/** Checkpoint folders of the pretext encoders saved so far (the audio head joins their embeddings as a candidate), and their versions. */
async function savedEncoders(ctx: ModalityContext): Promise<{ dirs: string[]; versions: string[] }> {
  const dirs: string[] = [];
  const versions: string[] = [];
  for (const task of AUDIO_TASKS) {
    const dir = ctx.paths.checkpoint(task);
    const state = await readJson<{ savedAt?: string }>(path.join(dir, 'state.json'));
    if (state?.savedAt) {
      dirs.push(dir);
      versions.push(`${task}@${state.savedAt}`);
    }
  }
  return { dirs, versions };
}

/**
 * What the audio head's fit depends on: the pool (item hashes, in order), the human labels (the head learns from
 * those alone), the classes, the seed, the clip geometry and the encoders' versions. A no-review round with the same
 * human labels gets the saved state back instead of fitting the same model again (5,000 clips: 0.3 of the run).
 * `v` changes with the head's fit (4: the spread candidates' hidden layer and 10 neighbours), so an older saved state is
 * fitted anew.
 */
function headKey(ctx: ModalityContext, train: TrainSet, nClasses: number, encoders: string[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: 4, nClasses, seed: ctx.config.seed, geometry: audioGeometry(ctx), encoders }));
  for (const it of ctx.pool) h.update(`${it.hash}\n`);
  for (let k = 0; k < train.index.length; k++) {
    if (!isHumanLabel(train, k)) continue;
    h.update(`${train.index[k]}:${train.y[k]}:${train.weight[k]};`);
  }
  return h.digest('hex').slice(0, 24);
}

/**
 * What the student's fit depends on beyond the head's (headKey): the rows no person labelled, which it learns from.
 * None of them (round 1, or nothing accepted yet): no student.
 */
function studentKey(headName: string, train: TrainSet): string | undefined {
  const h = createHash('sha256');
  // v2: the cross-fitted verdict; v3: its temperature moved to the real pair's; v4: the student predicts from fixed views
  h.update(`v4 ${headName}\n`);
  let rows = 0;
  for (let k = 0; k < train.index.length; k++) {
    if (isHumanLabel(train, k)) continue;
    h.update(`${train.index[k]}:${train.y[k]};`);
    rows++;
  }
  return rows ? h.digest('hex').slice(0, 24) : undefined;
}

/** Removes the entries of `dir` named `prefix`… other than `keep` (the saved states and student folders but the last). */
async function prune(dir: string, prefix: string, keep: string): Promise<void> {
  for (const f of await fs.readdir(dir).catch(() => [] as string[]))
    if (f.startsWith(prefix) && f !== keep) await fs.rm(path.join(dir, f), { force: true, recursive: true });
}

/**
 * The audio head (./head.ts, in a worker): utterance features of the clips (denoised MFCC statistics, the word's
 * course in time, the spectrum's shape), alone or with the encoders' embeddings, spread over the pool's kNN graph or
 * on the labels alone, chosen by the held-out human labels. Always on: it never does worse than its utterance-only
 * candidates, and it trains without pretraining.
 */
const audioHead: OwnHead<'audio', AudioHeadState> = {
  name: 'audio-head',
  enabled: () => true,
  isState: isAudioHeadState,
  fit: async (ctx, data, train, nClasses, opts) => {
    const enc = await savedEncoders(ctx);
    const name = `audio-head-${headKey(ctx, train, nClasses, [...enc.dirs, ...enc.versions])}.json`;
    const file = path.join(ctx.paths.cache, name);
    const whole = data.n === ctx.pool.length;
    const saved = whole ? await readJson<unknown>(file) : undefined;
    let teacher: AudioHeadState;
    if (isAudioHeadState(saved)) teacher = saved;
    else {
      teacher = await ctx.runner.run(
        'fitAudio',
        { data, train, nClasses, seed: ctx.config.seed, encoders: enc.dirs },
        { signal: opts.signal, onProgress: opts.onProgress },
      );
      if (whole) {
        // One saved state: the last one.
        await prune(ctx.paths.cache, 'audio-head-', name);
        await writeJson(file, teacher);
      }
    }
    // The student, from the labels no person gave (accepted proposals): one saved state and folder, the last.
    const sk = whole ? studentKey(name, train) : undefined;
    if (!sk) return teacher;
    const sName = `audio-student-${sk}`;
    const sFile = path.join(ctx.paths.cache, `${sName}.json`);
    const sSaved = await readJson<unknown>(sFile);
    // Its model must still be there (predicting reads it): a state whose folder is gone is fitted again.
    const modelThere = async (dir: string) =>
      fs.access(path.join(dir, 'student.json')).then(
        () => true,
        () => false,
      );
    // A student the verdict left out was never trained: its record alone is the state.
    if (isAudioHeadState(sSaved) && sSaved.student && (!sSaved.student.kept || (await modelThere(sSaved.student.dir)))) return sSaved;
    // The last student (the accepted labels grew by a round's proposals since): the new one starts from it.
    const last = (await fs.readdir(ctx.paths.models).catch(() => [] as string[])).find(
      (f) => f.startsWith('audio-student-') && f !== sName,
    );
    // The cross-fitted verdict first: its two halves, one a worker. The verdict is judged once per head (the human
    // labels): a round that only added accepted clips — every no-review round after the first student — reuses it.
    // Only a student it keeps is then trained (one worker); one it leaves out costs the halves alone (speakers: the
    // verdict left it out on 2 seeds of 3 in session 38, where the real student had been trained beside the halves).
    const lessons = studentRows(train);
    const count = lessons.rows.length;
    const vFile = path.join(ctx.paths.cache, name.replace(/^audio-head-/, 'audio-verdict-'));
    const reused = savedHalves(await readJson<unknown>(vFile), nClasses);
    const judging = !reused && enoughForStudent(lessons.y, nClasses);
    // With no earlier student to start from, half 0's judging student is kept, and the real one starts from it when
    // the judging students are nearly as accurate as the teacher (verdict.ts startsFromJudged): a warm start's share
    // of the steps (./student.ts warmShare) instead of a whole train from scratch after the halves.
    const judgedDir = judging && !last ? ctx.paths.checkpoint(`audio-judged-${sk}`) : undefined;
    // One bar for both halves: their steps summed. One failing half stops the other (a cancel reaches both).
    const latest: (Progress | undefined)[] = [undefined, undefined];
    const halfProgress = (half: 0 | 1) => (p: Progress) => {
      latest[half] = p;
      const [a, b] = latest;
      opts.onProgress?.({
        stage: p.stage,
        done: (a?.done ?? 0) + (b?.done ?? 0),
        total: (a?.total ?? p.total ?? 0) + (b?.total ?? p.total ?? 0),
        etaSeconds: Math.max(a?.etaSeconds ?? 0, b?.etaSeconds ?? 0),
        message: 'audio student: judging, two halves',
      });
    };
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const halves = judging
      ? await Promise.all(
          ([0, 1] as const).map((half) =>
            ctx.runner
              .run(
                'judgeAudioStudent',
                {
                  data,
                  teacher,
                  train,
                  nClasses,
                  seed: ctx.config.seed,
                  half,
                  count,
                  ...(half === 0 && judgedDir ? { saveTo: judgedDir } : {}),
                },
                { signal, onProgress: halfProgress(half) },
              )
              .catch((err: unknown) => {
                stop.abort();
                throw err;
              }),
          ),
        )
      : [];
    const judged = reused ?? halves.filter((h): h is JudgedHalf => h !== null);
    if (judging && judged.length === 2) {
      await prune(ctx.paths.cache, 'audio-verdict-', path.basename(vFile));
      await writeJson(vFile, verdictJson(judged, count));
    }
    const verdict = judged.length === 2 ? crossVerdict(judged, nClasses) : undefined;
    let state: AudioHeadState;
    if (verdict && !verdict.verdict.kept) state = withoutStudent(teacher, verdict, count);
    else {
      const fitted = await ctx.runner.run(
        'fitAudioStudent',
        {
          data,
          teacher,
          train,
          nClasses,
          seed: ctx.config.seed,
          dir: ctx.paths.checkpoint(sName),
          ...(last
            ? { initFrom: ctx.paths.checkpoint(last) }
            : judgedDir && verdict && startsFromJudged(verdict, teacher.estimatedAccuracy)
              ? { initFrom: judgedDir }
              : {}),
        },
        { signal: opts.signal, onProgress: opts.onProgress },
      );
      state = verdict ? withCrossVerdict(teacher, fitted, verdict) : fitted;
    }
    // The model predicts from its folder under models/; the state that names it is saved in the cache.
    await prune(ctx.paths.models, 'audio-student-', sName);
    await prune(ctx.paths.models, 'audio-judged-', '');
    await prune(ctx.paths.cache, 'audio-student-', `${sName}.json`);
    if (state.student) await writeJson(sFile, state);
    return state;
  },
  predict: async (ctx, state, data, opts) => (await ctx.runner.run('predictAudio', { state, data }, { signal: opts.signal })).probs,
  chosen: (s) => ({
    name: stateName(s),
    heldOut: s.trainedOn.heldOut,
    candidates: [
      ...s.candidates.map((c) => ({ name: c.name, accuracy: c.proxyAccuracy })),
      // The student's verdict: itself and its mean with the chosen candidate on the human labels it never saw; when
      // cross-fitted, beside the candidate fitted on the other half of the labels, which the mean had to beat.
      ...(s.student?.judge === 'cross-fitted'
        ? [
            { name: `${candidateName(s.chosen)} on half the labels`, accuracy: s.student.heldOut.head.accuracy },
            { name: 'student (cross-fitted)', accuracy: s.student.heldOut.student.accuracy },
            { name: `${candidateName(s.chosen)} + student (cross-fitted)`, accuracy: s.student.heldOut.mean.accuracy },
          ]
        : s.student
          ? [
              { name: 'student', accuracy: s.student.heldOut.student.accuracy },
              { name: `${candidateName(s.chosen)} + student`, accuracy: s.student.heldOut.mean.accuracy },
            ]
          : []),
    ],
  }),
};

export const audioPlugin: ModalityPlugin<'audio'> = {
  name: 'audio',
  files: { extensions: AUDIO_EXTENSIONS, read: scanAudioFile, maxFileBytes: 4 * 1024 ** 3 },
  pretextTasks: AUDIO_TASKS,
  preview: 'audio',
  thumbnail: audioThumbnail,
  media: audioMedia,
  load: loadSpectrograms,
  ownHead: audioHead,
};
