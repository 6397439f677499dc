/**
 * What the audio modality's worker jobs take: the items of a pool or folder, read by the host face (`load`) into
 * memory the workers share. A leaf (imports nothing): src/protocol/modalities.ts registers the modality with it.
 */
export interface AudioData {
  kind: 'audio';
  /** n × frames × mels float32 log-mel spectrograms (16 kHz mono clips cropped or padded to one length). */
  spec: SharedArrayBuffer;
  n: number;
  frames: number;
  mels: number;
  /**
   * n × VOICE_DIM float32 voice features of the same clips (./voice.ts: pitch statistics, long-term spectrum, tilt),
   * computed from the waveform beside the log-mel; absent in data made without them (the head then leaves its
   * voice candidates out).
   */
  voice?: SharedArrayBuffer;
}
