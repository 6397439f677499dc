/**
 * Thumbnails of the review grid, webview side: a cache (item id → image source) and a loader that asks the host for
 * the thumbnails of the cells on screen in batches — one request in flight at a time, holding only the items still
 * on screen when it is sent — instead of one webview resource load per image. While the user scrolls fast, cells
 * that scroll past before their turn never cost a request; once the grid stops, the next batch brings the screen's
 * images at once. No DOM here, so it is tested under Node (src/extension/test/webviewLogic.test.ts).
 */
import type { Thumbnail } from '../../src/protocol/webview';

export interface ThumbnailLoaderOptions {
  /** Asks the host for these items' thumbnails (at most `batch` ids). */
  request(ids: string[]): Promise<Thumbnail[]>;
  /** True while the item is on screen (items that left it are not asked for). */
  isWanted(id: string): boolean;
  /** These items' thumbnails arrived: redraw their cells. */
  onLoaded(ids: string[]): void;
  /** Only sources that pass are kept (e.g. `data:image/` or the workspace's webview URL). */
  accept(src: string): boolean;
  /** Most ids per request (default 96). */
  batch?: number;
  /** The cache keeps the most recently used sources up to this many characters (default 48 M). */
  maxChars?: number;
  /** Runs the next batch soon (default: setTimeout 0, i.e. after the current frame's work). */
  schedule?(fn: () => void): void;
}

export class ThumbnailLoader {
  private readonly cache = new Map<string, string>();
  private chars = 0;
  private readonly pending = new Set<string>();
  /** Asked for and not in the answer (not an image, unreadable): not asked for again until `clear()`. */
  private readonly missing = new Set<string>();
  private inFlight = false;
  private scheduled = false;
  private generation = 0;
  /** Requests sent (diagnostics and tests). */
  requests = 0;

  constructor(private readonly o: ThumbnailLoaderOptions) {}

  /** The cached source of `id` (marks it recently used), or undefined. */
  get(id: string): string | undefined {
    const src = this.cache.get(id);
    if (src !== undefined) {
      this.cache.delete(id);
      this.cache.set(id, src);
    }
    return src;
  }

  /** The item is on screen without a thumbnail: ask for it with the next batch. */
  need(id: string): void {
    if (this.cache.has(id) || this.missing.has(id)) return;
    this.pending.add(id);
    this.kick();
  }

  /** Forgets everything (a new list of items: files may have changed). An answer still on its way is dropped. */
  clear(): void {
    this.generation++;
    this.cache.clear();
    this.chars = 0;
    this.pending.clear();
    this.missing.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  private kick(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (this.o.schedule) this.o.schedule(run);
    else setTimeout(run, 0);
  }

  private put(id: string, src: string): void {
    const old = this.cache.get(id);
    if (old !== undefined) {
      this.chars -= old.length;
      this.cache.delete(id);
    }
    this.cache.set(id, src);
    this.chars += src.length;
    const max = this.o.maxChars ?? 48_000_000;
    for (const [k, v] of this.cache) {
      if (this.chars <= max || k === id) break;
      this.cache.delete(k);
      this.chars -= v.length;
    }
  }

  private async flush(): Promise<void> {
    const batch = this.o.batch ?? 96;
    const ids: string[] = [];
    for (const id of this.pending) {
      this.pending.delete(id);
      if (this.cache.has(id) || this.missing.has(id) || !this.o.isWanted(id)) continue;
      ids.push(id);
      if (ids.length >= batch) break;
    }
    if (ids.length === 0) return;
    this.inFlight = true;
    this.requests++;
    const generation = this.generation;
    try {
      const got = await this.o.request(ids);
      if (generation !== this.generation) return;
      const loaded: string[] = [];
      const asked = new Set(ids);
      for (const t of got) {
        if (!asked.has(t.id) || typeof t.src !== 'string' || !this.o.accept(t.src)) continue;
        this.put(t.id, t.src);
        loaded.push(t.id);
        asked.delete(t.id);
      }
      for (const id of asked) this.missing.add(id);
      if (loaded.length) this.o.onLoaded(loaded);
    } catch {
      // The host could not answer (e.g. the panel is closing): these items are asked for again when redrawn.
    } finally {
      this.inFlight = false;
      if (this.pending.size > 0) this.kick();
    }
  }
}
