/**
 * Does the audio head gain from the proposals it accepted, fitted again on its own features (no network)? Round 1 is
 * the product's candidate from 10 human labels a class (speakers: the LDA projection of the voice features, then label
 * spreading; words: spreading over the `shape` features' graph), then logistic regression on the spread labels. Its
 * `COUNT` surest pool clips (the no-review round's accepted proposals) join the human labels; round 2 fits the same
 * way from both. Test accuracy of each, and of their mean. Research only.
 *   SELFLABEL_AUDIO_DATA=.bench/data node --import tsx research/audio/selfTrain.ts SET [seeds=1,2,3]
 * env: COUNT (1200), K (10)
 */
import { accuracyOf, headStudy, knnGraph, seedLabels, spreadFrom } from './data';
import { fitLogReg, predictLogReg } from '../../src/bench/baselines/linear';
import { ldaProjection, projectRows } from '../../src/core/train/lda';
import { confidentRows } from '../../src/core/train/student';

async function main(): Promise<void> {
  const { set, seeds, pool, test, C, Xp, Xt, dim: d } = await headStudy(process.argv.slice(2));
  const K = Number(process.env.K ?? 10);
  const COUNT = Number(process.env.COUNT ?? 1200);
  const lda = set !== 'audio-words';
  const unit = (X: Float32Array, n: number, dim: number) => {
    const Y = Float32Array.from(X);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let q = 0; q < dim; q++) s += Y[i * dim + q] ** 2;
      s = Math.sqrt(s) || 1;
      for (let q = 0; q < dim; q++) Y[i * dim + q] /= s;
    }
    return Y;
  };
  const plainGraph = lda ? undefined : knnGraph(unit(Xp, pool.n, d), pool.n, d, K);
  /** One fit from labelled rows: spread labels on the pool, then LR on them; pool and test probabilities. */
  const fit = (lab: number[], ly: Int32Array) => {
    const g = lda
      ? (() => {
          const p = ldaProjection(Xp, d, lab, ly, C);
          return knnGraph(projectRows(Xp, pool.n, d, p), pool.n, p.out, K);
        })()
      : plainGraph!;
    const { labels } = spreadFrom(g, C, lab, ly);
    const all = Array.from(labels.keys());
    const m = fitLogReg({ kind: 'dense', X: Xp, n: pool.n, dim: d }, all, labels, C, { lambda: 1e-3, maxIterations: 400 });
    return {
      P: Float32Array.from(predictLogReg(m, { kind: 'dense', X: Xp, n: pool.n, dim: d })),
      Pt: Float32Array.from(predictLogReg(m, { kind: 'dense', X: Xt, n: test.n, dim: d })),
    };
  };
  const lrOn = (lab: number[], ly: Int32Array) =>
    Float32Array.from(
      predictLogReg(fitLogReg({ kind: 'dense', X: Xp, n: pool.n, dim: d }, lab, ly, C, { lambda: 1e-3, maxIterations: 400 }), {
        kind: 'dense',
        X: Xt,
        n: test.n,
        dim: d,
      }),
    );
  for (const seed of seeds) {
    const { lab, ly } = seedLabels(pool.y, C, 10, seed);
    const r1 = fit(lab, ly);
    const acc = confidentRows(r1.P, pool.n, C, new Set(lab), COUNT);
    let right = 0;
    acc.rows.forEach((i, k) => (right += pool.y[i] === acc.y[k] ? 1 : 0));
    const lab2 = [...lab, ...acc.rows];
    const ly2 = Int32Array.from([...ly, ...acc.y]);
    const r2 = fit(lab2, ly2);
    const lr2 = lrOn(lab2, ly2);
    const mean = r1.Pt.map((v, q) => (v + r2.Pt[q]) / 2);
    // The accepted clips by class, and a balanced share: at most the smallest class's count of each.
    const per = new Array<number>(C).fill(0);
    for (const c of acc.y) per[c]++;
    const cap = Math.max(1, Math.min(...per));
    const seen = new Array<number>(C).fill(0);
    const bal = Array.from(acc.rows.keys()).filter((k) => seen[acc.y[k]]++ < cap);
    const lab3 = [...lab, ...bal.map((k) => acc.rows[k])];
    const ly3 = Int32Array.from([...ly, ...bal.map((k) => acc.y[k])]);
    const lr3 = lrOn(lab3, ly3);
    const r3 = fit(lab3, ly3);
    // Round 1's two candidates together: the lda/spread fit and logistic regression on the human labels alone.
    const lr1 = lrOn(lab, ly);
    const both = r1.Pt.map((v, q) => (v + lr1[q]) / 2);
    const f = (v: number) => (100 * v).toFixed(1);
    console.log(
      `${set} seed ${seed}: accepted ${acc.rows.length} at ${f(right / acc.rows.length)}% | round 1 ${f(accuracyOf(r1.Pt, test.y, C))}` +
        ` | round 2 refit ${f(accuracyOf(r2.Pt, test.y, C))} | LR on human+accepted ${f(accuracyOf(lr2, test.y, C))}` +
        ` | mean r1+r2 ${f(accuracyOf(mean, test.y, C))} | per class ${per.join(' ')}` +
        ` | balanced (${cap} a class): LR ${f(accuracyOf(lr3, test.y, C))}, refit ${f(accuracyOf(r3.Pt, test.y, C))}` +
        ` | round 1 LR ${f(accuracyOf(lr1, test.y, C))}, mean with it ${f(accuracyOf(both, test.y, C))}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
