/**
 * Options of `selflabel bench` and their command-line form. `parseBenchCommand` turns argv into BenchOptions (a run)
 * or BenchCheckOptions (`--check`: targets on a saved result); `parseBenchArgs` into a run's only. Strict: an unknown
 * flag, a missing value or a bad number is a BenchUsageError with a one-line message.
 */
import type { BackendPref } from '../core/config';
import { PRETRAIN_PLANS, type PretrainPlan } from '../protocol/jobs';

/** One comparison of a target: a number of the result against a value. */
export interface TargetCondition {
  /** Dotted path into the BenchResult, e.g. `final.testAccuracy`. */
  metric: string;
  op: '>=' | '<=' | '>' | '<';
  value: number;
}

export interface Target extends TargetCondition {
  /** Short name shown in the report. */
  name: string;
  /**
   * Other conditions, any of which also passes the target ("metric>=a or other>=b"): the issues' "≥ 10 points above
   * the best baseline, or ≥ 95%".
   */
  or?: TargetCondition[];
}

export interface BenchOptions {
  /** The data: a folder of item files, or one JSONL/CSV file. */
  data: string;
  /** Truth CSV of the data (header `path,label`). */
  truth: string;
  testData?: string;
  testTruth?: string;
  /** Name of the dataset in the report (default: from the data path). */
  name?: string;
  seedPerClass: number;
  rounds: number;
  /** Proposals the annotator reviews per round (review mode). */
  review: number;
  /** Suggested (most uncertain) items the annotator labels per round (review mode). */
  uncertain: number;
  /** Pseudo-labelling without a human: accept every proposal above the threshold. */
  noReview: boolean;
  seed: number;
  threshold?: number;
  /** Self-supervised pretraining epochs per pretext task. */
  epochs?: number;
  /** Stop pretraining after this many seconds. */
  pretrainMaxSeconds?: number;
  /** How pretraining uses the workers (default 'auto': the project's choice; see pretrainPlan). */
  pretrainPlan?: 'auto' | PretrainPlan;
  poolLimit?: number;
  testLimit?: number;
  workers?: number;
  backend?: BackendPref;
  /** Images: the encoder's input side in pixels (default: the project's 'auto', ≤ 32). */
  imageSize?: number;
  /** The classifier head (default: the project default, 'spread'). */
  classifier?: 'auto' | 'spread' | 'linear';
  /**
   * Images: the final train (after the last round, the model every pool item and the test set are scored with)
   * also fine-tunes the encoder end to end (Project.train's finetune). Rounds keep the faster head.
   */
  finetune: boolean;
  /**
   * A workspace (folder holding .selflabel/) pretrained on the same pool: its encoder checkpoints are copied into the
   * scratch workspace, so pretraining resumes them instead of starting over. For accuracy runs only: the run's
   * pretraining speed and wall time then say nothing.
   */
  pretrainedFrom?: string;
  /** Stop taking human actions after this many. */
  budget?: number;
  /** Write the JSON result here. */
  json?: string;
  /** Where the scratch workspace is created (default: the OS temp folder). */
  scratch?: string;
  /** Keep the scratch workspace afterwards (its path is printed). */
  keep: boolean;
  /** Measure the label store and scan speeds too (default true). */
  speed: boolean;
  /** Score the plain baselines beside SelfLabel (default true; --no-baselines skips them). */
  baselines: boolean;
  /** Images seen in training by the supervised-encoder baseline (default 10,000). */
  supervisedItems?: number;
  quiet: boolean;
  targets: Target[];
}

/** `selflabel bench --check FILE`: targets checked on a saved result, nothing run. */
export interface BenchCheckOptions {
  /** The saved result: a run's `--json FILE`, or the medians of repeated runs that scripts/bench.mjs writes. */
  check: string;
  targets: Target[];
  /** Write the result, its targets replaced by these, here. */
  json?: string;
}

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

export const BENCH_DEFAULTS = {
  seedPerClass: 10,
  rounds: 3,
  review: 200,
  uncertain: 100,
  seed: 1,
} as const;

