/**
 * The set-up the digit e2e suites share (the review grid's and the embedding map's): the CLI as a child process, and a
 * workspace of MNIST digits taken through init → scan → a few seed labels per class → pretrain → train → propose, so
 * that the workbench opens on proposals. The suites say how many digits, how long to pretrain and the threshold.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './harness';
import { writeMnistWorkspace, type DigitWorkspace } from './mnist';

export const DIGIT_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const CLI = path.join(ROOT, 'dist', 'cli.js');

/** Runs `selflabel ARGS` (dist/cli.js); throws with its stderr if it fails; returns its stdout. */
export function cli(args: string[], timeout = 900_000): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`selflabel ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface ProposedDigits {
  /** Digits per class (of DIGIT_CLASSES). */
  perClass: number;
  /** Human labels per class, imported from a CSV as seeds. */
  seedsPerClass: number;
  /** `pretrain --epochs 1 --max-seconds S`: the suites test the UI, not the model's quality. */
  pretrainSeconds: number;
  /** `propose --threshold T`. */
  threshold: number;
}

/** Writes the digits into `dir` and takes the workspace to pending proposals; returns the truth (file → class). */
export function proposedDigitWorkspace(dir: string, o: ProposedDigits): DigitWorkspace {
  const ws = writeMnistWorkspace(dir, { classes: DIGIT_CLASSES, perClass: o.perClass });
  cli(['init', '--workspace', dir, '--classes', DIGIT_CLASSES.join(','), '--quiet']);
  cli(['scan', '--workspace', dir, '--quiet']);
  const per = new Map<string, number>();
  const rows = ['path,label'];
  for (const [file, label] of ws.truth) {
    if ((per.get(label) ?? 0) >= o.seedsPerClass) continue;
    per.set(label, (per.get(label) ?? 0) + 1);
    rows.push(`${file},${label}`);
  }
  const seeds = path.join(path.dirname(dir), 'seeds.csv');
  fs.writeFileSync(seeds, rows.join('\n') + '\n');
  cli(['import', '--workspace', dir, seeds, '--quiet']);
  cli(['pretrain', '--workspace', dir, '--epochs', '1', '--max-seconds', String(o.pretrainSeconds), '--quiet']);
  cli(['train', '--workspace', dir, '--quiet']);
  cli(['propose', '--workspace', dir, '--threshold', String(o.threshold), '--quiet']);
  return ws;
}
