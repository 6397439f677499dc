/** The audio modality's registration, found by its folder's name (src/core/modalities/index.ts). */
import { defineModality } from '../types';
import { audioPlugin } from './plugin';

export const modality = defineModality({
  name: 'audio',
  host: audioPlugin,
  worker: async () => {
    // Loaded when called, in a worker thread only (a `require`, which tsx's CommonJS hook in the workers resolves too).
    const w: typeof import('./worker') = require('./worker');
    return { face: w.audioWorker, jobs: w.audioJobs };
  },
});
