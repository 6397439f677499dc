/**
 * Turns a BenchResult into the markdown printed on stdout, and checks targets (PASS/MISS). A target reads one number
 * from the result by dotted path (`final.testAccuracy`, `speed.pretrainItemsPerSecond.total`); a target whose metric
 * was not measured is a MISS with actual = null, never a silent pass.
 */
import type { Target } from './options';
import type { BenchResult, TargetResult } from './result';

/** Reads a number from `obj` by dotted path; null when absent or not a finite number. */
export function metricAt(obj: unknown, dotted: string): number | null {
  let cur: unknown = obj;
  for (const k of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return null;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : null;
}

export function checkTarget(actual: number | null, t: Pick<Target, 'op' | 'value'>): boolean {
  if (actual === null) return false;
  switch (t.op) {
    case '>=':
      return actual >= t.value;
    case '<=':
      return actual <= t.value;
    case '>':
      return actual > t.value;
    case '<':
      return actual < t.value;
  }
}

/** Each target checked against `result`; one with alternatives (`or`) passes when any of its conditions does. */
export function evaluateTargets(result: unknown, targets: readonly Target[]): TargetResult[] {
  return targets.map((t) => {
    const actual = metricAt(result, t.metric);
    const or = t.or?.map((c) => {
      const a = metricAt(result, c.metric);
      return { metric: c.metric, op: c.op, value: c.value, actual: a, pass: checkTarget(a, c) };
    });
    const pass = checkTarget(actual, t) || (or ?? []).some((c) => c.pass);
    return { name: t.name, metric: t.metric, op: t.op, value: t.value, actual, pass, ...(or ? { or } : {}) };
  });
}

const isFraction = (metric: string) => /accuracy|precision|fraction|macrof1/i.test(metric);

/** Formats a fraction as a percentage (— for null/NaN). */
export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(digits)}%`;
}

/** Formats a number with a fixed number of decimals and thousands separators (— for null/NaN). */
export function num(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A margin over the baselines (a difference of fractions) reads in points. */
const isMargin = (metric: string) => /margin/i.test(metric);

function fmtMetric(metric: string, x: number | null): string {
  if (isMargin(metric)) return x === null || !Number.isFinite(x) ? '—' : `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} points`;
  return isFraction(metric) ? pct(x, 2) : num(x, Math.abs(x ?? 0) < 100 ? 1 : 0);
}

export function formatTargets(targets: readonly TargetResult[]): string {
  if (!targets.length) return '';
  const rows = targets.map((t) => {
    const conds = [t, ...(t.or ?? [])];
    // With alternatives, each condition names what it reads.
    const label = (c: { metric: string }) => (conds.length > 1 ? `${c.metric} ` : '');
    const wanted = conds.map((c) => `${label(c)}${c.op} ${fmtMetric(c.metric, c.value)}`).join(' or ');
    const measured = conds.map((c) => `${label(c)}${fmtMetric(c.metric, c.actual)}`).join(', ');
    return `| ${t.name} | ${wanted} | ${measured} | ${t.pass ? 'PASS' : 'MISS'} |`;
  });
  return ['| target | wanted | measured | |', '|---|---|---|---|', ...rows].join('\n');
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/**
 * SelfLabel beside the plain baselines (same pool, test items and human labels): a row each, with the margin of
 * SelfLabel's test accuracy over each baseline's in points.
 */
export function formatBaselines(r: Pick<BenchResult, 'final' | 'baselines'>): string {
  const f = r.final;
  const margin = (x: number | null) =>
    x === null || f.testAccuracy === null ? '—' : `${f.testAccuracy - x >= 0 ? '+' : ''}${(100 * (f.testAccuracy - x)).toFixed(1)}`;
  const rows = table(
    ['method', 'human labels', 'test acc', 'dataset label acc', 'SelfLabel − it (test, points)', 'seconds'],
    [
      [
        '**SelfLabel**',
        num(f.humanActions),
        pct(f.testAccuracy, 2),
        pct(f.datasetLabelAccuracy, 2),
        '',
        `${num(f.wallSeconds, 0)} (whole run)`,
      ],
      ...r.baselines.map((b) => [
        b.name,
        num(b.labels),
        pct(b.testAccuracy, 2),
        pct(b.datasetLabelAccuracy, 2),
        margin(b.testAccuracy),
        num(b.seconds, 1),
      ]),
    ],
  );
  return [rows, '', ...r.baselines.map((b) => `- ${b.name}: ${b.description}`)].join('\n');
}

/** The markdown report of one run. */
export function formatMarkdown(r: BenchResult): string {
  const o = r.options;
  const out: string[] = [];
  out.push(
    `## bench: ${r.dataset} (${r.mode}) — backend ${r.backend}, ${num(r.items)} items, ${r.classes.length} classes, ` +
      `${r.testItems ? `${num(r.testItems)} test items` : 'no test set'}`,
  );
  out.push('');
  out.push(
    `seed labels ${o.seedPerClass}/class, ${o.rounds} round(s)` +
      (r.mode === 'review' ? `, review ${o.review} + label ${o.uncertain} uncertain per round` : ', accept all proposals unreviewed') +
      `, threshold ${o.threshold ?? 'default'}, pretrain epochs ${o.epochs ?? 'default'}, seed ${o.seed}` +
      `${o.poolLimit !== undefined ? `, pool limit ${o.poolLimit}` : ''}${o.testLimit !== undefined ? `, test limit ${o.testLimit}` : ''}` +
      `; ${r.machine.nproc} × ${r.machine.cpu}, Node ${r.machine.node}, load average ${r.machine.loadAverage.start.toFixed(1)} → ${r.machine.loadAverage.end.toFixed(1)}`,
  );
  out.push('');
  out.push(
    table(
      [
        'round',
        'human actions',
        'trained on',
        'test acc',
        'test macro-F1',
        'proposals',
        'precision (expected)',
        'reviewed (✓/✗)',
        'uncertain',
        'auto-accepted',
        'labelled',
        'label acc',
        'seconds (train/test/propose/review)',
      ],
      r.rounds.map((x) => [
        String(x.round),
        num(x.humanActions),
        num(x.trainedOn),
        pct(x.testAccuracy, 2),
        pct(x.testMacroF1, 2),
        num(x.proposals),
        `${pct(x.proposalPrecision, 2)} (${pct(x.expectedPrecision, 1)})`,
        x.reviewed ? `${num(x.reviewed)} (${num(x.accepted)}/${num(x.corrected)})` : '0',
        num(x.uncertainLabelled),
        num(x.autoAccepted),
        pct(x.labelledFraction, 1),
        pct(x.labelAccuracy, 2),
        `${num(x.seconds.train, 1)} / ${num(x.seconds.test, 1)} / ${num(x.seconds.propose, 1)} / ${num(x.seconds.review + x.seconds.suggest, 1)}`,
      ]),
    ),
  );
  out.push('');
  const f = r.final;
  out.push(
    `**final** (retrained on every label): human actions **${num(f.humanActions)}**` +
      ` (seed ${f.actions.seed}, accepted ${f.actions.accepted}, corrected ${f.actions.corrected}, uncertain ${f.actions.uncertain}; auto-accepted ${num(f.actions.autoAccepted)})` +
      ` · test accuracy **${pct(f.testAccuracy, 2)}** (macro-F1 ${pct(f.testMacroF1, 2)})` +
      ` · dataset label accuracy **${pct(f.datasetLabelAccuracy, 2)}** (${num(f.labelled)} labelled, the rest predicted)` +
      ` · wall ${num(f.wallSeconds, 0)} s (pretrain ${num(f.pretrainSeconds, 0)} s) · peak RSS ${num(f.peakRssMB)} MB` +
      (f.journalConsistent ? '' : ' · **journal does not match the annotator**'),
  );
  if (f.finetune) {
    const b = f.finetune.before;
    out.push('');
    out.push(
      `**fine-tuning** (final train): ${num(f.finetune.seconds, 0)} s at ${num(f.finetune.itemsPerSecond)} items/s, calibrated on ${f.finetune.calibrationItems} held-out label(s)` +
        (b
          ? ` · classifier alone: dataset label accuracy ${pct(b.datasetLabelAccuracy, 2)}, test ${pct(b.testAccuracy, 2)} → fine-tuned ${pct(f.datasetLabelAccuracy, 2)}, ${pct(f.testAccuracy, 2)}`
          : ''),
    );
  }
  if (r.baselines?.length) {
    out.push('');
    out.push(formatBaselines(r));
  }
  out.push('');
  const s = r.speed;
  out.push(
    `**speed**: pretrain ${num(s.pretrainItemsPerSecond.wall)} items/s wall-clock, ${num(s.pretrainItemsPerSecond.total)} items/s training` +
      ` on ${s.pretrainItemsPerSecond.workers} worker(s)${s.pretrainItemsPerSecond.plan ? `, ${s.pretrainItemsPerSecond.plan}` : ''} (per task: ${
        Object.entries(s.pretrainItemsPerSecond.perTask)
          .map(([k, x]) => `${k} ${num(x)} on ${s.pretrainItemsPerSecond.perTaskWorkers?.[k] ?? 1}`)
          .join(', ') || '—'
      })` +
      ` · embed ${num(s.embedItemsPerSecond)} items/s · propose ${num(s.proposeSeconds, 2)} s` +
      ` · store append ${num(s.storeAppendPerSecond)} labels/s (fsync each; batched ${num(s.storeBatchAppendPerSecond)}/s), replay ${num(s.storeReplayPerSecond)} events/s` +
      ` · scan ${num(s.scanFilesPerSecond)} files/s`,
  );
  const d = r.data;
  const notes: string[] = [];
  if (d.truthProblemCount) notes.push(`${d.truthProblemCount} truth row(s) skipped (e.g. ${d.truthProblems.slice(0, 2).join('; ')})`);
  if (d.missingCount) {
    notes.push(
      `${d.missingCount} truth item(s) not usable (e.g. ${d.missing
        .slice(0, 2)
        .map((m) => `${m.id}: ${m.reason}`)
        .join('; ')})` + (d.notScannedCount ? `; the ${d.notScannedCount} the scan skipped count as wrong in dataset label accuracy` : ''),
    );
  }
  if (d.unknownItems) notes.push(`${d.unknownItems} scanned item(s) without truth, left alone`);
  if (d.testMissingCount) notes.push(`${d.testMissingCount} test item(s) not predicted — counted as wrong`);
  for (const w of r.warnings) notes.push(w);
  if (notes.length) {
    out.push('');
    out.push(notes.map((n) => `- ${n}`).join('\n'));
  }
  if (r.targets.length) {
    out.push('');
    out.push(formatTargets(r.targets));
  }
  return out.join('\n') + '\n';
}
