/**
 * A pretext checkpoint's state.json (written by ./loop.ts), and what it says about the training done. No tfjs here:
 * the project reads it on the host thread.
 */
import type { Modality } from '../../protocol/modalities';

export interface PretextState {
  version: 1;
  modality: Modality;
  task: string;
  /** Everything that must match for a resume (architecture, hyper-parameters). */
  config: unknown;
  n: number;
  seed: number;
  batchSize: number;
  /** Completed epochs. */
  epochsDone: number;
  /** Batches done in the epoch after `epochsDone` (a run stopped mid-epoch). */
  batchInEpoch: number;
  epochsPlanned: number;
  /** Training seconds over all runs. */
  seconds: number;
  itemsSeen: number;
  /** Mean loss of each completed epoch. */
  lossHistory: number[];
  lastLoss: number;
  /** Items per second of the last run. */
  itemsPerSecond: number;
  complete: boolean;
  savedAt: string;
}

/** Batches per epoch of a pretext run over n items (the loop drops the last partial batch). */
export function batchesPerEpoch(n: number, batchSize: number): number {
  return Math.max(1, Math.floor(n / batchSize));
}

/**
 * The epochs a checkpoint holds, counting a partly done epoch (a cancelled or time-limited run) as its fraction,
 * rounded down to hundredths: what the loop returns and what the project reports, so that both say the same.
 */
export function savedEpochs(s: Pick<PretextState, 'epochsDone' | 'batchInEpoch' | 'n' | 'batchSize'>): number {
  const done = (s.epochsDone ?? 0) + (s.batchInEpoch ?? 0) / batchesPerEpoch(s.n, s.batchSize);
  return Number.isFinite(done) ? Math.floor(done * 100 + 1e-9) / 100 : (s.epochsDone ?? 0);
}
