/**
 * How honest the audio head's later-round proposals are, on a kept bench workspace (`selflabel bench … --keep
 * --scratch DIR`), and what other temperatures of the student's mean would claim. Reads the final train's state
 * (models/classifier.json), its predictions, the saved cross-fitted verdict (cache/audio-verdict-*.json) and the
 * pool's truth; the items no one labelled are the next round's proposals at the threshold. Research only.
 *
 *   node --import tsx research/audio/roundCalib.ts WORKSPACE POOL_TRUTH.csv [threshold=0.9]
 *
 * Rules, each a temperature for the mean of the head and the real student (the predictions are re-tempered:
 * p' ∝ p^(T/T')):
 *   as saved    the state's (the build's that ran)
 *   judged      fitted on the judging pairs' mean on the judged halves (session 18's product)
 *   ratio       judged × (the full head's temperature / the half-label heads' temperature on the judged halves)
 *   ratio^w     judged × that ratio to the student's weight (session 20's product, transferTemperature)
 *   flattered   fitted on the real pair's mean at the human labels (the head saw them: optimistic)
 *   between     the geometric mean of cross and flattered
 *   oracle      the one whose proposals at the threshold claim what they measure (needs the truth: a bound)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabelStore } from '../../src/core/store';
import { readArrayFile, readJson } from '../../src/core/util/files';
import { readTruth } from '../../src/bench/truth';
import { fitTemperature } from '../../src/core/train/calibration';
import { argmaxRow, softmaxRows } from '../../src/core/util/math';
import { savedHalves } from '../../src/core/modalities/audio/verdict';
import { transferTemperature } from '../../src/core/train/student';
import type { AudioHeadState } from '../../src/core/modalities/audio/headState';
import type { ClassifierFile, PredictionsMeta } from '../../src/core/project/artifacts';

function logOf(p: ArrayLike<number>): Float32Array {
  return Float32Array.from(p as ArrayLike<number>, (v) => Math.log(Math.max(1e-12, v)));
}

/** The proposals at `threshold` of the rows `rows` after re-tempering by `f` (= T / T'): count, claimed, measured. */
function proposals(logP: Float32Array, rows: number[], truth: Int32Array, C: number, f: number, threshold: number) {
  let n = 0;
  let claim = 0;
  let right = 0;
  const one = new Float32Array(C);
  for (const i of rows) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logP[i * C + c] * f);
    let z = 0;
    for (let c = 0; c < C; c++) z += one[c] = Math.exp(logP[i * C + c] * f - mx);
    const top = argmaxRow(one, 0, C);
    const p = one[top] / z;
    if (p < threshold) continue;
    n++;
    claim += p;
    if (top === truth[i]) right++;
  }
  return { n, claimed: n ? (100 * claim) / n : NaN, measured: n ? (100 * right) / n : NaN };
}

