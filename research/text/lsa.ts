/**
 * LSA features for the linear text head: LR on [tf-idf ⊕ β·(x·V)] (V: the pool's top `dim` singular directions,
 * src/core/modalities/text/lexical/lsa.ts) vs LR on tf-idf alone, K labels/class, no review.
 * Usage: node --import tsx research/text/lsa.ts DATASET '{"dims":[100],"betas":[0,1,3],"l2":0.2,"subword":true,"norm":false}'
 */
import { textFeatures } from '../../src/core/modalities/text/lexical/features';
import { linearTextFeatures } from '../../src/core/modalities/text/lexical/head';
import { fitSparseLogReg, sparseLogRegLogits } from '../../src/core/modalities/text/lexical/linear';
import { fitLsa, lsaIndex, lsaProject } from '../../src/core/modalities/text/lexical/lsa';
import { idfOf, tfidfRows, type SparseRow } from '../../src/core/modalities/text/lexical/tfidf';
import { accuracy, loadTextDataset, median, seedLabels } from './data';

const name = process.argv[2];
const o = JSON.parse(process.argv[3] ?? '{}') as {
  dims?: number[];
  betas?: number[];
  l2?: number;
  subword?: boolean;
  norm?: boolean;
  lsaWords?: boolean;
  bigrams?: boolean;
  seeds?: number[];
  k?: number;
};
const B = 1 << 18;
const ds = loadTextDataset(name);
const C = ds.classes.length;
let t0 = Date.now();
const sub = o.subword ?? true;
const P = ds.pool.texts.map((t) => linearTextFeatures(t, B, sub));
const T = ds.test.texts.map((t) => linearTextFeatures(t, B, sub));
const idf = idfOf(P, B);
const R = tfidfRows(P, idf);
const RT = tfidfRows(T, idf);
const lsaFeat = (t: string) => (o.bigrams === false ? textFeatures(t, { buckets: B, bigrams: false }) : linearTextFeatures(t, B, false));
const PW = o.lsaWords === false ? P : ds.pool.texts.map(lsaFeat);
const idfW = idfOf(PW, B);
const RW = tfidfRows(PW, idfW);
const RWT = tfidfRows(o.lsaWords === false ? T : ds.test.texts.map(lsaFeat), idfW);
const tFeat = (Date.now() - t0) / 1000;
console.log(`${name}: features ${tFeat}s nnz/doc ${(R.reduce((s, r) => s + r.ids.length, 0) / R.length).toFixed(0)}`);
const aug = (r: SparseRow, z: Float32Array, beta: number, norm: boolean): SparseRow => {
  let s = 0;
  for (const v of z) s += v * v;
  const k = norm && s > 0 ? beta / Math.sqrt(s) : beta;
  const ids = new Int32Array(r.ids.length + z.length);
  const w = new Float32Array(r.ids.length + z.length);
  ids.set(r.ids);
  w.set(r.w);
  for (let j = 0; j < z.length; j++) {
    ids[r.ids.length + j] = B + j;
    w[r.ids.length + j] = k * z[j];
  }
  return { ids, w };
};
for (const dim of o.dims ?? [100]) {
  t0 = Date.now();
  const lsa = fitLsa({ rows: RW, dim, seed: 1 });
  const at = lsaIndex(lsa);
  const ZP = RW.map((r) => lsaProject(lsa, r, at));
  const ZT = RWT.map((r) => lsaProject(lsa, r, at));
  const tSvd = (Date.now() - t0) / 1000;
  console.log(
    `dim ${dim}: D ${lsa.ids.length} svd ${tSvd}s sigma ${Array.from(lsa.sigma.slice(0, 5), (s) => s.toFixed(2)).join(' ')} … ${lsa.sigma[lsa.dim - 1].toFixed(3)}`,
  );
  for (const beta of o.betas ?? [0, 1, 3]) {
    const accs: number[] = [];
    let sec = 0;
    for (const seed of o.seeds ?? [1, 2, 3]) {
      const lab = seedLabels(ds.pool.y, C, o.k ?? 10, seed);
      const t1 = Date.now();
      const m = fitSparseLogReg({
        rows: lab.map((i) => aug(R[i], ZP[i], beta, !!o.norm)),
        targets: Int32Array.from(lab, (i) => ds.pool.y[i]),
        nClasses: C,
        l2: o.l2 ?? 0.2,
        iterations: 300,
      });
      sec += (Date.now() - t1) / 1000;
      accs.push(
        accuracy(
          sparseLogRegLogits(
            m,
            RT.map((r, i) => aug(r, ZT[i], beta, !!o.norm)),
          ),
          ds.test.y,
          C,
        ),
      );
    }
    console.log(
      `  ${name} dim ${dim} beta ${beta} norm ${!!o.norm}: median ${(median(accs) * 100).toFixed(2)} [${accs.map((a) => (a * 100).toFixed(1)).join(', ')}] fit ${sec.toFixed(1)}s`,
    );
  }
}
