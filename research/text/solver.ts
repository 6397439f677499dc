import { fitTextHead, predictTextHead } from '../../src/core/modalities/text/lexical/head';
import { accuracy, loadTextDataset, seedLabels } from './data';
async function main() {
  const [name, seedS, cands, solvers] = process.argv.slice(2);
  const ds = loadTextDataset(name);
  const C = ds.classes.length;
  const seed = Number(seedS);
  const lab = seedLabels(ds.pool.y, C, 10, seed);
  const train = { index: Int32Array.from(lab), y: Int32Array.from(lab, (i) => ds.pool.y[i]), weight: new Float32Array(lab.length).fill(1) };
  for (const solver of (solvers ?? 'nesterov,kernel').split(',') as ('kernel' | 'lbfgs' | 'nesterov')[]) {
    const t0 = Date.now();
    const s = await fitTextHead({ texts: ds.pool.texts, train, nClasses: C, seed, solver, candidates: cands.split(',') as never });
    const sec = (Date.now() - t0) / 1000;
    console.log(
      name,
      seed,
      solver,
      'test',
      accuracy(predictTextHead(s, ds.test.texts), ds.test.y, C).toFixed(4),
      'est',
      s.estimatedAccuracy,
      'T',
      s.temperature.toFixed(3),
      sec.toFixed(1) + 's',
      JSON.stringify(s.candidates),
    );
  }
}
main();
