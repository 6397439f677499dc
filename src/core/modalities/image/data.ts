/**
 * What the image modality's worker jobs take: the items of a pool or folder, read by the host face (`load`) into
 * memory the workers share. A leaf (imports nothing): src/protocol/modalities.ts registers the modality with it.
 */
export interface ImageData {
  kind: 'image';
  /** n × size × size × channels bytes (HWC, 0..255). */
  pixels: SharedArrayBuffer;
  n: number;
  size: number;
  channels: 1 | 3;
}
