/**
 * The description of the tfjs backend a thread is running on. Kept in its own file with no imports so that the
 * worker protocol (and anything else that only needs the type) can use it without pulling in tfjs.
 */
import type { BackendName } from '../types';

/** What `initBackend` asked for: a specific backend, or the best one that loads ('auto'). */
export type BackendPreference = 'auto' | BackendName;

/** The backend that is running, and why a better one was not used. */
export interface BackendInfo {
  name: BackendName;
  /** For wasm: whether the SIMD build of the wasm binary is used. */
  simd?: boolean;
  /** Why a better (faster) backend than `name` was not used, in words a user can read. */
  reason?: string;
}

export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** True if `x` is one of 'auto' | 'tensorflow' | 'wasm' | 'cpu'. */
export function isBackendPreference(x: unknown): x is BackendPreference {
  return typeof x === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(x);
}
