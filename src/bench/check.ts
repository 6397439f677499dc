/**
 * `selflabel bench --check FILE`: targets checked on a saved result, nothing run. scripts/bench.mjs writes the
 * element-wise medians of repeated runs (`--repeat K`) and checks the run's targets on them here, so that the suite's
 * verdicts come from the same code as every run's own (report.ts evaluateTargets).
 */
import * as fs from 'node:fs/promises';
import type { Target } from './options';
import { evaluateTargets } from './report';
import type { BenchResult } from './result';

/**
 * `value` (a parsed result; `source` names it in errors) with its targets replaced by `targets` checked on it. An
 * error when it is not a bench result; a metric it lacks is a MISS, as in a run.
 */
export function checkResult(value: unknown, targets: readonly Target[], source: string): BenchResult {
  const r = value as Partial<BenchResult> | null;
  // Every result has both; a JSON without them is another file (a speed or UI suite's, a truth list…), not a result.
  if (r === null || typeof r !== 'object' || Array.isArray(r) || r.version !== 1 || typeof r.final !== 'object' || r.final === null) {
    throw new Error(`${source} is not a bench result (the JSON object selflabel bench --json writes, with "version": 1 and "final")`);
  }
  return { ...(r as BenchResult), targets: evaluateTargets(r, targets) };
}

/** Reads a saved result (a run's `--json FILE`, or the suite's medians) and checks `targets` on it (see checkResult). */
export async function checkResultFile(file: string, targets: readonly Target[]): Promise<BenchResult> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`cannot read the result ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // Newer Node quotes the text around the fault, newlines and all: kept to one line.
    throw new Error(`${file} is not JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  return checkResult(value, targets, file);
}
