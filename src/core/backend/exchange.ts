/**
 * The shared buffer of a data-parallel gradient exchange (./dataParallel.ts), without tfjs: the host sizes and
 * allocates it (src/core/project/training.ts, which must not load tfjs), the workers use it.
 *
 * Layout: Int32 control words [0, CTL) (arrival counter, generation: a reusable barrier), then two sets of Float32
 * slots (even and odd rounds, so that a fast worker writing round k+1 never overwrites what a slow one still reads of
 * round k), each `world` slots of [loss, stop vote, up to `capacity` gradient values]. A model with more values than
 * the capacity exchanges them in chunks of `capacity`, one barrier per chunk, so the host needs no model to size it.
 */

export const CTL = 16; // Int32 words of control (64 bytes: keeps the slots off the barrier's cache line)
export const HEAD = 2; // loss, stop vote

/**
 * Gradient values per slot the project allocates: 1M floats (4 MB per slot, 16 MB for two workers) holds the image
 * encoder with its heads in one chunk; bigger models take more than one barrier per step.
 */
export const DEFAULT_EXCHANGE_CAPACITY = 1 << 20;

/** The bytes a shared exchange buffer needs for `world` workers and `capacity` gradient values per slot. */
export function exchangeBytes(world: number, capacity: number): number {
  return CTL * 4 + 2 * world * (HEAD + capacity) * 4;
}

/** The gradient values per slot of an exchange buffer for `world` workers (undefined if the size does not fit). */
export function exchangeCapacity(byteLength: number, world: number): number | undefined {
  const per = (byteLength - CTL * 4) / (2 * world * 4) - HEAD;
  return Number.isInteger(per) && per >= 1 ? per : undefined;
}

/** Allocates the shared buffer of an exchange (host side; post it to every worker with its rank). */
export function allocateExchange(world: number, capacity: number = DEFAULT_EXCHANGE_CAPACITY): SharedArrayBuffer {
  if (!Number.isInteger(world) || world < 1) throw new Error(`world must be a positive integer, got ${world}`);
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity must be a positive integer, got ${capacity}`);
  return new SharedArrayBuffer(exchangeBytes(world, capacity));
}

/** The rows [start, end) of a batch of `batch` items that worker `rank` of `world` takes (shares differ by ≤ 1). */
export function shareOf(batch: number, rank: number, world: number): { start: number; end: number } {
  const base = Math.floor(batch / world);
  const extra = batch % world;
  const start = rank * base + Math.min(rank, extra);
  return { start, end: start + base + (rank < extra ? 1 : 0) };
}
