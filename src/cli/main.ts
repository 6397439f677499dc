/**
 * `selflabel` — the headless door onto the engine, for scripts, CI and benchmarks. Every command works on one
 * workspace folder (`--workspace DIR`, default: the current folder), prints results on stdout (`--json` for
 * machines), progress on stderr, and exits 0 on success, 1 on an error (one clear line), 2 on a usage error,
 * 130 when cancelled with Ctrl-C (a cancelled pretrain keeps its checkpoint and resumes next time).
 *
 * Stable for other tools: `init --workspace DIR --classes a,b,c`, `label --workspace DIR ITEM CLASS` (exit 0 only
 * once the label is durable), `export --workspace DIR --format csv --out FILE` (header `path,label`).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { LABEL_ERROR_DEFAULTS, OOF_SOURCES, Project, type OofSource, type ProjectStatus, type UndoStep } from '../core/project';
import { ISSUE_FILTERS, type IssueFilter } from '../core/train/confidentLearning';
import type { SchemaChange } from '../core/store';
import type { LabelEvent } from '../core/types';
import type { ProjectConfig } from '../core/config';
import { isAbortError } from '../core/util/progress';
import { parseArgs, helpFor, UsageError, type FlagSpec } from './args';
import { ProgressBar, formatSeconds } from './progressBar';
import { workerRunner } from '../worker/runner';
import { pretrainReport } from './rates';
import { PRETRAIN_PLANS, type PretrainPlan } from '../protocol/jobs';
import { capReason, formatCandidates, formatEnsembleKept, formatPriors, formatTrainedOn, noProposalsHint, plural } from '../shared/format';

const COMMON: Record<string, FlagSpec> = {
  workspace: { type: 'string', help: 'workspace folder (default: current folder)' },
  json: { type: 'boolean', help: 'print the result as JSON' },
  quiet: { type: 'boolean', help: 'no progress output' },
  backend: { type: 'string', help: 'auto | wasm | cpu | tensorflow' },
  workers: { type: 'number', help: 'worker threads (default 2)' },
  help: { type: 'boolean', help: 'show help' },
};

interface CommandInfo {
  /** The command prints the workspace's warnings itself (status): they are not printed first. */
  ownWarnings?: boolean;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
}
/** A command on the workspace's project (opened, its warnings printed, and closed around it), or on its own (init, bench). */
type Command = CommandInfo & ({ project(ctx: Ctx, p: Project): Promise<unknown> } | { run(ctx: Ctx): Promise<unknown> });

/** Runs `cmd`: on the workspace's project if it is a project command. */
function runCommand(cmd: Command, ctx: Ctx): Promise<unknown> {
  if ('run' in cmd) return cmd.run(ctx);
  return withProject(ctx, (p) => cmd.project(ctx, p), { ownWarnings: cmd.ownWarnings });
}

interface Ctx {
  flags: Record<string, string | number | boolean | string[] | undefined>;
  positionals: string[];
  root: string;
  signal: AbortSignal;
  bar: ProgressBar;
  out(text: string): void;
  overrides: Partial<ProjectConfig>;
}

async function withProject<T>(ctx: Ctx, fn: (p: Project) => Promise<T>, opts: { ownWarnings?: boolean } = {}): Promise<T> {
  await checkWorkspaceFolder(ctx.root);
  const p = await Project.open(ctx.root, ctx.overrides, { runner: workerRunner });
  if (!opts.ownWarnings) for (const w of new Set(p.warnings)) process.stderr.write(`warning: ${w}\n`);
  try {
    return await fn(p);
  } finally {
    ctx.bar.done();
    await p.store.idle(); // an automatic compaction started by this command finishes before the process exits
    await p.dispose();
  }
}

