/** Backend selection for the tuning scripts: the product's initBackend (wasm with SelfLabel's training kernels). */
import { initBackend, type BackendPreference } from '../src/core/backend';

export async function useBackend(name: string): Promise<void> {
  const info = await initBackend(name as BackendPreference);
  if (info.name !== name) console.warn(`backend: wanted ${name}, got ${info.name} (${info.reason ?? ''})`);
}
