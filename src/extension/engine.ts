/**
 * What the extension loads lazily as dist/engine.js (scripts/build.mjs): the engine (src/core/project), the job
 * runner it is given (the worker pool), and the modality plugins' previews for the review grid. Activation never
 * evaluates this module; the first command that needs the engine does (session.ts, loadEngine).
 */
export * from '../core/project';
export { workerRunner } from '../worker/runner';
export { hasMedia, hasThumbnail, itemMedia, itemThumbnail } from '../core/modalities/preview';
