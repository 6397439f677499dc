/**
 * The modalities' registry, derived: for each name of src/protocol/modalities.ts (the one line a modality adds), its
 * folder's registration `src/core/modalities/<name>/modality.ts` (a `defineModality`), found by the name. Nothing
 * else lists the modalities: the host faces below, the worker faces (src/worker/modalities.ts) and the jobs they own
 * all come from here.
 *
 * The `require` of a template is how esbuild bundles every `<name>/modality.ts` (a glob), and how Node (tsx in the
 * tests) loads them; scripts/check-imports.mjs reads it as an import of each of those files.
 */
import { MODALITIES, type Modality } from '../../protocol/modalities';
import type { ModalityDescriptor, ModalityPlugin } from './types';

/** Why `mod` (a module) is not the registration of modality `name`, or undefined if it is. */
export function registrationProblem(name: string, mod: unknown): string | undefined {
  const where = `src/core/modalities/${name}/modality.ts`;
  if (typeof mod !== 'object' || mod === null || !('modality' in mod)) return `${where} exports no "modality" (defineModality(…))`;
  const d = mod.modality;
  if (typeof d !== 'object' || d === null || !('name' in d) || !('host' in d) || !('worker' in d))
    return `${where}: "modality" is not a defineModality(…) (name, host, worker)`;
  if (d.name !== name) return `${where} registers "${String(d.name)}", not "${name}"`;
  const host = d.host;
  if (typeof host !== 'object' || host === null || !('name' in host) || host.name !== name)
    return `${where}: its host face is not the "${name}" plugin`;
  if (typeof d.worker !== 'function') return `${where}: "worker" must load the worker face (() => import('./worker')…)`;
  return undefined;
}

function isRegistrationOf<M extends Modality>(name: M, mod: unknown): mod is { modality: ModalityDescriptor<M> } {
  return registrationProblem(name, mod) === undefined;
}

/** The registration of modality `name`, from the module `load` gives (throws a clear error if it is not one). */
export function registrationOf<M extends Modality>(name: M, load: (name: M) => unknown): ModalityDescriptor<M> {
  let mod: unknown;
  try {
    mod = load(name);
  } catch (e) {
    throw new Error(
      `modality "${name}" is registered but src/core/modalities/${name}/modality.ts cannot be loaded: ${(e as Error).message}`,
    );
  }
  if (!isRegistrationOf(name, mod)) throw new Error(registrationProblem(name, mod));
  return mod.modality;
}

const loadFolder = (name: string): unknown => require(`./${name}/modality.ts`);

/** Every registered modality, by name. */
export const modalities = Object.fromEntries(MODALITIES.map((m) => [m, registrationOf(m, loadFolder)])) as {
  // The one assertion of the registry: the loop above made one entry per name, each checked to be that name's.
  [M in Modality]: ModalityDescriptor<M>;
};

/** The host faces of the modalities, by name. */
export const modalityPlugins = Object.fromEntries(MODALITIES.map((m) => [m, modalities[m].host])) as {
  // The same loop over the same names, each entry that name's host face.
  [M in Modality]: ModalityPlugin<M>;
};

export function pluginOf<M extends Modality>(m: M): ModalityPlugin<M> {
  return modalityPlugins[m];
}
