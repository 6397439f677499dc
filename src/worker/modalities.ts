/**
 * The worker faces of the modalities, by name: one line per modality (the host faces are registered in
 * src/core/modalities/index.ts). The compiler refuses a modality of src/shared/enums.ts missing here.
 */
import type { Modality } from '../shared/enums';
import type { ModalityWorker } from '../core/modalities/types';
import { imageWorker, imageJobs } from '../core/modalities/image/worker';
import { textWorker, textJobs } from '../core/modalities/text/worker';
import { audioWorker, audioJobs } from '../core/modalities/audio/worker';

export const modalityWorkers: { [M in Modality]: ModalityWorker<M> } = {
  image: imageWorker,
  text: textWorker,
  audio: audioWorker,
};

/** The jobs of their own the modalities serve. */
export const modalityJobs = { ...imageJobs, ...textJobs, ...audioJobs };
