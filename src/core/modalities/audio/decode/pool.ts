/**
 * Reuse of wasm decoder instances. Creating one compiles nothing (the module is cached) but instantiates a new wasm
 * memory each time (tens of ms); `reset()` is a few ms. A decoder is returned to the pool only after a call that
 * finished and a reset — one that threw is freed, so a corrupt file never leaves state behind for the next one.
 */

export interface PooledDecoder {
  ready: Promise<void>;
  reset(): Promise<void>;
  free(): void | Promise<void>;
}

const MAX_IDLE = 2;
const pools = new Map<string, PooledDecoder[]>();

/**
 * Runs `fn` with an idle decoder of kind `key` (or a new one from `make`). `resets` says whether `fn` already leaves
 * the decoder reset (the libraries' decodeFile do); otherwise it is reset here before going back to the pool.
 */
export async function withDecoder<D extends PooledDecoder, R>(
  key: string,
  make: () => D,
  resets: boolean,
  fn: (d: D) => Promise<R>,
): Promise<R> {
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = []));
  let d = pool.pop() as D | undefined;
  if (!d) {
    d = make();
    await d.ready;
  }
  let reusable = false;
  try {
    const r = await fn(d);
    // reset() can throw synchronously when the decode corrupted the wasm memory: then the result is not to be
    // trusted either, and the error goes to the caller (the decoders turn it into AudioError 'corrupt').
    if (!resets) await d.reset();
    reusable = true;
    return r;
  } finally {
    if (reusable && pool.length < MAX_IDLE) pool.push(d);
    else await freeQuietly(d);
  }
}

/** Frees a decoder; one whose wasm trapped (memory access out of bounds) may throw from free() too: it is dropped. */
async function freeQuietly(d: PooledDecoder): Promise<void> {
  try {
    await d.free();
  } catch {
    // the instance is unreachable from here on; its memory goes with it
  }
}

/** Frees every idle decoder (their wasm memories). */
export async function freeAudioDecoders(): Promise<void> {
  for (const pool of pools.values()) {
    for (const d of pool.splice(0)) await freeQuietly(d);
  }
}
