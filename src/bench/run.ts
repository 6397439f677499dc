/**
 * `runBench`: the benchmark loop. It builds a scratch workspace from any data folder (or JSONL/CSV file) plus a truth
 * CSV, then drives the Project API exactly as a user would — init, scan, pretrain, seed labels, and rounds of
 * train → propose → review (or, with --no-review, accept everything above the threshold unreviewed) — with a
 * simulated annotator who knows the truth. It measures label efficiency (human actions, proposal precision,
 * label and test accuracy per round, the final dataset's label accuracy) and speed (pretrain, embed, propose,
 * label store, scan). Nothing in here knows about a particular dataset.
 *
 * Round r: train (on every label so far) → score that model on the test items → propose → the annotator acts.
 * After the last round the model is trained once more on every label ("final"), and each pool item's label is
 * scored: its journal label if it has one, else that final model's prediction.
 */
import * as fs from 'node:fs/promises';
import * as fsSync from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Project } from '../core/project';
import type { ProjectConfig } from '../core/config';
import type { Progress } from '../core/types';
import { SimulatedAnnotator } from './annotator';
import { median, score } from './metrics';
import type { BenchOptions } from './options';
import { evaluateTargets } from './report';
import { baselineMargin, type BenchResult, type RoundResult, type StageSeconds } from './result';
import { mulberry32 } from './rng';
import { measureScanSpeed, measureStoreSpeed } from './speed';
import { readTruth, sortClasses } from './truth';
import { buildWorkspace, isRowFile, type BuiltWorkspace } from './workspace';
import { workerRunner } from '../worker/runner';
import { runPlainBaselines, type BaselineResult } from './baselines';
import { runAudioSupervisedBaseline, runSupervisedBaseline } from './baselines/supervised';
import { formatCandidates, formatCount, formatEnsembleKept, formatPriors } from '../shared/format';
import { readJson } from '../core/util/files';
import { modalityPlugins } from '../core/modalities';
import type { Modality } from '../protocol/modalities';
import type { PretrainStats } from '../protocol/jobs';
import type { TrainSummary } from '../core/project/types';

