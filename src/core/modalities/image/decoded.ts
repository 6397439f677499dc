/** A decoded image, 8 bits per channel, row-major HWC. channels: 1 gray, 3 RGB, 4 RGBA. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}