/** A clear message for a --workspace that is not a folder ("not found" only when nothing is there). */
async function checkWorkspaceFolder(root: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`workspace folder not found: ${root}`);
    if (code === 'ENOTDIR') throw new Error(`not a folder: ${root} (a part of the path is a file)`);
    if (code === 'EACCES' || code === 'EPERM') throw new Error(`cannot open the workspace ${root}: permission denied`);
    throw new Error(`cannot open the workspace ${root}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new Error(`not a folder: ${root} is a file (--workspace takes the folder to label)`);
}

/** Refuses to replace an existing file unless --force (a folders export replaces only an earlier export). */
async function checkOverwrite(out: string, force: boolean): Promise<void> {
  const st = await fs.lstat(out).catch(() => undefined);
  if (!st || force) return;
  if (st.isDirectory()) throw new Error(`cannot export to ${out}: it is a folder (give a file name)`);
  throw new Error(`${out} already exists: add --force to replace it`);
}

/** What an undo or a redo did, in one line. */
function describeStep(verb: 'undid' | 'redid', e: UndoStep | undefined): string {
  if (!e) return verb === 'undid' ? 'nothing to undo' : 'nothing to redo';
  if (e.schema) return `${verb} the class change: ${e.schema}${e.events.length ? ` (${plural(e.events.length, 'label event')})` : ''}`;
  if (e.events.length > 1) {
    const items = e.events.slice(0, 3).map((x) => x.item);
    return `${verb} a batch of ${plural(e.events.length, 'label event')} (${items.join(', ')}${e.events.length > 3 ? ', …' : ''})`;
  }
  return `${verb} ${e.source} ${e.item}${e.label ? ` → ${e.label}` : ''}`;
}

function pct(x: number | undefined): string {
  return x === undefined ? '—' : `${(100 * x).toFixed(1)}%`;
}

/** A number flag's value (parseArgs checked it is a number), or undefined if not given. */
function numberFlag(ctx: Ctx, name: string): number | undefined {
  const v = ctx.flags[name];
  return typeof v === 'number' ? v : undefined;
}

/** A string flag's value, or undefined if not given. */
function stringFlag(ctx: Ctx, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** A flag that must be a whole number ≥ 1, or `fallback` if not given. */
function wholeNumberFlag(ctx: Ctx, name: string, fallback: number): number;
function wholeNumberFlag(ctx: Ctx, name: string): number | undefined;
function wholeNumberFlag(ctx: Ctx, name: string, fallback?: number): number | undefined {
  const v = numberFlag(ctx, name) ?? fallback;
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new UsageError(`--${name} needs a whole number ≥ 1`);
  return v;
}

/** `label ITEM CLASS` and `correct ITEM CLASS`: the item and the class (`exact`: nothing else), then the event, printed. */
async function itemClassCommand(
  ctx: Ctx,
  name: string,
  exact: boolean,
  act: (item: string, cls: string) => Promise<LabelEvent>,
): Promise<unknown> {
  const [item, cls] = ctx.positionals;
  if (!item || !cls || (exact && ctx.positionals.length !== 2)) throw new UsageError(`${name} needs ITEM CLASS`);
  const e = await act(normaliseItem(item), cls);
  ctx.out(`${e.item}: ${e.label}`);
  return e;
}

/** Bytes of a file, 0 if there is none. */
const fileSize = (file: string): Promise<number> =>
  fs.stat(file).then(
    (st) => st.size,
    () => 0,
  );

const commands: Record<string, Command> = {
  init: {
    summary: 'create .selflabel with the class schema (or change the classes)',
    usage: 'init --classes a,b,c [--force]',
    flags: {
      classes: { type: 'list', help: 'class names, comma-separated' },
      force: { type: 'boolean', help: 'allow removing classes that have labels' },
    },
    async run(ctx) {
      const classes = ctx.flags.classes as string[] | undefined;
      if (!classes?.length) throw new UsageError('init needs --classes a,b,c');
      let p: Project;
      await checkWorkspaceFolder(ctx.root);
      try {
        p = await Project.open(ctx.root, ctx.overrides, { runner: workerRunner });
        await p.setClasses(classes, Boolean(ctx.flags.force));
      } catch (e) {
        if (!/not a SelfLabel workspace/i.test((e as Error).message)) throw e;
        p = await Project.init(ctx.root, classes, ctx.overrides, { runner: workerRunner });
      }
      await p.dispose();
      ctx.out(`classes: ${p.classes().join(', ')}\nworkspace: ${p.root}`);
      return { classes: p.classes(), root: p.root };
    },
  },
  scan: {
    summary: 'find the items to label (images, text files, JSONL/CSV rows, audio clips)',
    usage: 'scan',
    flags: {},
    async project(ctx, p) {
      const r = await p.scan({ signal: ctx.signal, onProgress: ctx.bar.update });
      ctx.bar.done();
      ctx.out(`${r.items} ${r.modality ?? ''} item(s) in ${r.filesSeen} file(s), ${r.seconds.toFixed(1)}s; ${r.skipped.length} skipped`);
      for (const s of r.skipped.slice(0, 20)) ctx.out(`  skipped ${s.path}${s.row ? `#${s.row}` : ''}: ${s.reason}`);
      if (r.skipped.length > 20) ctx.out(`  … and ${r.skipped.length - 20} more (selflabel status --json lists them)`);
      return r;
    },
  },
  pretrain: {
    summary: 'self-supervised pretraining on all items (resumes a cancelled run)',
    usage: 'pretrain [--epochs N] [--fresh] [--max-seconds S] [--plan auto|per-task|data-parallel|join]',
    flags: {
      epochs: { type: 'number', help: 'epochs per pretext task' },
      fresh: { type: 'boolean', help: 'start over instead of resuming' },
      'max-seconds': { type: 'number', help: 'stop each task after this many seconds' },
      plan: {
        type: 'string',
        help: 'auto (default: join when the tasks are as many as the workers) | per-task (one task per worker, repeatable to the decimal) | data-parallel (each task on all workers in turn) | join (per-task; a worker done early joins a task still running)',
      },
    },
    async project(ctx, p) {
      const plan = stringFlag(ctx, 'plan');
      if (plan !== undefined && plan !== 'auto' && !(PRETRAIN_PLANS as readonly string[]).includes(plan))
        throw new UsageError(`--plan must be auto, ${PRETRAIN_PLANS.join(' or ')}, got "${plan}"`);
      const r = await p.pretrain({
        plan: plan as PretrainPlan | 'auto' | undefined,
        signal: ctx.signal,
        onProgress: ctx.bar.update,
        epochs: numberFlag(ctx, 'epochs'),
        fresh: Boolean(ctx.flags.fresh),
        maxSeconds: numberFlag(ctx, 'max-seconds'),
      });
      ctx.bar.done();
      for (const line of pretrainReport(r, p.config.workers)) ctx.out(line);
      return r;
    },
  },
  label: {
    summary: 'label an item (exit 0 once the label is on disk)',
    usage: 'label ITEM CLASS',
    flags: {},
    project: (ctx, p) => itemClassCommand(ctx, 'label', true, (item, cls) => p.label(item, cls)),
  },
  train: {
    summary: 'fine-tune on the labels (embeds with the pretrained encoders first)',
    usage: 'train [--finetune | --no-finetune]',
    flags: {
      finetune: { type: 'boolean', help: 'images: also fine-tune the encoder end to end (minutes; default: the finetune setting)' },
      'no-finetune': { type: 'boolean', help: 'do not fine-tune the encoder, whatever the setting' },
    },
    async project(ctx, p) {
      const finetune = ctx.flags['no-finetune'] ? false : ctx.flags.finetune ? true : undefined;
      const r = await p.train({ signal: ctx.signal, onProgress: ctx.bar.update, finetune });
      ctx.bar.done();
      ctx.out(
        `model ${r.model} (${r.head} head) on ${r.backend}: ${r.labelled} label(s) + ${r.pseudoLabelled} pseudo-label(s); estimated accuracy ${pct(r.estimatedAccuracy)}`,
      );
      if (r.reused)
        ctx.out('nothing the model learns from changed since the last train (human labels, encoders, items, settings): kept it');
      if (r.chosen) {
        const c = r.chosen;
        ctx.out(`model chosen by ${c.heldOut} held-out human label(s): ${c.name} (${formatCandidates(c.candidates)})`);
        const kept = formatEnsembleKept(c);
        if (kept) ctx.out(kept);
        if (c.cap) ctx.out(capReason(c.cap));
        const pri = formatPriors(c.priors);
        if (pri) ctx.out(pri);
      }
      if (r.finetuned) {
        const f = r.finetuned;
        ctx.out(
          `fine-tuned ${f.networks.length} network(s) from ${f.initFrom ?? 'scratch'} on ${formatTrainedOn(f.trainedOn)} in ${formatSeconds(f.seconds)}; calibrated on ${f.calibrationItems} held-out label(s)`,
        );
      }
      return r;
    },
  },
  propose: {
    summary: 'propose labels above the confidence threshold, most confident first',
    usage: 'propose [--threshold 0.9] [--limit N] [--show N]',
    flags: {
      threshold: { type: 'number', help: 'minimum calibrated confidence' },
      limit: { type: 'number', help: 'at most N proposals' },
      show: { type: 'number', help: 'print the first N (default 10)' },
    },
    async project(ctx, p) {
      const threshold = numberFlag(ctx, 'threshold');
      if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new UsageError('--threshold must be in [0, 1]');
      const r = await p.propose({ threshold, limit: numberFlag(ctx, 'limit') });
      ctx.out(`${r.proposals.length} proposal(s) at confidence ≥ ${r.threshold}; expected precision ${pct(r.expectedPrecision)}`);
      for (const x of r.proposals.slice(0, numberFlag(ctx, 'show') ?? 10)) ctx.out(`  ${x.item}\t${x.label}\t${x.confidence.toFixed(3)}`);
      const hint = r.proposals.length ? undefined : noProposalsHint(r, (await p.status()).unlabelled);
      if (hint) ctx.out(hint);
      return r;
    },
  },
  accept: {
    summary: 'accept proposals: ITEM… or --all-above C',
    usage: 'accept ITEM… | accept --all-above 0.95',
    flags: { 'all-above': { type: 'number', help: 'accept every pending proposal with confidence ≥ C' } },
    async project(ctx, p) {
      const above = numberFlag(ctx, 'all-above');
      let events;
      if (above !== undefined) events = await p.acceptAbove(above);
      else if (ctx.positionals.length) events = await p.accept(ctx.positionals.map(normaliseItem));
      else throw new UsageError('accept needs ITEM… or --all-above C');
      ctx.out(`accepted ${events.length} proposal(s)`);
      return { accepted: events.length };
    },
  },
  reject: {
    summary: 'reject the proposal of ITEM (it will not be proposed again with that class)',
    usage: 'reject ITEM…',
    flags: {},
    async project(ctx, p) {
      if (!ctx.positionals.length) throw new UsageError('reject needs ITEM…');
      for (const it of ctx.positionals) await p.reject(normaliseItem(it));
      ctx.out(`rejected ${ctx.positionals.length} proposal(s)`);
      return { rejected: ctx.positionals.length };
    },
  },
  correct: {
    summary: 'give the right class to an item whose proposal was wrong',
    usage: 'correct ITEM CLASS',
    flags: {},
    project: (ctx, p) => itemClassCommand(ctx, 'correct', false, (item, cls) => p.correct(item, cls)),
  },
  classes: {
    summary: 'list the classes, or change them as one undoable journal batch (labels follow)',
    usage: 'classes [rename A B | merge A B… --into C | split A --into B --items ITEM… | delete A | reorder A B C…]',
    flags: {
      into: { type: 'string', help: 'merge / split: the class the labels go to' },
      items: { type: 'list', help: 'split: the items (labelled A) that go to the new class' },
    },
    async project(ctx, p) {
      const [op, ...args] = ctx.positionals;
      if (!op) {
        const classes = p.classes();
        ctx.out(classes.map((c, i) => `${i + 1}\t${c}`).join('\n') || 'no classes (run init)');
        return { classes };
      }
      const into = stringFlag(ctx, 'into');
      let change: SchemaChange;
      if (op === 'rename') {
        if (args.length !== 2) throw new UsageError('classes rename needs OLD NEW');
        change = { op, from: args[0], to: args[1] };
      } else if (op === 'merge') {
        if (!args.length || !into) throw new UsageError('classes merge needs CLASS… --into CLASS');
        change = { op, from: args, into };
      } else if (op === 'split') {
        const items = [...((ctx.flags.items as string[] | undefined) ?? []), ...args.slice(1)].map(normaliseItem);
        if (!args[0] || !into || !items.length) throw new UsageError('classes split needs CLASS --into NEW --items ITEM…');
        change = { op, from: args[0], into, items };
      } else if (op === 'delete') {
        if (args.length !== 1) throw new UsageError('classes delete needs CLASS');
        change = { op, cls: args[0] };
      } else if (op === 'reorder') {
        change = { op, classes: args };
      } else throw new UsageError(`unknown classes action "${op}" (rename, merge, split, delete, reorder)`);
      const r = await p.changeClasses(change);
      ctx.out(
        `classes: ${r.classes.join(', ')} (${plural(r.moved, 'label event')}; undo reverts the whole change)${r.retrainNeeded ? '\nthe model predates this change: run train before reviewing proposals' : ''}`,
      );
      return r;
    },
  },
  undo: {
    summary: 'undo the last label action (a batch — label all, accept many, an import, a class change — as one)',
    usage: 'undo',
    flags: {},
    async project(ctx, p) {
      const e = await p.undo();
      ctx.out(describeStep('undid', e));
      return { undone: e ?? null, events: e?.events.length ?? 0 };
    },
  },
  redo: {
    summary: 'redo the last undone action (as long as nothing was labelled since)',
    usage: 'redo',
    flags: {},
    async project(ctx, p) {
      const e = await p.redo();
      ctx.out(describeStep('redid', e));
      return { redone: e ?? null, events: e?.events.length ?? 0 };
    },
  },
  suggest: {
    summary: 'items a human should label next (most uncertain, or diverse seeds)',
    usage: 'suggest [--count N]',
    flags: { count: { type: 'number', help: 'how many (default 10)' } },
    async project(ctx, p) {
      const s = await p.suggest(numberFlag(ctx, 'count') ?? 10);
      for (const x of s) ctx.out(`${x.item}\t${x.reason}${x.predicted ? `\t${x.predicted} ${x.confidence?.toFixed(2)}` : ''}`);
      return s;
    },
  },
  similar: {
    summary: 'the items most similar to ITEM in embedding space (cosine), with their labels and predictions',
    usage: 'similar ITEM [--count N] [--json]',
    flags: { count: { type: 'number', help: 'how many (default 10)' } },
    async project(ctx, p) {
      const [item] = ctx.positionals;
      if (!item) throw new UsageError('similar needs ITEM');
      const count = wholeNumberFlag(ctx, 'count', 10);
      const s = await p.similar(normaliseItem(item), count);
      for (const x of s)
        ctx.out(
          `${x.item}\t${x.similarity.toFixed(3)}${x.label ? `\tlabelled ${x.label}` : ''}${x.predicted ? `\tmodel says ${x.predicted} ${x.confidence?.toFixed(2)}` : ''}`,
        );
      return s;
    },
  },
  map: {
    summary: "the embedding map: a 2-D layout of every item (PCA, or UMAP), with its label and the model's prediction",
    usage: 'map [--method pca|umap] [--epochs N] [--json]',
    flags: {
      method: { type: 'string', help: 'pca (default, fast) or umap' },
      epochs: { type: 'number', help: 'UMAP optimisation epochs (default 200 above 10,000 items, else 500)' },
    },
    async project(ctx, p) {
      const method = stringFlag(ctx, 'method') ?? 'pca';
      if (method !== 'pca' && method !== 'umap') throw new UsageError('--method is pca or umap');
      const epochs = wholeNumberFlag(ctx, 'epochs');
      const m = await p.embeddingMap({ method, epochs, signal: ctx.signal, onProgress: ctx.bar.update });
      const rows = m.ids.map((item, i) => {
        const pr = p.predictionFor(item);
        return {
          item,
          x: m.xy[2 * i],
          y: m.xy[2 * i + 1],
          label: p.labelOf(item)?.label,
          predicted: pr?.label,
          confidence: pr?.confidence,
        };
      });
      for (const r of rows) ctx.out(`${r.item}\t${r.x.toFixed(4)}\t${r.y.toFixed(4)}${r.label ? `\t${r.label}` : ''}`);
      return rows;
    },
  },
  disagreements: {
    summary: 'human labels that are likely wrong (confident learning on out-of-fold predictions), most likely first',
    usage: 'disagreements [--filter F] [--passes 1|2] [--knn] [--source S] [--threshold P] [--json]',
    flags: {
      threshold: { type: 'number', help: 'instead: the older rule, another class predicted with confidence ≥ P' },
      filter: { type: 'string', help: `which labels are issues: ${ISSUE_FILTERS.join(' | ')} (default ${LABEL_ERROR_DEFAULTS.filter})` },
      passes: {
        type: 'number',
        help: `2: fit the head again without the first pass's issues and judge again (default ${LABEL_ERROR_DEFAULTS.passes})`,
      },
      knn: { type: 'boolean', help: 'average the head with a kNN vote on the embeddings (embedding heads)' },
      source: {
        type: 'string',
        help: `whose out-of-fold probabilities: ${OOF_SOURCES.join(' | ')} (images: the scratch ensemble's folds; default ${LABEL_ERROR_DEFAULTS.source})`,
      },
    },
    async project(ctx, p) {
      const filter = stringFlag(ctx, 'filter');
      if (filter !== undefined && !(ISSUE_FILTERS as readonly string[]).includes(filter))
        throw new UsageError(`--filter must be ${ISSUE_FILTERS.join(', ')}; got "${filter}"`);
      const passes = numberFlag(ctx, 'passes');
      if (passes !== undefined && passes !== 1 && passes !== 2) throw new UsageError(`--passes must be 1 or 2, got ${passes}`);
      const source = stringFlag(ctx, 'source');
      if (source !== undefined && !(OOF_SOURCES as readonly string[]).includes(source))
        throw new UsageError(`--source must be ${OOF_SOURCES.join(', ')}; got "${source}"`);
      const d = await p.disagreements(numberFlag(ctx, 'threshold'), {
        ...(filter ? { filter: filter as IssueFilter } : {}),
        ...(passes ? { passes } : {}),
        ...(ctx.flags.knn ? { knn: true } : {}),
        ...(source ? { source: source as OofSource } : {}),
      });
      ctx.out(
        d.length
          ? d
              .map(
                (x) =>
                  `${x.item}\tlabelled ${x.label}${x.selfConfidence !== undefined ? ` ${x.selfConfidence.toFixed(2)}` : ''}\tmodel says ${x.predicted} ${x.confidence.toFixed(2)}`,
              )
              .join('\n')
          : 'no likely label errors',
      );
      return d;
    },
  },
  status: {
    ownWarnings: true,
    summary: 'classes, counts, model, proposals and the next suggested action',
    usage: 'status',
    flags: {},
    async project(ctx, p) {
      const s: ProjectStatus & { skippedItems?: unknown } = await p.status();
      ctx.out(formatStatus(s));
      if (ctx.flags.json) s.skippedItems = p.getSkipped();
      return s;
    },
  },
  compact: {
    summary: 'rewrite the label journal without superseded events (also done automatically)',
    usage: 'compact',
    flags: {},
    async project(ctx, p) {
      const before = await fileSize(p.store.journalPath);
      const events = p.store.events().length;
      const done = await p.store.compact();
      const after = await fileSize(p.store.journalPath);
      const kept = p.store.events().length;
      ctx.out(done ? `compacted labels.jsonl: ${events} → ${kept} event(s), ${before} → ${after} bytes` : 'nothing to compact');
      return { compacted: done, eventsBefore: events, eventsAfter: kept, bytesBefore: before, bytesAfter: after };
    },
  },
  export: {
    summary: 'write the labels: csv (path,label), jsonl, parquet (path, label, source, confidence, image bytes) or class folders',
    usage: 'export --format csv|jsonl|parquet|folders --out PATH [--include-proposals] [--force]',
    flags: {
      format: { type: 'string', help: 'csv | jsonl | parquet | folders' },
      out: { type: 'string', help: 'output file (folder for "folders")' },
      'include-proposals': { type: 'boolean', help: 'also write pending proposals' },
      force: { type: 'boolean', help: 'replace an existing output file' },
    },
    async project(ctx, p) {
      const format = stringFlag(ctx, 'format');
      const out = stringFlag(ctx, 'out');
      if (format !== 'csv' && format !== 'jsonl' && format !== 'folders' && format !== 'parquet')
        throw new UsageError('export needs --format csv|jsonl|parquet|folders');
      if (!out) throw new UsageError('export needs --out PATH');
      if (format !== 'folders') await checkOverwrite(path.resolve(out), Boolean(ctx.flags.force));
      const r = await p.exportLabels({ format, out: path.resolve(out), includeProposals: Boolean(ctx.flags['include-proposals']) });
      ctx.out(`wrote ${r.written} label(s) to ${path.resolve(out)}`);
      return r;
    },
  },
  import: {
    summary: 'import labels: a CSV with header path,label, a Parquet file with path and label columns, or class folders',
    usage: 'import FILE.csv|FILE.parquet|FOLDER [--add-classes]',
    flags: { 'add-classes': { type: 'boolean', help: 'add classes that the CSV uses but the schema lacks' } },
    async project(ctx, p) {
      const [file] = ctx.positionals;
      if (!file) throw new UsageError('import needs FILE.csv, FILE.parquet or a FOLDER of class folders');
      const r = await p.importLabels(path.resolve(file), { addClasses: Boolean(ctx.flags['add-classes']) });
      ctx.out(`imported ${r.imported} label(s); ${r.skipped.length} row(s) skipped`);
      for (const s of r.skipped.slice(0, 20)) ctx.out(`  row ${s.row}: ${s.reason}`);
      return r;
    },
  },
  bench: {
    summary: 'measure label efficiency and speed with a simulated annotator (see BENCHMARKS.md)',
    usage: 'bench --data DIR --truth FILE.csv [options]  (selflabel bench --help)',
    flags: {},
    async run() {
      throw new Error('unreachable: bench is dispatched before parsing');
    },
  },
};

