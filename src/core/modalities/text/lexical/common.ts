/**
 * What the text heads (./head.ts, ./spreadNb.ts) share: the check of a train set against the texts, cancellation,
 * and the base64 form of typed arrays in saved states (little-endian, as the machine writes them).
 */
import type { TrainSet } from '../../../train/classifier';

export const b64 = (a: Int32Array | Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export function fromB64<T extends Int32Array | Float32Array>(s: string, ctor: new (b: ArrayBuffer) => T): T {
  const buf = Buffer.from(s, 'base64');
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return new ctor(copy);
}

export function abortIf(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

/** Throws a clear error unless `t` is a usable train set of `n` texts and C ≥ 2 classes. */
export function validateTrainSet(t: TrainSet, n: number, C: number): void {
  const m = t.index.length;
  if (!Number.isInteger(C) || C < 2) throw new Error(`Need at least 2 classes, got ${C}`);
  if (!m) throw new Error('No labelled items to train on.');
  if (t.y.length !== m || t.weight.length !== m || (t.holdout && t.holdout.length !== m)) {
    throw new Error('train.index, train.y, train.weight (and holdout) must have the same length');
  }
  for (let k = 0; k < m; k++) {
    if (t.index[k] < 0 || t.index[k] >= n) throw new Error(`train.index[${k}] = ${t.index[k]} is not a row of the ${n} texts`);
    if (t.y[k] < 0 || t.y[k] >= C) throw new Error(`train.y[${k}] = ${t.y[k]} is not a class (0..${C - 1})`);
  }
}

/**
 * The raw out-of-fold logits of a cross-validation, by data row, recorded from the `logitsOf` and
 * `remaining.firstLogits` the heads pass to crossValidateFirst (the stored out-of-fold probabilities are float32 and
 * saturate at a low temperature: 20 of 20 right out of fold drive it to its bound and every probability to 1 or 0).
 */
export class OofLogits {
  readonly held = new Map<number, Float32Array>();
  readonly first = new Map<number, Float32Array>();
  constructor(private readonly C: number) {}
  private keep(into: Map<number, Float32Array>, rows: ArrayLike<number>, l: Float32Array | undefined): void {
    if (!l) return;
    for (let i = 0; i < rows.length; i++) into.set(rows[i], l.slice(i * this.C, (i + 1) * this.C));
  }
  held_<M>(f: (m: M, rows: Int32Array) => Float32Array): (m: M, rows: Int32Array) => Float32Array {
    return (m, rows) => {
      const l = f(m, rows);
      this.keep(this.held, rows, l);
      return l;
    };
  }
  first_<M>(f: (m: M, rows: Int32Array) => Float32Array | undefined): (m: M, rows: Int32Array) => Float32Array | undefined {
    return (m, rows) => {
      const l = f(m, rows);
      this.keep(this.first, rows, l);
      return l;
    };
  }
}
