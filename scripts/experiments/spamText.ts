/**
 * Tuning: the sparse text head (src/core/text) on the bench's SpamAssassin split (.bench/data/spam), K labels/class.
 * Usage: node --import tsx scripts/experiments/spamText.ts '{"docLength":10,"lambda":0.1}'
 */
import { textFeatures } from '../../src/core/text/features';
import { fitNbEm, nbLogJoint } from '../../src/core/text/nbem';
import { loadSpamEmails, spamSeeds } from './data';

const knobs = JSON.parse(process.argv[2] ?? '{}');
const t0 = Date.now();
const { pool, test } = loadSpamEmails();
const fo = { buckets: knobs.buckets ?? 1 << 18, bigrams: knobs.bigrams ?? true, fields: knobs.fields ?? true };
const P = pool.map((d) => textFeatures(d.text, fo));
const T = test.map((d) => textFeatures(d.text, fo));
console.log(`features ${(Date.now() - t0) / 1000}s`);
const accs: number[] = [];
for (const seed of knobs.seeds ?? [1, 2, 3]) {
  const idx = spamSeeds(pool, knobs.k ?? 10, seed);
  const t1 = Date.now();
  const m = fitNbEm({ docs: P, nClasses: 2, buckets: fo.buckets, labelled: { index: Int32Array.from(idx), y: Int32Array.from(idx, (i) => pool[i].y) }, ...knobs });
  const lj = nbLogJoint(m, T, knobs.docLength);
  let ok = 0;
  const err = new Map<string, number>();
  test.forEach((d, i) => {
    const p = lj[i * 2 + 1] > lj[i * 2] ? 1 : 0;
    if (p === d.y) ok++;
    else err.set(d.g, (err.get(d.g) ?? 0) + 1);
  });
  accs.push(ok / test.length);
  console.log(`seed ${seed}: ${(ok / test.length * 100).toFixed(2)}% (${(Date.now() - t1) / 1000}s) errors ${[...err].map(([g, e]) => `${g}:${e}`).join(' ')}`);
}
accs.sort();
console.log(`median ${(accs[accs.length >> 1] * 100).toFixed(2)}%`);
