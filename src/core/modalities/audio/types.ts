/** Types of the audio library (no imports: safe anywhere, including a webview). */

/** The container/codec families the library recognises by their magic bytes. */
export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'ogg-vorbis' | 'ogg-opus';

/** What a file holds, as reported in an item's details. */
export interface AudioInfo {
  format: AudioFormat;
  /** Native sample rate of the file, Hz. */
  sampleRate: number;
  /** Native channel count (1 mono, 2 stereo, …). */
  channels: number;
  /** Samples per channel. */
  frames: number;
  /** Seconds (frames / sampleRate). */
  duration: number;
  /** Bits per sample of the stored PCM for WAV/FLAC (32 with `float` for IEEE float WAV); absent for lossy codecs. */
  bitsPerSample?: number;
  /** True for IEEE-float WAV. */
  float?: boolean;
}

/** Decoded audio: planar channels of float samples in [-1, 1] at the file's rate. */
export interface DecodedAudio {
  info: AudioInfo;
  channelData: Float32Array[];
}

/** Windowing of long recordings into items of their own. */
export interface WindowOptions {
  /** A recording longer than this (seconds) is split into windows. Default 30. */
  maxItemSeconds?: number;
  /** Length of each window, seconds. Default 10. */
  windowSeconds?: number;
  /** Step between window starts, seconds. Default = windowSeconds (no overlap). */
  hopSeconds?: number;
  /** A last window shorter than this (seconds) is dropped (unless it is the only one). Default 1. */
  minLastSeconds?: number;
}

/** One clip of a recording: the whole file (`index` undefined) or window `index` (1-based, id `file#index`). */
export interface AudioWindow {
  /** 1-based window number; undefined when the file is one item. */
  index?: number;
  /** Start, seconds from the beginning of the file. */
  start: number;
  /** Length, seconds. */
  duration: number;
}
