/** The text modality's registration, found by its folder's name (src/core/modalities/index.ts). */
import { defineModality } from '../types';
import { textPlugin } from './index';

export const modality = defineModality({
  name: 'text',
  host: textPlugin,
  worker: async () => {
    // Loaded when called, in a worker thread only (a `require`, which tsx's CommonJS hook in the workers resolves too).
    const w: typeof import('./worker') = require('./worker');
    return { face: w.textWorker, jobs: w.textJobs };
  },
});
