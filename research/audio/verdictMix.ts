/**
 * The audio student's verdict on a kept bench workspace, judged three ways on the same human labels (each half's
 * labels, which neither judging part saw):
 *   halves     the product's (session 17): the half-label teacher against its mean with the judging student;
 *   real head  the real teacher's out-of-fold probabilities (its 5-fold cross-validation, 4/5 of the labels) against
 *              their mean with the judging student — a teacher as strong as the real one, a student weaker than it;
 * at the student weights 0.25 and 0.5, each mean's temperature fitted on the labels. Research only.
 *   node --import tsx research/audio/verdictMix.ts WORKSPACE
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson } from '../../src/core/util/files';
import { savedHalves } from '../../src/core/modalities/audio/verdict';
import { fitTemperature, nllAt } from '../../src/core/train/calibration';
import { argmaxRow } from '../../src/core/util/math';
import type { AudioHeadState } from '../../src/core/modalities/audio/headState';

async function main(): Promise<void> {
  const ws = process.argv[2];
  if (!ws) throw new Error('usage: verdictMix.ts WORKSPACE');
  const cache = path.join(ws, '.selflabel', 'cache');
  const files = fs.readdirSync(cache);
  const head = (await readJson<AudioHeadState>(
    path.join(
      cache,
      files.find((f) => f.startsWith('audio-head-'))!,
    ),
  ))!;
  const C = head.nClasses;
  const halves = savedHalves(
    await readJson<unknown>(
      path.join(
        cache,
        files.find((f) => f.startsWith('audio-verdict-'))!,
      ),
    ),
    C,
  )!;
  const oof = new Map<number, number[]>();
  head.oof!.index.forEach((i, j) => oof.set(i, head.oof!.probs.slice(j * C, (j + 1) * C)));
  const labels = halves.flatMap((h) => Array.from(h.labels));
  const m = labels.length;
  const cat = (f: (h: (typeof halves)[number], a: number) => ArrayLike<number>) => {
    const out = new Float32Array(m * C);
    let a0 = 0;
    for (const h of halves) for (let a = 0; a < h.labels.length; a++, a0++) out.set(Array.from(f(h, a)), a0 * C);
    return out;
  };
  const halfT = cat((h, a) => h.teacher.subarray(a * C, (a + 1) * C));
  const stu = cat((h, a) => h.student.subarray(a * C, (a + 1) * C));
  const realT = cat((h, a) => oof.get(h.index[a])!);
  const y = Int32Array.from(labels);
  const acc = (P: Float32Array) => (100 * y.reduce((s, c, a) => s + (argmaxRow(P, a, C) === c ? 1 : 0), 0)) / m;
  const logs = (P: Float32Array) => Float32Array.from(P, (v) => Math.log(Math.max(1e-12, v)));
  const judge = (name: string, T: Float32Array) => {
    const lt = logs(T);
    const tT = fitTemperature(lt, y, C);
    const row = [`${name}: teacher ${acc(T).toFixed(1)}% (nll ${nllAt(lt, y, C, tT).toFixed(3)})`];
    for (const w of [0.25, 0.5]) {
      const M = T.map((v, q) => (1 - w) * v + w * stu[q]);
      const lm = logs(M);
      row.push(`w ${w}: ${acc(M).toFixed(1)}% (nll ${nllAt(lm, y, C, fitTemperature(lm, y, C)).toFixed(3)})`);
    }
    console.log(row.join(' | '));
  };
  console.log(`${ws}: ${m} labels; judging student alone ${acc(stu).toFixed(1)}%; head est ${head.estimatedAccuracy}`);
  judge('halves', halfT);
  judge('real head', realT);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
