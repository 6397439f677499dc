/**
 * Tiny, dependency-free runtime validators for messages that cross a thread or webview boundary.
 *
 * Every helper is a type guard `(v: unknown) => v is T`, and the combinators (`isOptional`, `isArrayOf`,
 * `hasShape`, …) build bigger guards from smaller ones, so a message type and its validator stay side by side:
 *
 *   const isPoint = hasShape<Point>({ x: isFiniteNumber, y: isFiniteNumber, label: isOptional(isString) });
 *
 * Browser-safe (no Node APIs): the webview bundle can use it too. Numbers must be finite (NaN and ±Infinity do not
 * survive JSON and are never meaningful in our messages).
 */

/** A runtime check that narrows `unknown` to `T`. */
export type Guard<T> = (v: unknown) => v is T;

/** The type a guard checks for. */
export type Guarded<G> = G extends Guard<infer T> ? T : never;

/** A plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Same as `isObject`, under the name the webview protocol uses. */
export const isRecord = isObject;

export function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

export function isBoolean(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

/** A number that is not NaN or ±Infinity. */
export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A safe integer (…, -1, 0, 1, …). */
export function isInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A safe integer ≥ 0 (ids, counts, indexes). */
export function isNonNegativeInteger(v: unknown): v is number {
  return isInteger(v) && v >= 0;
}

/** Exactly `value` (===). */
export function isLiteral<T extends string | number | boolean | null>(value: T): Guard<T> {
  return (v: unknown): v is T => v === value;
}

/** One of the listed strings. */
export function isOneOf<T extends string>(values: readonly T[]): Guard<T> {
  return (v: unknown): v is T => typeof v === 'string' && (values as readonly string[]).includes(v);
}

/** `undefined`, or what `guard` accepts. */
export function isOptional<T>(guard: Guard<T>): Guard<T | undefined> {
  return (v: unknown): v is T | undefined => v === undefined || guard(v);
}

/** `null`, or what `guard` accepts. */
export function isNullable<T>(guard: Guard<T>): Guard<T | null> {
  return (v: unknown): v is T | null => v === null || guard(v);
}

/** An array (of at most `maxLength` elements) whose every element passes `guard`. */
export function isArrayOf<T>(guard: Guard<T>, maxLength = Infinity): Guard<T[]> {
  return (v: unknown): v is T[] => {
    if (!Array.isArray(v) || v.length > maxLength) return false;
    for (const x of v) if (!guard(x)) return false;
    return true;
  };
}

/** Passes if any of the guards passes. */
export function isUnion<G extends Guard<unknown>[]>(...guards: G): Guard<Guarded<G[number]>> {
  return (v: unknown): v is Guarded<G[number]> => guards.some((g) => g(v));
}

/**
 * An object whose listed keys pass their guards. Keys not listed are allowed and ignored; a key whose guard
 * accepts `undefined` (`isOptional`) may be missing.
 */
export function hasShape<T>(shape: { [K in keyof T]-?: Guard<T[K]> }): Guard<T> {
  const entries = Object.entries(shape) as [string, Guard<unknown>][];
  return (v: unknown): v is T => {
    if (!isObject(v)) return false;
    for (const [key, guard] of entries) if (!guard(v[key])) return false;
    return true;
  };
}

/**
 * Describes why `v` fails `shape` (first failing key), for log messages about dropped input. Returns undefined
 * when every listed key passes.
 */
export function explainShape(v: unknown, shape: Record<string, Guard<unknown>>): string | undefined {
  if (!isObject(v)) return `expected an object, got ${describe(v)}`;
  for (const [key, guard] of Object.entries(shape)) {
    if (!guard(v[key])) return `bad field "${key}": ${describe(v[key])}`;
  }
  return undefined;
}

/** A short description of a value for log messages (type and a clipped preview; never the whole payload). */
export function describe(v: unknown, max = 80): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    return `object {${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}}`;
  }
  if (typeof v === 'string') return JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
  return `${typeof v} ${String(v)}`;
}
