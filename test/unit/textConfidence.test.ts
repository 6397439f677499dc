/**
 * The text head claims no confidence beyond what its held-out human labels reached out of fold
 * (src/core/modalities/text/lexical/head.ts capConfidence, CalibrationFields.maxConfidence in src/core/train/crossval.ts).
 * The temperature is fitted on those labels only; a tight cluster of identical unlabelled documents (man-page aliases:
 * 20 copies of one library page) can be read back by spread + naive Bayes as more certain than any held-out label
 * ever was — manpages-small seed 3 proposed such a cluster at 92.7% expected precision, 0% right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capConfidence, fitTextHead, predictTextHead } from '../../src/core/modalities/text/lexical/head';
import { Rng } from '../../src/core/models/random';

/** Two classes of overlapping random-word documents, plus 12 identical unlabelled copies of one document. */
function clusterPool(seed: number) {
  const rng = new Rng(seed);
  const word = () => Array.from({ length: 7 }, () => 'bcdfghjklmnpqrstvwxz'[rng.int(20)]).join('');
  const V = [Array.from({ length: 20 }, word), Array.from({ length: 20 }, word)];
  const S = Array.from({ length: 40 }, word);
  const texts: string[] = [];
  for (let i = 0; i < 120; i++) {
    const c = i % 2;
    texts.push([...Array.from({ length: 3 }, () => V[c][rng.int(20)]), ...Array.from({ length: 8 }, () => S[rng.int(40)])].join(' '));
  }
  const copy = [...rng.shuffle(V[1]).slice(0, 8), ...Array.from({ length: 4 }, word)].join(' ');
  for (let i = 0; i < 12; i++) texts.push(copy);
  const lab = [...Array(20).keys()];
  const train = {
    index: Int32Array.from(lab),
    y: Int32Array.from(lab, (i) => i % 2),
    weight: new Float32Array(20).fill(1),
    holdout: new Uint8Array(20).fill(1),
  };
  return { texts, train, cluster: 120 };
}

test('text head (spread-nb): no pool item is more confident than the most confident held-out label', async () => {
  const { texts, train, cluster } = clusterPool(2);
  const state = await fitTextHead({ texts, train, nClasses: 2, seed: 2, candidates: ['spread-nb'] });
  assert.equal(typeof state.maxConfidence, 'number', 'the state records the largest out-of-fold confidence');
  const oof = state.oof!;
  let top = 0;
  for (let k = 0; k < oof.index.length; k++) top = Math.max(top, oof.probs[2 * k], oof.probs[2 * k + 1]);
  assert.ok(Math.abs(top - state.maxConfidence!) < 1e-6, `maxConfidence ${state.maxConfidence} = largest out-of-fold ${top}`);
  // The fixture reproduces the failure: uncapped, the cluster is more confident than any held-out label was.
  const raw = predictTextHead({ ...state, maxConfidence: undefined }, texts);
  const rawCluster = Math.max(raw[2 * cluster], raw[2 * cluster + 1]);
  assert.ok(rawCluster > state.maxConfidence! + 0.02, `uncapped cluster ${rawCluster} vs held-out max ${state.maxConfidence}`);
  assert.ok(rawCluster >= 0.9, 'uncapped, the cluster would be proposed at the default threshold');
  const probs = predictTextHead(state, texts);
  for (let i = 0; i < texts.length; i++) {
    const p = Math.max(probs[2 * i], probs[2 * i + 1]);
    assert.ok(p <= state.maxConfidence! + 1e-6, `item ${i}: ${p} > ${state.maxConfidence}`);
    assert.ok(Math.abs(probs[2 * i] + probs[2 * i + 1] - 1) < 1e-5);
    // The decision is unchanged, only the confidence.
    assert.equal(probs[2 * i] > probs[2 * i + 1], raw[2 * i] > raw[2 * i + 1]);
  }
});

test('capConfidence: caps the top probability by mixing with uniform, keeps the order and rows under the cap', () => {
  const p = Float32Array.from([0.97, 0.02, 0.01, 0.5, 0.3, 0.2, 1, 0, 0]);
  capConfidence(p, 3, 3, 0.8);
  assert.deepEqual(
    Array.from(p, (x) => Math.round(x * 1000) / 1000),
    [0.8, 0.104, 0.096, 0.5, 0.3, 0.2, 0.8, 0.1, 0.1],
  );
  // A cap under 1/2: the runner-up does not overtake the top (scaling the rest up made [0.9, 0.09, 0.01] → [0.4, 0.54, 0.06]).
  const r = capConfidence(Float32Array.from([0.9, 0.09, 0.01, 0.6, 0.39, 0.01]), 2, 3, 0.4);
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(r[i * 3] - 0.4) < 1e-6, 'the top is the cap');
    assert.ok(r[i * 3] > r[i * 3 + 1] && r[i * 3 + 1] > r[i * 3 + 2], `row ${i}: the order is kept`);
    assert.ok(Math.abs(r[i * 3] + r[i * 3 + 1] + r[i * 3 + 2] - 1) < 1e-6, `row ${i}: sums to 1`);
  }
  // At or under uniform: rows barely above it, the order still kept.
  const w = capConfidence(Float32Array.from([0.7, 0.2, 0.1]), 1, 3, 0.1);
  assert.ok(w[0] > w[1] && w[1] > w[2] && w[0] - 1 / 3 < 1e-3);
  const q = Float32Array.from([0.9, 0.1]);
  assert.equal(capConfidence(q, 1, 2, undefined)[0], Float32Array.from([0.9])[0]);
});
