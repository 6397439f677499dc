/**
 * Session 9: selection rules for few held-out labels, compared offline on the same fits. Per dataset and seed (K
 * random labels/class, no review, one fit with every default candidate) the options — each candidate alone and the
 * re-calibrated averages of two or three of them (head.ts ensembleOf) — with their out-of-fold accuracy, log-loss and
 * held-out count, their test accuracy, and their predictions on the pool; then the test accuracy each rule picks:
 *   select   the head's rule before session 9 (best out-of-fold accuracy of a single, ties to the lowest log-loss);
 *   lsa+nb   always the average of linear-lsa and spread-nb (the `ensemble` option);
 *   all      the head's rule over singles and averages;
 *   within   the average of every single within one standard error of the best out-of-fold accuracy (subword+nb,
 *            which is not fitted, falls back to `select`);
 *   agree    among the singles within one standard error, the one agreeing most with the others on the pool;
 *   fav      the favourite (lsa+nb) unless an option beats its out-of-fold accuracy by more than one standard error;
 *   pair     (session 14) the same with lsa+subword as the favourite, against the singles;
 *   subst    (session 14, the head's rule since) `select`; when it picks linear-lsa or linear-subword, lsa+subword
 *            instead, unless the pick beats it by more than one standard error.
 * Fits are cached as JSON in --cache (default /tmp/text-rules) so rules can be changed without refitting.
 * Usage: node --import tsx research/text/rules.ts DATASET[,…] [--seeds 1,2,3] [--k 10] [--cache DIR]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ensembleOf,
  fitTextHead,
  predictTextHead,
  selectCandidate,
  type TextHeadCandidateName,
  type TextHeadState,
} from '../../src/core/modalities/text/lexical/head';
import type { SingleTextState } from '../../src/core/modalities/text/lexical/state';
import { argmaxRow } from '../../src/core/util/math';
import { tfidfLogReg } from './baseline';
import { accuracy, loadTextDataset, seedLabels, humanTrainSet, mediansLine } from './data';
import { args, opt } from '../args';

const K = Number(opt('k', '10'));
const seeds = opt('seeds', '1,2,3').split(',').map(Number);
const cache = opt('cache', '/tmp/text-rules');
const CANDS: TextHeadCandidateName[] = ['linear-lsa', 'linear-subword', 'spread-nb'];
const COMBOS: Record<string, TextHeadCandidateName[]> = {
  'lsa+nb': ['linear-lsa', 'spread-nb'],
  'lsa+subword': ['linear-lsa', 'linear-subword'],
  all3: CANDS,
};
const pct = (x: number) => (Number.isFinite(x) ? (x * 100).toFixed(1) : '—');

interface Option {
  name: string;
  oof: number;
  logLoss: number;
  heldOut: number;
  test: number;
  pool: number[]; // argmax class per pool item
}
interface Fit {
  lr: number;
  options: Option[];
}

const argmaxAll = (p: Float32Array, n: number, C: number) => Array.from({ length: n }, (_, i) => argmaxRow(p, i, C));

async function fitOnce(name: string, seed: number): Promise<Fit> {
  const file = path.join(cache, `${name}-${seed}-k${K}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Fit;
  const ds = loadTextDataset(name);
  const C = ds.classes.length;
  const human = seedLabels(ds.pool.y, C, K, seed);
  const lr = accuracy(tfidfLogReg(ds.pool.texts, human, ds.pool.y, C, ds.test.texts), ds.test.y, C);
  const train = humanTrainSet(human, ds.pool.y);
  const states = new Map<string, SingleTextState>();
  await fitTextHead({ texts: ds.pool.texts, train, nClasses: C, seed, candidates: CANDS, onCandidate: (nm, st) => states.set(nm, st) });
  const option = (nm: string, st: TextHeadState): Option => ({
    name: nm,
    oof: st.estimatedAccuracy ?? NaN,
    logLoss: st.logLoss ?? NaN,
    heldOut: st.oof?.index.length ?? 0,
    test: accuracy(predictTextHead(st, ds.test.texts), ds.test.y, C),
    pool: argmaxAll(predictTextHead(st, ds.pool.texts), ds.pool.texts.length, C),
  });
  const options = CANDS.map((c) => option(c, states.get(c)!));
  for (const [k, ms] of Object.entries(COMBOS))
    options.push(
      option(
        k,
        ensembleOf(
          ms.map((m) => states.get(m)!),
          train,
          seed,
        ),
      ),
    );
  const fit = { lr, options };
  fs.mkdirSync(cache, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(fit));
  return fit;
}

const se = (o: Option) => Math.sqrt(Math.max(o.oof * (1 - o.oof), 1 / o.heldOut) / o.heldOut);

function bestBy(opts: Option[]): Option {
  const i = selectCandidate(
    opts.map((o) => o.name),
    opts.map((o) => ({ estimatedAccuracy: o.oof, logLoss: o.logLoss, trainedOn: { rows: 0, heldOut: o.heldOut, folds: 5 } })),
  );
  return opts[i];
}

function rules(f: Fit): Record<string, string> {
  const by = new Map(f.options.map((o) => [o.name, o]));
  const singles = CANDS.map((c) => by.get(c)!);
  const best = bestBy(singles);
  const near = singles.filter((o) => o.oof >= best.oof - se(best) - 1e-12);
  const within =
    near.length === 1
      ? near[0].name
      : near.length === 3
        ? 'all3'
        : near.some((o) => o.name === 'linear-subword')
          ? near.some((o) => o.name === 'spread-nb')
            ? 'subword+nb'
            : 'lsa+subword'
          : 'lsa+nb';
  const agreeOf = (o: Option) => {
    let s = 0;
    for (const q of near) if (q !== o) for (let i = 0; i < o.pool.length; i++) s += o.pool[i] === q.pool[i] ? 1 : 0;
    return s;
  };
  const agree = near.reduce((a, o) => (agreeOf(o) > agreeOf(a) ? o : a), near[0]).name;
  const fav = by.get('lsa+nb')!;
  const beat = f.options.filter((o) => o.oof > fav.oof + se(fav) + 1e-12);
  const pair = by.get('lsa+subword')!;
  const beatPair = [...singles, pair].filter((o) => o.oof > pair.oof + se(pair) + 1e-12);
  // subst (the head since session 14): `select`; a linear pick gives way to the pair unless it beats the pair by more
  // than one standard error.
  const subst = best.name === 'spread-nb' || best.oof > pair.oof + se(pair) + 1e-12 ? best : pair;
  return {
    select: best.name,
    'lsa+nb': 'lsa+nb',
    all: bestBy(f.options).name,
    within: by.has(within) ? within : best.name,
    agree,
    fav: beat.length ? bestBy(beat).name : 'lsa+nb',
    pair: beatPair.length ? bestBy(beatPair).name : 'lsa+subword',
    subst: subst.name,
  };
}

async function main() {
  for (const name of args[0].split(',')) {
    const acc: Record<string, number[]> = {};
    const add = (k: string, v: number) => (acc[k] ??= []).push(v);
    for (const seed of seeds) {
      const t0 = Date.now();
      const f = await fitOnce(name, seed);
      const by = new Map(f.options.map((o) => [o.name, o]));
      add('tfidf-LR', f.lr);
      for (const o of f.options) add(o.name, o.test);
      const picks = rules(f);
      for (const [r, o] of Object.entries(picks)) add(`rule:${r}`, by.get(o)!.test);
      console.log(
        `${name} seed ${seed} (${((Date.now() - t0) / 1000).toFixed(0)}s): LR ${pct(f.lr)}; ` +
          f.options.map((o) => `${o.name} ${pct(o.test)} (oof ${pct(o.oof)}/${o.heldOut}, nll ${o.logLoss.toFixed(3)})`).join(', ') +
          `\n  picks: ${Object.entries(picks)
            .map(([r, o]) => `${r}→${o} ${pct(by.get(o)!.test)}`)
            .join(', ')}`,
      );
    }
    console.log(mediansLine(name, acc));
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
