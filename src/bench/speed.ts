/**
 * Speed of the parts that are not training, measured in the same run on scratch data: the label store (durable
 * single appends — one write + fsync per label, as a reviewer clicking; batched appends, as "accept all"; replay of
 * the journal when a workspace opens) and the workspace scan (files per second over the bench's own workspace,
 * without the scan cache).
 */
import * as fs from 'node:fs/promises';
import { scanWorkspace } from '../core/dataset';
import { LabelStore } from '../core/store';

export interface StoreSpeed {
  /** Single durable appends per second (one record() call per label). */
  appendPerSecond: number;
  /** Labels per second appended in batches (recordMany). */
  batchAppendPerSecond: number;
  /** Journal events replayed per second when the store is opened. */
  replayPerSecond: number;
  events: number;
}

/**
 * Appends `single` labels one by one, then `batched` labels in batches of `batchSize`, to a fresh store in `dir`
 * (which must not exist), then reopens it to time the replay. Item ids are taken round-robin from `items`.
 */
export async function measureStoreSpeed(
  dir: string,
  o: { classes: string[]; items: readonly string[]; single?: number; batched?: number; batchSize?: number },
): Promise<StoreSpeed> {
  const single = o.single ?? 300;
  const batched = o.batched ?? 20_000;
  const batchSize = o.batchSize ?? 1000;
  if (!o.items.length || o.classes.length < 1) throw new Error('no items or classes to write');
  await fs.mkdir(dir, { recursive: true });
  try {
    const store = await LabelStore.open(dir, { create: true });
    await store.setClasses(o.classes);
    const item = (i: number) => o.items[i % o.items.length];
    const cls = (i: number) => o.classes[i % o.classes.length];
    let t = process.hrtime.bigint();
    for (let i = 0; i < single; i++) await store.record({ item: item(i), label: cls(i), source: 'human' });
    const appendSec = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    for (let i = 0; i < batched; i += batchSize) {
      const n = Math.min(batchSize, batched - i);
      await store.recordMany(Array.from({ length: n }, (_, k) => ({ item: item(i + k), label: cls(i + k + 1), source: 'accepted' as const })));
    }
    const batchSec = Number(process.hrtime.bigint() - t) / 1e9;
    const events = single + batched;
    t = process.hrtime.bigint();
    const reopened = await LabelStore.open(dir, { create: false });
    const replaySec = Number(process.hrtime.bigint() - t) / 1e9;
    if (reopened.current().size === 0) throw new Error('the reopened store has no labels');
    return {
      appendPerSecond: single / appendSec,
      batchAppendPerSecond: batched / batchSec,
      replayPerSecond: events / replaySec,
      events,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Scans `root` (no scan cache) and returns files seen per second. */
export async function measureScanSpeed(root: string): Promise<{ filesPerSecond: number; files: number; seconds: number }> {
  const t = process.hrtime.bigint();
  const res = await scanWorkspace(root, {});
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return { filesPerSecond: res.filesSeen / seconds, files: res.filesSeen, seconds };
}