export interface BenchHooks {
  /** One line of progress (default: none). */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

const secondsSince = (t: number) => (Date.now() - t) / 1000;

/** Dataset name from the data path: the folder's name, or its parent's when it is called pool/data/train. */
export function datasetName(data: string): string {
  const abs = path.resolve(data);
  const base = path.basename(abs).replace(/\.(jsonl|ndjson|csv)$/i, '');
  return /^(pool|data|train|items|images|texts?)$/i.test(base) ? path.basename(path.dirname(abs)) : base;
}

function machine(loadStart: number): BenchResult['machine'] {
  const cpus = os.cpus();
  return {
    loadAverage: { start: loadStart, end: os.loadavg()[0] },
    nproc: os.availableParallelism?.() ?? cpus.length,
    cpu: cpus[0]?.model?.trim() || 'unknown',
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Throttled progress printer: a line per stage change, then at most one every `everyMs`. */
function progressPrinter(log: ((s: string) => void) | undefined, everyMs = 10_000) {
  let lastStage = '';
  let last = 0;
  return (p: Progress) => {
    if (!log) return;
    const now = Date.now();
    if (p.stage === lastStage && now - last < everyMs) return;
    lastStage = p.stage;
    last = now;
    const frac = p.total ? ` ${((100 * p.done) / p.total).toFixed(0)}% (${formatCount(p.done, p.total)})` : ` ${formatCount(p.done)}`;
    const eta = p.etaSeconds !== undefined ? `, ${Math.round(p.etaSeconds)} s left` : '';
    const loss = p.loss !== undefined ? `, loss ${p.loss.toFixed(3)}` : '';
    log(`  ${p.stage}${frac}${eta}${loss}${p.message ? ` — ${p.message}` : ''}`);
  };
}

async function buildSide(data: string, truthFile: string, dest: string, limit: number | undefined, seed: number) {
  const abs = path.resolve(data);
  const st = await fs.stat(abs).catch(() => undefined);
  if (!st) throw new Error(`not found: ${abs}`);
  const single = st.isFile() ? path.basename(abs) : undefined;
  if (single && !isRowFile(abs)) throw new Error(`${abs}: a data file must be .jsonl or .csv (or give a folder)`);
  const truth = await readTruth(truthFile, { singleFile: single });
  const ws = await buildWorkspace({ data: abs, truth: truth.labels, dest, limit, seed });
  return { truth, ws };
}

/**
 * The run seed that pretrained a saved encoder: task i of a modality is pretrained with the run's seed + i
 * (src/core/project/training.ts), i its place in the pool's own modality's tasks — text's `contrastive` is its second
 * task, audio's its first.
 */
export function runSeedOfEncoder(modality: Modality | undefined, task: string, encoderSeed: number): number {
  const i = modality ? modalityPlugins[modality].pretextTasks.indexOf(task) : -1;
  return encoderSeed - Math.max(0, i);
}

/** Runs one benchmark. Throws on unusable input (no data, no truth rows, no item scanned). */
export async function runBench(opts: BenchOptions, hooks: BenchHooks = {}): Promise<BenchResult> {
  const log = hooks.log;
  const t0 = Date.now();
  const started = new Date().toISOString();
  const loadStart = os.loadavg()[0];
  const warnings: string[] = [];
  const scratchRoot = path.resolve(opts.scratch ?? os.tmpdir());
  await fs.mkdir(scratchRoot, { recursive: true });
  const scratch = await fs.mkdtemp(path.join(scratchRoot, 'selflabel-bench-'));
  let project: Project | undefined;
  try {
    log?.(`[bench] scratch workspace ${scratch}`);
    const pool = await buildSide(opts.data, opts.truth, path.join(scratch, 'pool'), opts.poolLimit, opts.seed);
    let test: { truth: Awaited<ReturnType<typeof readTruth>>; ws: BuiltWorkspace } | undefined;
    if (opts.testData && opts.testTruth)
      test = await buildSide(opts.testData, opts.testTruth, path.join(scratch, 'test'), opts.testLimit, opts.seed + 1);
    const poolTruth = pool.ws.truth;
    if (!poolTruth.size) throw new Error(`none of the truth items were found in ${opts.data}`);
    const classes = sortClasses(poolTruth.values());
    if (classes.length < 2) throw new Error(`the truth names only one class (${classes.join('')}) among the pool items: need at least two`);
    log?.(
      `[bench] ${poolTruth.size} pool items (${pool.ws.files.linked} linked, ${pool.ws.files.copied} copied, ${pool.ws.files.subsets} subset files), ${classes.length} classes${test ? `, ${test.ws.truth.size} test items` : ''}`,
    );

    const overrides: Partial<ProjectConfig> = { seed: opts.seed };
    if (opts.threshold !== undefined) overrides.threshold = opts.threshold;
    if (opts.workers !== undefined) overrides.workers = opts.workers;
    if (opts.backend !== undefined) overrides.backend = opts.backend;
    if (opts.classifier !== undefined) overrides.classifier = opts.classifier;
    if (opts.imageSize !== undefined) overrides.imageSize = opts.imageSize;
    if (opts.epochs !== undefined) overrides.pretrainEpochs = opts.epochs;
    if (opts.pretrainMaxSeconds !== undefined) overrides.pretrainMaxSeconds = opts.pretrainMaxSeconds;
    project = await Project.init(pool.ws.root, classes, overrides, { runner: workerRunner });
    const p = project;
    warnings.push(...p.warnings);
    const threshold = opts.threshold ?? p.config.threshold;
    const onProgress = progressPrinter(log);
    const stage = { signal: hooks.signal, onProgress };

    // Scan, and match what the Project found against the truth.
    log?.('[bench] scan');
    const scan = await p.scan(stage);
    const scanned = p.getItems().map((it) => it.id);
    const poolIds = scanned.filter((id) => poolTruth.has(id));
    const scannedSet = new Set(scanned);
    const skippedWhy = new Map(p.getSkipped().map((s) => [s.row !== undefined ? `${s.path}#${s.row}` : s.path, s.reason]));
    const missing = [...pool.ws.missing];
    for (const id of poolTruth.keys()) {
      if (!scannedSet.has(id))
        missing.push({ id, reason: skippedWhy.get(id) ?? skippedWhy.get(id.replace(/#\d+$/, '')) ?? 'not found by the scan' });
    }
    if (!poolIds.length)
      throw new Error(
        `the scan found none of the truth items (${scan.skipped.length} skipped; e.g. ${scan.skipped
          .slice(0, 3)
          .map((s) => `${s.path}: ${s.reason}`)
          .join('; ')})`,
      );
    const unknownItems = scanned.length - poolIds.length;

    // Self-supervised pretraining (resuming the checkpoints of --pretrained-from, when given).
    if (opts.pretrainedFrom) {
      const from = path.join(path.resolve(opts.pretrainedFrom), '.selflabel', 'models');
      const tasks = (await fs.readdir(from).catch(() => [] as string[])).filter(
        (t) => !t.startsWith('finetune-') && fsSync.existsSync(path.join(from, t, 'state.json')),
      );
      if (!tasks.length) throw new Error(`--pretrained-from: no pretrained encoders in ${from}`);
      // Pretraining resumes a checkpoint of the same seed only (src/core/ssl/loop.ts; task i of a modality is pretrained
      // with seed + i): another would start over, unsaid.
      for (const t of tasks) {
        const st = (await readJson<{ seed?: unknown }>(path.join(from, t, 'state.json'))) ?? {};
        const runSeed = typeof st.seed === 'number' ? runSeedOfEncoder(p.getModality(), t, st.seed) : undefined;
        if (runSeed !== opts.seed)
          throw new Error(
            `--pretrained-from: its ${t} encoder was pretrained with seed ${String(runSeed ?? st.seed)} and this run's seed is ${opts.seed}, so pretraining would start over: give the same --seed, or leave --pretrained-from out`,
          );
      }
      for (const t of tasks) await fs.cp(path.join(from, t), path.join(pool.ws.root, '.selflabel', 'models', t), { recursive: true });
      warnings.push(
        `pretraining resumed the encoders of ${opts.pretrainedFrom} (${tasks.join(', ')}): this run's pretraining time and speed are not measurements`,
      );
      log?.(`[bench] reusing pretrained ${tasks.join(', ')} from ${from}`);
    }
    log?.(`[bench] pretrain on ${poolIds.length} items`);
    const pre = await p.pretrain({ ...stage, epochs: opts.epochs, plan: opts.pretrainPlan });
    const backend = p.backend ?? pre.backend;
    const inputs = [...new Set(pre.tasks.map((t) => t.input).filter((x) => x))];
    log?.(
      `[bench] pretrained in ${pre.seconds.toFixed(0)} s on ${backend}: ${pre.itemsPerSecond.toFixed(0)} items/s${inputs.length ? ` on ${inputs.join(', ')} inputs` : ''}`,
    );

    // The annotator, and seed labels.
    const rand = mulberry32(opts.seed);
    const annotator = new SimulatedAnnotator(poolTruth, p, rand, opts.budget ?? Infinity);
    await annotator.seed(poolIds, opts.seedPerClass);
    log?.(`[bench] ${annotator.counts.seed} seed labels`);

    const testScore = async () => {
      if (!test) return { accuracy: null, macroF1: null, seconds: 0, missing: 0 };
      const t = Date.now();
      const preds = await p.predictFolder(test.ws.root, { signal: hooks.signal });
      const map = new Map(preds.map((x) => [x.id, x.label]));
      const s = score(test.ws.truth, map);
      return { accuracy: s.accuracy, macroF1: s.macroF1, seconds: secondsSince(t), missing: s.missing };
    };
    const labelState = () => {
      const labelled = new Map<string, string>();
      for (const id of poolIds) {
        const l = p.labelOf(id);
        if (l) labelled.set(id, l.label);
      }
      return { labelled, acc: labelled.size ? score(poolTruth, labelled, labelled.keys()).accuracy : null };
    };

    const rounds: RoundResult[] = [];
    const proposeTimes: number[] = [];
    let embedRate: number | null = null;
    let testMissing = 0;
    for (let r = 1; r <= opts.rounds; r++) {
      const before = annotator.counts.human;
      const tr0 = Date.now();
      log?.(`[bench] round ${r}: train`);
      const trained = await p.train(stage);
      const trainSec = secondsSince(tr0);
      if (embedRate === null && trained.seconds.embed > 0) embedRate = poolIds.length / trained.seconds.embed;
      const ts = await testScore();
      testMissing = ts.missing;
      const tp = Date.now();
      const set = await p.propose({ threshold });
      const proposeSec = secondsSince(tp);
      proposeTimes.push(proposeSec);
      const right = set.proposals.filter((x) => poolTruth.get(x.item) === x.label).length;
      const judged = set.proposals.filter((x) => poolTruth.has(x.item)).length;
      const tv = Date.now();
      let rev = { reviewed: 0, accepted: 0, corrected: 0 };
      let auto = 0;
      let uncertain = 0;
      let suggestSec = 0;
      if (opts.noReview) {
        auto = await annotator.acceptUnreviewed(set.proposals);
      } else {
        if (opts.review > 0) rev = await annotator.review(set.proposals, opts.review);
        if (opts.uncertain > 0 && annotator.remaining > 0) {
          const tsg = Date.now();
          const sugg = await p.suggest(opts.uncertain);
          uncertain = await annotator.labelSuggested(sugg, opts.uncertain);
          suggestSec = secondsSince(tsg);
        }
      }
      const reviewSec = secondsSince(tv) - suggestSec;
      const ls = labelState();
      const seconds: StageSeconds = {
        train: trainSec,
        embed: trained.seconds.embed,
        fit: trained.seconds.fit,
        predict: trained.seconds.predict,
        test: ts.seconds,
        propose: proposeSec,
        review: reviewSec,
        suggest: suggestSec,
        total: secondsSince(tr0),
      };
      const rec: RoundResult = {
        round: r,
        humanActions: annotator.counts.human,
        roundHumanActions: annotator.counts.human - before,
        trainedOn: trained.labelled,
        pseudoLabelled: trained.pseudoLabelled,
        head: trained.head,
        modelReused: trained.reused ?? false,
        chosen: trained.chosen ?? null,
        estimatedAccuracy: trained.estimatedAccuracy ?? null,
        proposals: set.proposals.length,
        proposalPrecision: judged ? right / judged : null,
        expectedPrecision: set.proposals.length ? set.expectedPrecision : null,
        reviewed: rev.reviewed,
        accepted: rev.accepted,
        corrected: rev.corrected,
        uncertainLabelled: uncertain,
        autoAccepted: auto,
        labelledFraction: ls.labelled.size / poolIds.length,
        labelAccuracy: ls.acc,
        testAccuracy: ts.accuracy,
        testMacroF1: ts.macroF1,
        seconds,
      };
      rounds.push(rec);
      if (trained.chosen) log?.(`[bench] round ${r}: ${choiceLine(trained.chosen)}`);
      log?.(
        `[bench] round ${r}: test ${fmt(rec.testAccuracy)}, ${rec.proposals} proposals at ${fmt(rec.proposalPrecision)} precision, ` +
          `labelled ${fmt(rec.labelledFraction)} at ${fmt(rec.labelAccuracy)}, ${rec.humanActions} human actions, ${seconds.total.toFixed(0)} s`,
      );
    }

    // Every pool item's label (journal, else the current model's prediction) against the truth; pool items the scan
    // could not use count as wrong.
    const datasetScore = () => {
      const labels = new Map<string, string>();
      for (const id of poolIds) {
        const l = p.labelOf(id)?.label ?? p.predictionFor(id)?.label;
        if (l !== undefined) labels.set(id, l);
      }
      return { labels, score: score(poolTruth, labels) };
    };
    // With --finetune the classifier alone is scored first (same labels, no fine-tuning), to show what it adds.
    let beforeFinetune: { datasetLabelAccuracy: number; testAccuracy: number | null; trainSeconds: number } | null = null;
    if (opts.finetune) {
      log?.('[bench] final train without fine-tuning (for comparison)');
      const tb = Date.now();
      await p.train({ ...stage, finetune: false });
      const trainSec = secondsSince(tb);
      beforeFinetune = {
        datasetLabelAccuracy: datasetScore().score.accuracy,
        testAccuracy: (await testScore()).accuracy,
        trainSeconds: trainSec,
      };
    }
    // Final model on every label, then every pool item's label against the truth.
    log?.('[bench] final train');
    const tf = Date.now();
    const finalTrain = await p.train({ ...stage, finetune: opts.finetune });
    if (embedRate === null && finalTrain.seconds.embed > 0) embedRate = poolIds.length / finalTrain.seconds.embed;
    const trainSeconds = secondsSince(tf);
    if (finalTrain.chosen) log?.(`[bench] final train: ${choiceLine(finalTrain.chosen)}`);
    const c0 = annotator.counts;
    const ts = await testScore();
    testMissing = ts.missing;
    const { labels: finalLabels, score: dataset } = datasetScore();
    let consistent = true;
    for (const [id, rec] of annotator.labels) if (p.labelOf(id)?.label !== rec.label) consistent = false;
    if (labelState().labelled.size !== annotator.labels.size) consistent = false;
    if (!consistent) warnings.push('the label journal does not match what the simulated annotator did');
    // SelfLabel's wall time ends here: the baselines below are timed on their own.
    const wallSeconds = secondsSince(t0);
    // The Project's workers are no longer needed: stop them before the baselines start their own.
    await p.dispose();
    // Plain baselines on the same pool, test items and human labels (and, in review mode, the same budget at random).
    let baselines: BaselineResult[] = [];
    const modality = p.getModality();
    if (opts.baselines && modality) {
      log?.('[bench] baselines');
      const poolSet = new Set(poolIds);
      const human = new Map([...annotator.labels].filter(([, r]) => r.kind !== 'auto').map(([id, r]) => [id, r.label]));
      try {
        baselines = await runPlainBaselines({
          modality,
          poolRoot: pool.ws.root,
          poolItems: p.getItems().filter((it) => poolSet.has(it.id)),
          poolTruth,
          human,
          classes,
          test: test ? { root: test.ws.root, truth: test.ws.truth } : undefined,
          randomBudget: opts.noReview ? undefined : c0.human,
          textField: p.config.textField,
          imageSize: p.config.imageSize,
          channels: p.config.channels,
          audioClipSeconds: p.config.audioClipSeconds,
          audioWindows: { maxItemSeconds: p.config.audioMaxItemSeconds, windowSeconds: p.config.audioWindowSeconds },
          seed: opts.seed,
          signal: hooks.signal,
          log,
        });
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        warnings.push(`baselines not measured: ${(e as Error).message}`);
      }
      if (modality === 'audio') {
        try {
          baselines.push(
            await runAudioSupervisedBaseline({
              modality,
              poolRoot: pool.ws.root,
              poolItems: p.getItems().filter((it) => poolSet.has(it.id)),
              poolTruth,
              human,
              classes,
              test: test ? { root: test.ws.root, truth: test.ws.truth } : undefined,
              audioClipSeconds: p.config.audioClipSeconds,
              audioWindows: { maxItemSeconds: p.config.audioMaxItemSeconds, windowSeconds: p.config.audioWindowSeconds },
              backend: p.config.backend,
              itemsSeen: opts.supervisedItems,
              seed: opts.seed,
              signal: hooks.signal,
              log,
            }),
          );
        } catch (e) {
          if ((e as Error).name === 'AbortError') throw e;
          warnings.push(`supervised-encoder baseline not measured: ${(e as Error).message}`);
        }
      }
      if (modality === 'image') {
        try {
          baselines.push(
            await runSupervisedBaseline({
              modality,
              poolRoot: pool.ws.root,
              poolItems: p.getItems().filter((it) => poolSet.has(it.id)),
              poolTruth,
              human,
              classes,
              test: test ? { root: test.ws.root, truth: test.ws.truth } : undefined,
              imageSize: p.config.imageSize,
              channels: p.config.channels,
              backend: p.config.backend,
              itemsSeen: opts.supervisedItems,
              seed: opts.seed,
              signal: hooks.signal,
              log,
            }),
          );
        } catch (e) {
          if ((e as Error).name === 'AbortError') throw e;
          warnings.push(`supervised-encoder baseline not measured: ${(e as Error).message}`);
        }
      }
    }

    // Store and scan speeds on scratch data.
    let storeSpeed = {
      appendPerSecond: null as number | null,
      batchAppendPerSecond: null as number | null,
      replayPerSecond: null as number | null,
    };
    let scanRate: number | null = null;
    if (opts.speed) {
      log?.('[bench] label store and scan speed');
      try {
        storeSpeed = await measureStoreSpeed(path.join(scratch, 'store-speed'), { classes, items: poolIds });
      } catch (e) {
        warnings.push(`label store speed not measured: ${(e as Error).message}`);
      }
      try {
        scanRate = (await measureScanSpeed(pool.ws.root)).filesPerSecond;
      } catch (e) {
        warnings.push(`scan speed not measured: ${(e as Error).message}`);
      }
    }

    const c = annotator.counts;
    const result: BenchResult = {
      version: 1,
      dataset: opts.name ?? datasetName(opts.data),
      mode: opts.noReview ? 'no-review' : 'review',
      backend,
      items: poolIds.length,
      classes,
      testItems: test?.ws.truth.size ?? 0,
      options: {
        data: opts.data,
        truth: opts.truth,
        testData: opts.testData,
        testTruth: opts.testTruth,
        name: opts.name,
        seedPerClass: opts.seedPerClass,
        rounds: opts.rounds,
        review: opts.review,
        uncertain: opts.uncertain,
        noReview: opts.noReview,
        seed: opts.seed,
        threshold,
        epochs: opts.epochs,
        pretrainMaxSeconds: opts.pretrainMaxSeconds,
        poolLimit: opts.poolLimit,
        testLimit: opts.testLimit,
        workers: p.config.workers,
        backend: opts.backend,
        imageSize: opts.imageSize,
        classifier: opts.classifier,
        budget: opts.budget,
        finetune: opts.finetune,
        pretrainedFrom: opts.pretrainedFrom,
        scratch: opts.scratch,
        speed: opts.speed,
        baselines: opts.baselines,
        supervisedItems: opts.supervisedItems,
      },
      machine: machine(loadStart),
      started,
      data: {
        truthProblems: [...pool.truth.problems, ...(test?.truth.problems ?? []).map((x) => `test: ${x}`)].slice(0, 20),
        truthProblemCount: pool.truth.problems.length + (test?.truth.problems.length ?? 0),
        missing: missing.slice(0, 20),
        missingCount: missing.length,
        notScannedCount: missing.length - pool.ws.missing.length,
        unknownItems,
        testMissingCount: testMissing + (test?.ws.missing.length ?? 0),
        workspace: { ...pool.ws.files, seconds: pool.ws.seconds },
      },
      pretrain: { seconds: pre.seconds, epochs: opts.epochs ?? p.config.pretrainEpochs, tasks: pre.tasks },
      rounds,
      final: {
        humanActions: c.human,
        actions: { seed: c.seed, accepted: c.accepted, corrected: c.corrected, uncertain: c.uncertain, autoAccepted: c.auto },
        labelled: labelState().labelled.size,
        testAccuracy: ts.accuracy,
        testMacroF1: ts.macroF1,
        datasetLabelAccuracy: dataset.accuracy,
        datasetUnlabelledUnpredicted: poolTruth.size - finalLabels.size,
        journalConsistent: consistent,
        trainSeconds,
        chosen: finalTrain.chosen ?? null,
        // The fine-tuning run (chosen or not; `chosen` says which model predicted), never the network from scratch.
        finetune: finalTrain.finetuneRun
          ? {
              seconds: finalTrain.finetuneRun.seconds,
              itemsPerSecond: finalTrain.finetuneRun.itemsPerSecond,
              estimatedAccuracy: finalTrain.finetuneRun.estimatedAccuracy ?? null,
              calibrationItems: finalTrain.finetuneRun.calibrationItems,
              before: beforeFinetune,
            }
          : null,
        wallSeconds,
        pretrainSeconds: pre.seconds,
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      },
      speed: {
        pretrainItemsPerSecond: pretrainRates(
          pre.tasks,
          poolIds.length,
          pre.seconds,
          p.config.workers,
          pre.itemsPerSecond,
          pre.plan ?? null,
        ),
        embedItemsPerSecond: embedRate,
        proposeSeconds: proposeTimes.length ? median(proposeTimes) : null,
        storeAppendPerSecond: storeSpeed.appendPerSecond,
        storeBatchAppendPerSecond: storeSpeed.batchAppendPerSecond,
        storeReplayPerSecond: storeSpeed.replayPerSecond,
        scanFilesPerSecond: scanRate,
      },
      baselines,
      baselineMargin: { test: null, dataset: null },
      targets: [],
      warnings,
    };
    result.baselineMargin = baselineMargin(result.final, baselines);
    const busy = Math.max(result.machine.loadAverage.start, result.machine.loadAverage.end);
    if (busy > result.machine.nproc * 1.25) {
      warnings.push(
        `the machine was busy with other work (1-minute load average ${result.machine.loadAverage.start.toFixed(1)} at the start, ` +
          `${result.machine.loadAverage.end.toFixed(1)} at the end, on ${result.machine.nproc} cores): times and speeds are pessimistic`,
      );
    }
    result.targets = evaluateTargets(result, opts.targets);
    return result;
  } finally {
    await project?.dispose().catch(() => undefined);
    if (opts.keep) log?.(`[bench] kept the scratch workspace ${scratch}`);
    else await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** The bench log's account of a train's choice: the model, the held-out evidence, what kept or re-weighted it. */
function choiceLine(c: NonNullable<TrainSummary['chosen']>): string {
  const notes = [formatEnsembleKept(c), formatPriors(c.priors)].filter((x): x is string => x !== undefined);
  return `chose ${c.name} by ${c.heldOut} held-out labels (${formatCandidates(c.candidates)})${notes.map((x) => `; ${x}`).join('')}`;
}

/**
 * Pretraining throughput figures (see BenchResult.speed.pretrainItemsPerSecond). A task trained in `parts` (the 'join'
 * plan) kept each part's workers busy for that part's seconds; else a task trained on `t.workers` > 1 workers
 * (data-parallel) kept workers 0.. of them busy for its seconds; otherwise task i ran on worker i % workers.
 */
export function pretrainRates(
  tasks: readonly Pick<PretrainStats, 'task' | 'epochs' | 'seconds' | 'itemsPerSecond' | 'workers' | 'parts'>[],
  items: number,
  seconds: number,
  workers: number,
  engineTotal: number,
  plan: string | null = null,
): BenchResult['speed']['pretrainItemsPerSecond'] {
  const processed = new Array<number>(workers).fill(0);
  const busy = new Array<number>(workers).fill(0);
  tasks.forEach((t, i) => {
    const w = Math.min(workers, Math.max(1, t.workers ?? 1));
    const runs = t.parts?.length
      ? t.parts.map((q) => ({ ...q, at: q.workers.filter((k) => k >= 0 && k < workers) }))
      : [{ seconds: t.seconds, itemsPerSecond: t.itemsPerSecond, at: w > 1 ? Array.from({ length: w }, (_, k) => k) : [i % workers] }];
    for (const r of runs) {
      for (const k of r.at) {
        processed[k] += (r.itemsPerSecond * r.seconds) / r.at.length;
        busy[k] += r.seconds;
      }
    }
  });
  const itemEpochs = tasks.reduce((s, t) => s + items * t.epochs, 0);
  return {
    total: engineTotal,
    wall: seconds > 0 ? itemEpochs / seconds : 0,
    perWorker: processed.map((x, w) => (busy[w] > 0 ? x / busy[w] : 0)),
    perTask: Object.fromEntries(tasks.map((t) => [t.task, t.itemsPerSecond])),
    perTaskWorkers: Object.fromEntries(tasks.map((t) => [t.task, t.workers ?? 1])),
    workers,
    plan,
  };
}

function fmt(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(1)}%`;
}
