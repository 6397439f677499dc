/**
 * Loads a prepared text dataset (.bench/data/<name>/, see scripts/prepare-text-data.mjs and scripts/prepare-data.mjs):
 * pool/ and test/ folders of .txt files or JSONL rows, with pool-truth.csv / test-truth.csv (`path,label`, a JSONL
 * row is `file#row`, 1-based). Also picks seed labels the way the research scripts share: `perClass` random items of
 * each class (seeded).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/core/models/random';
import { mulberry32, sample } from '../../src/bench/rng';
import { ensembleOf, fitTextHead } from '../../src/core/modalities/text/lexical/head';
import type { EnsembleTextState, SingleTextState } from '../../src/core/modalities/text/lexical/state';
import { argmaxRow } from '../../src/core/util/math';

export interface TextSplit {
  texts: string[];
  y: Int32Array;
}
export interface TextDataset {
  name: string;
  classes: string[];
  pool: TextSplit;
  test: TextSplit;
}

export const DATA_DIR = path.join(__dirname, '..', '..', '.bench', 'data');

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function loadSplit(dir: string, split: string, classIndex: Map<string, number>): TextSplit {
  const rows = fs
    .readFileSync(path.join(dir, `${split}-truth.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map(parseCsvLine);
  const jsonl = new Map<string, string[]>();
  const texts: string[] = [];
  const y: number[] = [];
  for (const [p, label] of rows) {
    const m = /^(.*)#(\d+)$/.exec(p);
    let text: string;
    if (m) {
      let lines = jsonl.get(m[1]);
      if (!lines) {
        lines = fs.readFileSync(path.join(dir, split, m[1]), 'utf8').split('\n');
        jsonl.set(m[1], lines);
      }
      text = (JSON.parse(lines[Number(m[2]) - 1]) as { text: string }).text;
    } else text = fs.readFileSync(path.join(dir, split, p), 'utf8');
    if (!classIndex.has(label)) classIndex.set(label, classIndex.size);
    texts.push(text);
    y.push(classIndex.get(label)!);
  }
  return { texts, y: Int32Array.from(y) };
}

export function loadTextDataset(name: string): TextDataset {
  // A name, or the path of a prepared dataset elsewhere (e.g. one prepared into a scratch copy of the scripts).
  const dir = path.isAbsolute(name) ? name : path.join(DATA_DIR, name);
  if (!fs.existsSync(path.join(dir, 'pool-truth.csv')))
    throw new Error(`${dir}: not prepared (node scripts/prepare-text-data.mjs, or scripts/prepare-data.mjs --only spam)`);
  // Classes sorted by name so that class ids do not depend on the order of the rows.
  const names = new Set<string>();
  for (const s of ['pool', 'test'])
    for (const r of fs
      .readFileSync(path.join(dir, `${s}-truth.csv`), 'utf8')
      .trim()
      .split('\n')
      .slice(1))
      names.add(parseCsvLine(r)[1]);
  const classes = [...names].sort();
  const ci = new Map(classes.map((c, i) => [c, i]));
  return { name, classes, pool: loadSplit(dir, 'pool', ci), test: loadSplit(dir, 'test', ci) };
}

/** `perClass` random pool items of each class (seeded; fewer when a class has fewer). */
export function seedLabels(y: Int32Array, nClasses: number, perClass: number, seed: number): number[] {
  const order = new Rng(seed).shuffle(Int32Array.from(y.keys()));
  const cnt = new Array<number>(nClasses).fill(0);
  const idx: number[] = [];
  for (const i of order)
    if (cnt[y[i]] < perClass) {
      cnt[y[i]]++;
      idx.push(i);
    }
  return idx;
}

/**
 * The seed labels `selflabel bench --seed S` picks (src/bench/annotator.ts: `perClass` of each class, classes in name
 * order, from one seeded stream), so a research run's round 1 is the product bench's to the decimal.
 */
export function benchSeedLabels(y: Int32Array, classes: readonly string[], perClass: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  for (const name of [...classes].sort()) {
    const c = classes.indexOf(name);
    out.push(
      ...sample(
        [...y.keys()].filter((i) => y[i] === c),
        perClass,
        rand,
      ),
    );
  }
  return out;
}

