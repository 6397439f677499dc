/**
 * The pool: the items of the workspace's modality from the last scan, what was skipped and why, in
 * .selflabel/cache/items.json. Items that cannot be read later are moved to the skipped list.
 */
import type { Item, Modality, Skipped } from '../types';
import type { ProjectConfig } from '../config';
import type { WorkspacePaths } from '../paths';
import type { FailedItem, StageOptions } from '../modalities/types';
import type { ScanSummary } from './types';
import { readJson, writeJson } from '../util/files';
import { scanWorkspace } from '../dataset';
import { MODALITIES } from '../../protocol/modalities';
import { ProjectError } from './errors';

interface ItemsFile {
  version: 1;
  modality?: Modality;
  items: Item[];
  skipped: Skipped[];
}

export class ItemSet {
  private items: Item[] = [];
  private index = new Map<string, number>();
  private skippedList: Skipped[] = [];
  private mod: Modality | undefined;

  constructor(private readonly paths: WorkspacePaths) {}

  async load(): Promise<void> {
    const f = await readJson<ItemsFile>(this.paths.items);
    if (f?.version === 1 && Array.isArray(f.items)) this.set(f.items, f.skipped ?? [], f.modality);
  }

  private set(items: Item[], skipped: Skipped[], modality: Modality | undefined): void {
    this.items = items;
    this.skippedList = skipped;
    this.mod = modality;
    this.index = new Map(items.map((it, i) => [it.id, i]));
  }

  private async save(): Promise<void> {
    await writeJson(this.paths.items, { version: 1, modality: this.mod, items: this.items, skipped: this.skippedList } satisfies ItemsFile);
  }

  get list(): readonly Item[] {
    return this.items;
  }
  get skipped(): readonly Skipped[] {
    return this.skippedList;
  }
  get modality(): Modality | undefined {
    return this.mod;
  }
  get(id: string): Item | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.items[i];
  }
  /** Row of item `id` in the pool. */
  rowOf(id: string): number | undefined {
    return this.index.get(id);
  }
  has(id: string): boolean {
    return this.index.has(id);
  }
  ids(): IterableIterator<string> {
    return this.index.keys();
  }

  /** The modality to work on; throws when the last scan found nothing to label. */
  require(): Modality {
    if (!this.mod || this.items.length === 0) {
      throw new ProjectError('no-items', 'no items to work on: run scan first (and check the include/exclude settings)');
    }
    return this.mod;
  }

  /** Scans the workspace; the pool becomes the items of the chosen modality (the most common one, by default). */
  async scan(root: string, config: ProjectConfig, opts: StageOptions): Promise<ScanSummary> {
    const res = await scanWorkspace(root, {
      include: config.include.length ? config.include : undefined,
      exclude: config.exclude,
      textField: config.textField,
      audioWindows: { maxItemSeconds: config.audioMaxItemSeconds, windowSeconds: config.audioWindowSeconds },
      signal: opts.signal,
      onProgress: opts.onProgress,
      cacheFile: this.paths.scanCache,
    });
    const byModality = Object.fromEntries(MODALITIES.map((m) => [m, 0])) as Record<Modality, number>;
    for (const it of res.items) byModality[it.modality]++;
    const found = MODALITIES.filter((m) => byModality[m] > 0);
    const modality: Modality | undefined =
      config.modality !== 'auto'
        ? config.modality
        : found.length
          ? found.reduce((a, b) => (byModality[b] > byModality[a] ? b : a))
          : undefined;
    const items = modality ? res.items.filter((it) => it.modality === modality) : [];
    const skipped = [...res.skipped];
    if (modality) {
      const others = MODALITIES.filter((m) => m !== modality && byModality[m] > 0);
      const other = res.items.length - items.length;
      if (other > 0) {
        skipped.push({
          path: '*',
          reason: `${other} ${others.join('/')} item(s) ignored: this workspace labels ${modality}s (setting "modality")`,
        });
      }
    }
    this.set(items, skipped, modality);
    await this.save();
    return { items: items.length, skipped, modality, byModality, filesSeen: res.filesSeen, seconds: res.seconds };
  }

  /** Marks items that could not be read as skipped (visible in status), so they are never proposed. */
  async dropFailed(failed: FailedItem[]): Promise<void> {
    if (!failed.length) return;
    const bad = new Set(failed.map((f) => f.id));
    const keep = this.items.filter((it) => !bad.has(it.id));
    const skipped = [
      ...this.skippedList,
      ...failed.map((f) => {
        const it = this.get(f.id);
        return { path: it?.path ?? f.id, row: it?.row, reason: f.reason };
      }),
    ];
    this.set(keep, skipped, this.mod);
    await this.save();
  }
}
