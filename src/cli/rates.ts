/**
 * The lines the CLI prints after pretraining: each task's own rate labelled as such, then the stage's wall-clock
 * rate (the items of all tasks per second of the stage: tasks run one after another do not add up) and the plan.
 */
import type { PretrainSummary } from '../core/project/types';
import { plural } from '../shared/format';
import { formatSeconds } from './progressBar';

export function pretrainReport(r: PretrainSummary, configuredWorkers: number): string[] {
  const out = [`backend: ${r.backend}`];
  for (const t of r.tasks) {
    // A joined task ran in parts: "on 1 then 2 workers".
    const on =
      t.parts && t.parts.length > 1
        ? `on ${t.parts.map((q) => q.workers.length).join(' then ')} workers`
        : `on ${plural(t.workers ?? 1, 'worker')}`;
    out.push(
      `  ${t.task}: ${t.epochs} epoch(s)${t.input ? ` on ${t.input} inputs` : ''}, loss ${t.finalLoss.toFixed(4)}; this task's own rate ${t.itemsPerSecond.toFixed(0)} items/s ${on}`,
    );
  }
  const workers = r.workers ?? Math.min(r.tasks.length, configuredWorkers);
  const dp = r.tasks.some((t) => (t.workers ?? 1) > 1);
  const how =
    r.plan === 'data-parallel'
      ? `${plural(r.tasks.length, 'task')} one after another, each on ${plural(workers, 'worker')} (data-parallel)`
      : r.plan === 'join'
        ? `${plural(r.tasks.length, 'task')} side by side on ${plural(workers, 'worker')}, a worker done early joining a task still running${dp ? ' (data-parallel)' : ''}`
        : r.tasks.length > workers
          ? `${plural(r.tasks.length, 'task')} one after another on ${plural(workers, 'worker')}`
          : `${plural(r.tasks.length, 'task')} side by side on ${plural(workers, 'worker')}${dp ? ' (data-parallel within a task)' : ''}`;
  out.push(`pretrained in ${formatSeconds(r.seconds)}: ${r.itemsPerSecond.toFixed(0)} items/s wall clock for the stage, ${how}`);
  return out;
}