type Kind = 'string' | 'int' | 'number' | 'boolean' | 'target';
const FLAGS: Record<string, { kind: Kind; key: keyof BenchOptions | keyof BenchCheckOptions; help: string }> = {
  data: { kind: 'string', key: 'data', help: 'folder of item files, or one JSONL/CSV file (required)' },
  truth: { kind: 'string', key: 'truth', help: 'truth CSV, header path,label; rows as path#row (required)' },
  'test-data': { kind: 'string', key: 'testData', help: 'held-out test folder or file' },
  'test-truth': { kind: 'string', key: 'testTruth', help: 'truth CSV of the test data' },
  name: { kind: 'string', key: 'name', help: 'dataset name in the report' },
  'seed-per-class': { kind: 'int', key: 'seedPerClass', help: `human seed labels per class (default ${BENCH_DEFAULTS.seedPerClass})` },
  rounds: { kind: 'int', key: 'rounds', help: `train → propose → review rounds (default ${BENCH_DEFAULTS.rounds})` },
  review: { kind: 'int', key: 'review', help: `proposals reviewed per round (default ${BENCH_DEFAULTS.review})` },
  uncertain: { kind: 'int', key: 'uncertain', help: `most uncertain items labelled per round (default ${BENCH_DEFAULTS.uncertain})` },
  'no-review': { kind: 'boolean', key: 'noReview', help: 'accept all proposals above the threshold unreviewed (0 human actions)' },
  seed: { kind: 'int', key: 'seed', help: `random seed: makes a run repeatable (default ${BENCH_DEFAULTS.seed})` },
  threshold: { kind: 'number', key: 'threshold', help: 'proposal confidence threshold (default: the project default)' },
  epochs: { kind: 'number', key: 'epochs', help: 'self-supervised pretraining epochs per task (default: the project default)' },
  'pretrain-max-seconds': { kind: 'number', key: 'pretrainMaxSeconds', help: 'stop pretraining after this many seconds' },
  'pretrain-plan': {
    kind: 'string',
    key: 'pretrainPlan',
    help: 'auto (default: join when the tasks are as many as the workers) | per-task (one task per worker, repeatable to the decimal) | data-parallel (each task on all workers, one after another) | join (per-task; a worker done early joins a task still running)',
  },
  'pool-limit': { kind: 'int', key: 'poolLimit', help: 'use only N pool items (seeded random subset)' },
  'test-limit': { kind: 'int', key: 'testLimit', help: 'use only N test items (seeded random subset)' },
  workers: { kind: 'int', key: 'workers', help: 'worker threads (default: the project default, 2)' },
  backend: { kind: 'string', key: 'backend', help: 'auto | wasm | cpu | tensorflow' },
  'image-size': {
    kind: 'int',
    key: 'imageSize',
    help: 'images: encoder input side in px, 8..256 (default: auto, the median side, at most 64)',
  },
  classifier: { kind: 'string', key: 'classifier', help: 'auto (default) | spread (label spreading + classifier) | linear' },
  'pretrained-from': {
    kind: 'string',
    key: 'pretrainedFrom',
    help: 'reuse the encoders of a workspace pretrained on the same pool (accuracy runs only)',
  },
  finetune: { kind: 'boolean', key: 'finetune', help: 'images: the final train also fine-tunes the encoder end to end' },
  budget: { kind: 'int', key: 'budget', help: 'stop taking human actions after N' },
  json: { kind: 'string', key: 'json', help: 'write the result as JSON to FILE' },
  scratch: { kind: 'string', key: 'scratch', help: 'folder for the scratch workspace (default: OS temp)' },
  keep: { kind: 'boolean', key: 'keep', help: 'keep the scratch workspace' },
  'no-speed': { kind: 'boolean', key: 'speed', help: 'skip the label store / scan speed measurements' },
  'supervised-items': {
    kind: 'int',
    key: 'supervisedItems',
    help: 'images seen in training by the supervised-encoder baseline (default 10000)',
  },
  'no-baselines': { kind: 'boolean', key: 'baselines', help: 'skip the plain baselines (PCA/TF-IDF + logistic regression, random labels)' },
  quiet: { kind: 'boolean', key: 'quiet', help: 'no progress on stderr' },
  target: { kind: 'target', key: 'targets', help: 'a target to check, e.g. "final.testAccuracy>=0.95" (repeatable)' },
  check: {
    kind: 'string',
    key: 'check',
    help: 'run nothing: check the --target(s) on a saved result JSON (with --json OUT: write it, targets replaced)',
  },
};

/** The flags that mean something to --check; the others are a run's. */
const CHECK_FLAGS = ['check', 'target', 'json'];

export function benchHelp(): string {
  const rows = Object.entries(FLAGS).map(([k, f]) => {
    const arg = f.kind === 'boolean' ? '' : f.kind === 'string' ? ' <value>' : f.kind === 'target' ? ' <metric>=<v>' : ' <n>';
    return `  --${k}${arg}`.padEnd(34) + f.help;
  });
  return [
    'selflabel bench — simulated annotator, label efficiency and speed',
    '',
    'Usage: selflabel bench --data DIR --truth FILE.csv [--test-data DIR --test-truth FILE.csv] [options]',
    '       selflabel bench --check RESULT.json --target "metric>=value" [--target …] [--json OUT]',
    '',
    ...rows,
    '',
    'Prints a markdown report on stdout; progress on stderr. See BENCHMARKS.md.',
  ].join('\n');
}

/** One "metric>=value" (value may end in %), or undefined when `s` is not one. */
function parseCondition(s: string): (TargetCondition & { text: string }) | undefined {
  const m = /^\s*([A-Za-z0-9_.]+)\s*(>=|<=|>|<)\s*(-?[0-9.]+(?:e-?\d+)?)\s*(%?)\s*$/.exec(s);
  if (!m) return undefined;
  const value = Number(m[3]) / (m[4] ? 100 : 1);
  if (!Number.isFinite(value)) return undefined;
  return { metric: m[1], op: m[2] as TargetCondition['op'], value, text: `${m[1]} ${m[2]} ${m[3]}${m[4]}` };
}