async function main() {
  const [ws, truthFile, thr] = process.argv.slice(2);
  if (!ws || !truthFile) throw new Error('usage: roundCalib.ts WORKSPACE POOL_TRUTH.csv [threshold]');
  const threshold = Number(thr ?? 0.9);
  const models = path.join(ws, '.selflabel', 'models');
  const cache = path.join(ws, '.selflabel', 'cache');
  const cf = await readJson<ClassifierFile>(path.join(models, 'classifier.json'));
  const pred = await readArrayFile<PredictionsMeta>(path.join(models, 'predictions'));
  if (!cf || !pred) throw new Error(`${ws}: no trained model`);
  const state = cf.state as AudioHeadState;
  const classes = pred.meta.classes;
  const C = classes.length;
  const ids = pred.meta.ids;
  const probs = new Float32Array(pred.bytes.buffer.slice(pred.bytes.byteOffset, pred.bytes.byteOffset + pred.bytes.byteLength));
  const logP = logOf(probs);
  const t = await readTruth(truthFile);
  const truth = Int32Array.from(ids, (id) => classes.indexOf(t.labels.get(id) ?? t.labels.get(path.basename(id)) ?? ''));
  if (truth.some((c) => c < 0)) throw new Error('an item has no truth');
  const store = await LabelStore.open(ws);
  const cur = store.current();
  const unlabelled: number[] = [];
  const human: number[] = [];
  ids.forEach((id, i) => {
    const l = cur.get(id);
    if (!l) unlabelled.push(i);
    else if (l.source !== 'accepted') human.push(i);
  });
  const st = state.student;
  console.log(
    `${ws}: ${ids.length} items, ${unlabelled.length} unlabelled, ${human.length} human labels; student ${st ? `${st.judge ?? 'head-judged'}, kept ${st.kept}` : 'none'}`,
  );
  const T = state.temperature;
  const rules: [string, number][] = [['as saved', T]];
  const vFile = fs.readdirSync(cache).find((f) => f.startsWith('audio-verdict-'));
  const halves = vFile ? savedHalves(await readJson<unknown>(path.join(cache, vFile)), C) : undefined;
  if (st?.kept && halves) {
    const labels = Int32Array.from(halves.flatMap((h) => Array.from(h.labels)));
    const teacher = new Float32Array(labels.length * C);
    let at = 0;
    for (const h of halves) {
      teacher.set(h.teacher, at * C);
      at += h.labels.length;
    }
    const tHalf = fitTemperature(logOf(teacher), labels, C);
    const tFull = state.classifier.temperature;
    const judged = st.judgedTemperature ?? T;
    rules.push([`judged (session 18)`, judged]);
    rules.push([`ratio (full ${tFull.toFixed(3)} / half ${tHalf.toFixed(3)})`, (judged * tFull) / tHalf]);
    rules.push([`ratio^${st.weight} (session 20)`, transferTemperature(judged, tFull, tHalf, st.weight)]);
    // The real pair's mean at the human labels, at temperature 1: log p·T is log(mean) up to a constant per row.
    const hl = Int32Array.from(human, (i) => truth[i]);
    const raw = new Float32Array(human.length * C);
    human.forEach((i, a) => {
      for (let c = 0; c < C; c++) raw[a * C + c] = logP[i * C + c] * T;
    });
    const tFlat = fitTemperature(raw, hl, C);
    rules.push(['flattered', tFlat], ['between', Math.sqrt(T * tFlat)]);
    const acc = (P: Float32Array, y: Int32Array) => y.reduce((s, c, a) => s + (argmaxRow(P, a, C) === c ? 1 : 0), 0) / y.length;
    console.log(
      `  judged halves: ${labels.length} labels, half-label heads ${(100 * acc(softmaxRows(logOf(teacher), labels.length, C, tHalf), labels)).toFixed(1)}%; ` +
        `real pair on the human labels (flattered) ${(100 * acc(softmaxRows(raw, human.length, C, 1), hl)).toFixed(1)}%`,
    );
  }
  for (const [name, T2] of rules) {
    const r = proposals(logP, unlabelled, truth, C, T / T2, threshold);
    console.log(
      `  ${name.padEnd(40)} T ${T2.toFixed(3)}: ${r.n} proposals, claimed ${r.claimed.toFixed(1)}%, measured ${r.measured.toFixed(1)}% (gap ${(r.measured - r.claimed).toFixed(1)})`,
    );
  }
  // Oracle: the temperature (on a grid) whose proposals claim what they measure.
  let best: { T2: number; gap: number; n: number } | undefined;
  for (let T2 = 0.2; T2 <= 5; T2 *= 1.02) {
    const r = proposals(logP, unlabelled, truth, C, T / T2, threshold);
    if (r.n < 20) continue;
    const gap = Math.abs(r.measured - r.claimed);
    if (!best || gap < best.gap) best = { T2, gap, n: r.n };
  }
  if (best) {
    const r = proposals(logP, unlabelled, truth, C, T / best.T2, threshold);
    console.log(
      `  ${'oracle'.padEnd(40)} T ${best.T2.toFixed(3)}: ${r.n} proposals, claimed ${r.claimed.toFixed(1)}%, measured ${r.measured.toFixed(1)}%`,
    );
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