/** The seed labels of a run: the bench's (`bench`, benchSeedLabels) or the research scripts' own (seedLabels). */
export function seedsFor(ds: TextDataset, perClass: number, seed: number, bench: boolean): number[] {
  return bench ? benchSeedLabels(ds.pool.y, ds.classes, perClass, seed) : seedLabels(ds.pool.y, ds.classes.length, perClass, seed);
}

/** Round 1's proposals and how they did: their count, expected (mean confidence) and measured precision, the wrong ones. */
export interface RoundOneProposals {
  n: number;
  expected: number;
  measured: number;
  wrong: { pred: number; truth: number }[];
}

/**
 * The rows not in `skip` whose top class of `p` has a confidence ≥ threshold — read from `conf` at that class when
 * given (a re-estimated confidence; the label stays `p`'s), else from `p` — as round 1 proposes them.
 */
export function roundOneProposals(
  p: Float32Array,
  y: Int32Array,
  skip: ReadonlySet<number>,
  C: number,
  threshold: number,
  conf?: Float32Array,
): RoundOneProposals {
  let n = 0;
  let e = 0;
  let ok = 0;
  const wrong: RoundOneProposals['wrong'] = [];
  for (let i = 0; i < y.length; i++) {
    if (skip.has(i)) continue;
    const b = argmaxRow(p, i, C);
    const v = conf ? conf[i * C + b] : p[i * C + b];
    if (v < threshold) continue;
    n++;
    e += v;
    if (b === y[i]) ok++;
    else wrong.push({ pred: b, truth: y[i] });
  }
  return { n, expected: n ? e / n : NaN, measured: n ? ok / n : NaN, wrong };
}

/** "NAME medians: key test T%, gap G [per seed], …": test accuracy and expected − measured precision per key. */
export function gapMediansLine(name: string, tests: Record<string, number[]>, gaps: Record<string, number[]>): string {
  const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '—');
  return `${name} medians: ${Object.keys(tests)
    .map((k) => `${k} test ${pct(median(tests[k]))}, gap ${pct(median(gaps[k]))} [${gaps[k].map(pct).join(', ')}]`)
    .join('; ')}`;
}

/** The text head's pair (linear-lsa + linear-subword, head.ts ensembleOf) fitted on `train`, with its two members. */
export async function fitPair(
  texts: readonly string[],
  train: ReturnType<typeof humanTrainSet>,
  nClasses: number,
  seed: number,
): Promise<{ pair: EnsembleTextState; lsa: SingleTextState; subword: SingleTextState }> {
  const st = new Map<string, SingleTextState>();
  await fitTextHead({
    texts: [...texts],
    train,
    nClasses,
    seed,
    candidates: ['linear-lsa', 'linear-subword'],
    onCandidate: (nm, s) => st.set(nm, s),
  });
  const lsa = st.get('linear-lsa')!;
  const subword = st.get('linear-subword')!;
  return { pair: ensembleOf([lsa, subword], train, seed), lsa, subword };
}

/** "NAME medians: key median% [per seed%], …" of accuracies per key. */
export function mediansLine(name: string, acc: Record<string, number[]>): string {
  const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '—');
  return `${name} medians: ${Object.entries(acc)
    .map(([k, v]) => `${k} ${pct(median(v))} [${v.map(pct).join(', ')}]`)
    .join('; ')}`;
}

/** The train set of human labels (full weight, all held out for the cross-validation) on pool rows `rows`. */
export function humanTrainSet(rows: readonly number[], y: Int32Array) {
  return {
    index: Int32Array.from(rows),
    y: Int32Array.from(rows, (i) => y[i]),
    weight: new Float32Array(rows.length).fill(1),
    holdout: new Uint8Array(rows.length).fill(1),
  };
}

export function accuracy(probsOrLogits: Float32Array, y: Int32Array, C: number): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (probsOrLogits[i * C + c] > probsOrLogits[i * C + b]) b = c;
    if (b === y[i]) ok++;
  }
  return ok / y.length;
}

export const median = (a: number[]): number => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