function normaliseItem(item: string): string {
  return item.replace(/\\/g, '/').replace(/^\.\//, '');
}

function formatStatus(s: ProjectStatus): string {
  const lines = [
    `workspace: ${s.root}`,
    `classes: ${s.classes.map((c) => `${c} (${s.counts[c] ?? 0})`).join(', ') || 'none'}`,
    `items: ${s.items}${s.modality ? ` ${s.modality}` : ''}, labelled ${s.labelled}, unlabelled ${s.unlabelled}, skipped ${s.skipped}`,
    `pretrained: ${s.pretrained.map((t) => `${t.task} (${t.epochs} epochs)`).join(', ') || 'no'}`,
    `model: ${s.model ? `${s.model.version}, estimated accuracy ${pct(s.model.estimatedAccuracy)}` : 'none'}`,
    `pending proposals: ${s.proposals}`,
    `next: ${s.nextAction}`,
  ];
  for (const w of new Set(s.warnings)) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

function usage(): string {
  const rows = Object.entries(commands).map(([k, c]) => `  ${k.padEnd(14)}${c.summary}`);
  return `selflabel — label a folder of images, text or audio with self-supervised learning, offline\n\nUsage: selflabel <command> [--workspace DIR] [options]\n\nCommands:\n${rows.join('\n')}\n\nCommon options:\n${helpFor(COMMON)}\n\nselflabel <command> --help shows a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(`${require('../../package.json').version}\n`);
    return 0;
  }
  if (name === 'bench') {
    const { benchMain } = await import('../bench/main');
    return benchMain(rest);
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`selflabel: unknown command "${name}" (selflabel --help lists them)\n`);
    return 2;
  }
  const spec = { ...COMMON, ...cmd.flags };
  const controller = new AbortController();
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    process.stderr.write('\ncancelling… (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let parsed;
  try {
    parsed = parseArgs(rest, spec);
  } catch (e) {
    process.stderr.write(`selflabel ${name}: ${(e as Error).message}\nusage: selflabel ${cmd.usage}\n`);
    return 2;
  }
  if (parsed.flags.help) {
    process.stdout.write(`selflabel ${cmd.usage}\n\n${cmd.summary}\n\nOptions:\n${helpFor(spec)}\n`);
    return 0;
  }
  const json = Boolean(parsed.flags.json);
  const overrides: Partial<ProjectConfig> = {};
  if (parsed.flags.backend !== undefined) overrides.backend = parsed.flags.backend as ProjectConfig['backend'];
  if (parsed.flags.workers !== undefined) overrides.workers = parsed.flags.workers as number;
  const ctx: Ctx = {
    flags: parsed.flags,
    positionals: parsed.positionals,
    root: path.resolve((parsed.flags.workspace as string | undefined) ?? process.cwd()),
    signal: controller.signal,
    bar: new ProgressBar(process.stderr, Boolean(parsed.flags.quiet)),
    out: (t) => {
      if (!json) process.stdout.write(t + '\n');
    },
    overrides,
  };
  try {
    const result = await runCommand(cmd, ctx);
    if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  } catch (e) {
    ctx.bar.done();
    if (isAbortError(e)) {
      process.stderr.write(`selflabel ${name}: cancelled\n`);
      return 130;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`selflabel ${name}: ${e.message}\nusage: selflabel ${cmd.usage}\n`);
      return 2;
    }
    const msg = (e as Error).message ?? String(e);
    process.stderr.write(`selflabel ${name}: ${msg.split('\n')[0]}\n`);
    if (process.env.SELFLABEL_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`selflabel: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
