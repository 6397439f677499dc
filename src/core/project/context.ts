/** The state one project's parts share: the workspace, its settings, the label store, the pool, the workers, the artifacts. */
import type { ProjectConfig } from '../config';
import type { WorkspacePaths } from '../paths';
import type { LabelStore } from '../store';
import type { Modality } from '../types';
import type { ModalityContext, ModalityPlugin } from '../modalities/types';
import type { ItemSet } from './items';
import type { Workers } from './workers';
import type { Artifacts } from './artifacts';
import { pluginOf } from '../modalities';

export interface ProjectContext {
  root: string;
  config: ProjectConfig;
  paths: WorkspacePaths;
  store: LabelStore;
  items: ItemSet;
  workers: Workers;
  artifacts: Artifacts;
}

/** What a modality plugin is given. */
export function modalityContext(p: ProjectContext): ModalityContext {
  return { root: p.root, paths: p.paths, config: p.config, pool: p.items.list, runner: p.workers };
}

/** The pool's modality (after a scan) and its plugin. */
export function poolPlugin(p: ProjectContext): { modality: Modality; plugin: ModalityPlugin } {
  const modality = p.items.require();
  return { modality, plugin: pluginOf(modality) as ModalityPlugin };
}