/**
 * Parses "metric>=value" (value may end in %) with an optional "name=" prefix: "acc=final.testAccuracy>=95%";
 * conditions joined by " or " pass when any does: "final.testAccuracy>=0.95 or baselineMargin.test>=0.10".
 */
export function parseTarget(s: string): Target {
  // Always matches: an optional name, then the conditions.
  const [, name, body] = /^(?:([^=<>]+)=(?![=]))?(.*)$/s.exec(s)!;
  const parsed = body.split(/\s+or\s+/).map(parseCondition);
  if (parsed.some((c) => !c)) {
    throw new BenchUsageError(`bad --target "${s}" (expected e.g. final.testAccuracy>=0.95, or two such joined by " or ")`);
  }
  const conds = parsed as (TargetCondition & { text: string })[];
  const [first, ...rest] = conds;
  const strip = ({ metric, op, value }: TargetCondition): TargetCondition => ({ metric, op, value });
  return {
    name: name?.trim() || conds.map((c) => c.text).join(' or '),
    ...strip(first),
    ...(rest.length ? { or: rest.map(strip) } : {}),
  };
}

/** Parses the arguments of a run (`--check` is none). Returns null when --help was asked for. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | null {
  const c = parseBenchCommand(argv);
  if (c && 'check' in c) throw new BenchUsageError('--check runs nothing: it is not a run');
  return c;
}

/** Parses `bench` arguments: a run, or a check of a saved result (--check). Returns null when --help was asked for. */
export function parseBenchCommand(argv: readonly string[]): BenchOptions | BenchCheckOptions | null {
  const o: Partial<BenchOptions> & { targets: Target[]; check?: string } = {
    ...BENCH_DEFAULTS,
    noReview: false,
    keep: false,
    finetune: false,
    speed: true,
    baselines: true,
    quiet: false,
    targets: [],
  };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return null;
    if (!a.startsWith('--')) throw new BenchUsageError(`unexpected argument "${a}" (options start with --)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const f = FLAGS[name];
    if (!f) throw new BenchUsageError(`unknown option --${name} (selflabel bench --help lists them)`);
    given.add(name);
    if (f.kind === 'boolean') {
      if (eq >= 0) throw new BenchUsageError(`--${name} takes no value`);
      (o as Record<string, unknown>)[f.key] = !name.startsWith('no-') || name === 'no-review';
      continue;
    }
    const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new BenchUsageError(`--${name} needs a value`);
    if (f.kind === 'string') (o as Record<string, unknown>)[f.key] = v;
    else if (f.kind === 'target') o.targets.push(parseTarget(v));
    else {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new BenchUsageError(`--${name} needs a number, got "${v}"`);
      if (f.kind === 'int' && (!Number.isInteger(n) || n < 0)) throw new BenchUsageError(`--${name} needs a whole number ≥ 0, got "${v}"`);
      (o as Record<string, unknown>)[f.key] = n;
    }
  }
  if (o.check !== undefined) {
    // A run's flag beside --check would be silently ignored: say so instead.
    const stray = [...given].find((f) => !CHECK_FLAGS.includes(f));
    if (stray) throw new BenchUsageError(`--${stray} does not go with --check (a check runs nothing; it takes --target and --json)`);
    // A check without targets has nothing to check: say so rather than print an empty table.
    if (!o.targets.length) throw new BenchUsageError('--check needs a --target (e.g. --target "final.testAccuracy>=0.95")');
    return { check: o.check, targets: o.targets, ...(o.json !== undefined ? { json: o.json } : {}) };
  }
  if (!o.data) throw new BenchUsageError('bench needs --data DIR (a folder of items, or one JSONL/CSV file)');
  if (!o.truth) throw new BenchUsageError('bench needs --truth FILE.csv (header path,label)');
  if (Boolean(o.testData) !== Boolean(o.testTruth)) throw new BenchUsageError('--test-data and --test-truth go together');
  if (o.backend !== undefined && !['auto', 'wasm', 'cpu', 'tensorflow'].includes(o.backend)) {
    throw new BenchUsageError(`--backend must be auto, wasm, cpu or tensorflow, got "${o.backend}"`);
  }
  if (o.pretrainPlan !== undefined && !['auto', ...PRETRAIN_PLANS].includes(o.pretrainPlan)) {
    throw new BenchUsageError(`--pretrain-plan must be auto, ${PRETRAIN_PLANS.join(' or ')}, got "${o.pretrainPlan}"`);
  }
  if (o.classifier !== undefined && !['auto', 'spread', 'linear'].includes(o.classifier)) {
    throw new BenchUsageError(`--classifier must be auto, spread or linear, got "${o.classifier}"`);
  }
  if (o.threshold !== undefined && !(o.threshold >= 0 && o.threshold <= 1)) throw new BenchUsageError('--threshold must be in [0, 1]');
  if (o.imageSize !== undefined && !(o.imageSize >= 8 && o.imageSize <= 256)) throw new BenchUsageError('--image-size must be 8..256');
  if (o.workers !== undefined && o.workers < 1) throw new BenchUsageError('--workers must be at least 1');
  if ((o.seedPerClass ?? 0) < 1) throw new BenchUsageError('--seed-per-class must be at least 1');
  return o as BenchOptions;
}
