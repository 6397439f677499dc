/**
 * Tuning: the review loop on the embeddings a real bench run cached in its workspace (.selflabel/cache/emb-*.bin,
 * concatenated as Project does), with the truth CSV: 10 seeds per class, then rounds in which a simulated person
 * labels `uncertain` items picked by `pick`; prints the dataset label accuracy over the pool after each round.
 * Usage: node --import tsx scripts/experiments/mnistReviewReal.ts <workspace> <truth.csv> <graphFile> [json knobs]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useBackend } from './backend';
import { graphCached } from './cache';
import { concatEmbeddings } from '../src/core/project';
import { fitSemiSupervised } from '../src/core/train/semi';
import { fitClassifier, predict } from '../src/core/train/classifier';
import { Rng } from '../src/core/models/random';

(async () => {
  await useBackend('wasm');
  const [ws, truthFile, graphFile] = process.argv.slice(2);
  const k = JSON.parse(process.argv[5] ?? '{}');
  const cache = path.join(ws, '.selflabel', 'cache');
  const items: { id: string }[] = JSON.parse(fs.readFileSync(path.join(cache, 'items.json'), 'utf8')).items;
  const n = items.length;
  const truthMap = new Map(
    fs
      .readFileSync(truthFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',') as [string, string]),
  );
  const truth = Int32Array.from(items, (it) => Number(truthMap.get(it.id)));
  const parts = (k.tasks ?? ['simclr', 'rotation']).map((t: string) => {
    const meta = JSON.parse(fs.readFileSync(path.join(cache, `emb-${t}.json`), 'utf8'));
    const b = fs.readFileSync(path.join(cache, `emb-${t}.bin`));
    return { emb: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), dim: meta.dim };
  });
  const { X: XS, dim } = concatEmbeddings(parts, n);
  const X = new Float32Array(XS);
  const graph = await graphCached(graphFile, X, n, dim, 20);
  const human = new Map<number, number>();
  const rng = new Rng(k.seed ?? 1);
  for (let c = 0; c < 10; c++) {
    const of = [...Array(n).keys()].filter((i) => truth[i] === c);
    for (let j = 0; j < 10; j++) human.set(of.splice(Math.floor(rng.next() * of.length), 1)[0], c);
  }
  const rounds = k.rounds ?? 4;
  for (let r = 1; r <= rounds + 1; r++) {
    const idx = Int32Array.from(human.keys());
    const train = { index: idx, y: Int32Array.from(idx, (i) => human.get(i)!), weight: new Float32Array(idx.length).fill(1) };
    const t0 = Date.now();
    const common = { X, n, dim, train, nClasses: 10, seed: r, folds: k.folds };
    const st = k.method === 'linear' ? await fitClassifier(common) : await fitSemiSupervised({ ...common, graph, keep: k.keep ?? 0.8 });
    const fitS = (Date.now() - t0) / 1000;
    const p = predict(st, X, n, dim);
    let ok = 0;
    const cand: { i: number; s: number }[] = [];
    for (let i = 0; i < n; i++) {
      const h = human.get(i);
      if (h !== undefined) {
        if (h === truth[i]) ok++;
        continue;
      }
      if (p.labels[i] === truth[i]) ok++;
      let p1 = -1,
        p2 = -1;
      for (let c = 0; c < 10; c++) {
        const v = p.probs[i * 10 + c];
        if (v > p1) {
          p2 = p1;
          p1 = v;
        } else if (v > p2) p2 = v;
      }
      cand.push({ i, s: p1 - p2 });
    }
    const errs = cand.filter(({ i }) => p.labels[i] !== truth[i]).length;
    cand.sort((a, b) => a.s - b.s);
    const U = k.uncertain ?? 475;
    const picked = cand.slice(0, U).map((c) => c.i);
    const wrongInPicked = picked.filter((i) => p.labels[i] !== truth[i]).length;
    console.log(
      `round ${r}: human ${human.size}, dataset acc ${((ok / n) * 100).toFixed(2)}%, est ${st.estimatedAccuracy?.toFixed(4)}, fit ${fitS.toFixed(0)} s, errors ${errs}, in next ${U} picks ${wrongInPicked}`,
    );
    if (r > rounds) {
      if (k.dump) {
        fs.writeFileSync(`${k.dump}.json`, JSON.stringify({ human: [...human], acc: ok / n }));
        fs.writeFileSync(`${k.dump}.bin`, Buffer.from(p.probs.buffer, p.probs.byteOffset, p.probs.byteLength));
      }
      break;
    }
    for (const i of picked) human.set(i, truth[i]);
  }
})();
