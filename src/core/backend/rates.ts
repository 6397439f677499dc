/**
 * Honest throughput of a stage made of several training runs (pretext tasks, fine-tuned networks) that may have run
 * at the same time on different workers or one after another on the same worker.
 *
 * Summing the runs' own rates is right only when they all ran at once for the whole stage: two tasks that ran one
 * after the other at 500 items/s each processed 500 items per second of the stage, not 1,000 (issue 14: `--workers 1`
 * reported the same "1,055 items/s across workers" as two workers). The stage's rate is the items all runs processed
 * divided by the stage's wall-clock seconds.
 */

export interface RunRate {
  /** Items per second of this run, over its own `seconds`. */
  itemsPerSecond: number;
  seconds: number;
}

/** Items processed by all runs per wall-clock second of the stage (0 when nothing ran or no time passed). */
export function stageItemsPerSecond(runs: readonly RunRate[], wallSeconds: number): number {
  if (!(wallSeconds > 0)) return 0;
  let items = 0;
  for (const r of runs) {
    if (Number.isFinite(r.itemsPerSecond) && Number.isFinite(r.seconds) && r.seconds > 0) items += r.itemsPerSecond * r.seconds;
  }
  return items / wallSeconds;
}
