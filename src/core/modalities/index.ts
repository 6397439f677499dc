/**
 * The host faces of the modalities, by name: one line per modality (their worker faces are registered in
 * src/worker/modalities.ts). The compiler refuses a modality of src/shared/enums.ts missing here.
 */
import type { Modality } from '../../shared/enums';
import type { ModalityPlugin } from './types';
import { imagePlugin } from './image';
import { textPlugin } from './text';
import { audioPlugin } from './audio/plugin';

export const modalityPlugins: { [M in Modality]: ModalityPlugin<M> } = {
  image: imagePlugin,
  text: textPlugin,
  audio: audioPlugin,
};

export function pluginOf<M extends Modality>(m: M): ModalityPlugin<M> {
  return modalityPlugins[m];
}
