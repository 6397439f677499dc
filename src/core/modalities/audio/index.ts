/**
 * Audio library (no tfjs): decoders, 16 kHz mono resampling, windowing of long recordings, log-mel features and
 * seeded augmentations. The modality plugin's host and worker faces build on these.
 */
export * from './types';
export * from './errors';
export * from './decode/index';
export { parseWavHeader, readWavFrames, type WavLayout } from './decode/wav';
export { parseFlacStreamInfo } from './decode/flac';
export { oggCodec } from './decode/ogg';
export * from './resample';
export * from './window';
export * from './melspec';
export { FFT } from './fft';
export * from './augment';
export * from './mfcc';
export * from './thumbnail';
export * from './items';
