/**
 * The audio dev sets as log-mel spectrograms (the encoder's input: 1 s, 40 mels), computed once with the product's
 * features (src/core/modalities/audio/features.ts) and cached under /tmp/sl-audio-study, with their truth.
 *   SELFLABEL_AUDIO_DATA (default /tmp/sl-audio-data): the folders of scripts/prepare-audio-data.mjs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Item } from '../../src/core/types';
import { AUDIO_MELS, audioFeatureRows, audioFrames } from '../../src/core/modalities/audio/features';

export const DATA = process.env.SELFLABEL_AUDIO_DATA ?? '/tmp/sl-audio-data';
const CACHE = '/tmp/sl-audio-study';

export interface SpecSet {
  spec: Float32Array;
  n: number;
  frames: number;
  mels: number;
  y: Int32Array;
  classes: string[];
}

function truth(set: string, split: string): { files: string[]; labels: string[] } {
  const lines = fs
    .readFileSync(path.join(DATA, set, `${split}-truth.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return { files: lines.map((l) => l.split(',')[0]), labels: lines.map((l) => l.split(',')[1]) };
}

export async function loadSplit(set: string, split: 'pool' | 'test', classes?: string[]): Promise<SpecSet> {
  const { files, labels } = truth(set, split);
  const cls = classes ?? [...new Set(labels)].sort();
  const frames = audioFrames(1);
  const mels = AUDIO_MELS;
  const file = path.join(CACHE, `${set}-${split}.f32`);
  let spec: Float32Array;
  if (fs.existsSync(file)) {
    const b = fs.readFileSync(file);
    spec = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  } else {
    const root = path.join(DATA, set, split);
    const items = files.map((f) => {
      const st = fs.statSync(path.join(root, f));
      return { id: f, path: f, size: st.size, mtimeMs: st.mtimeMs } as unknown as Item;
    });
    spec = new Float32Array(files.length * frames * mels);
    const failed = await audioFeatureRows(root, items, { seconds: 1, frames, mels, out: spec, offset: 0 });
    if (failed.length) throw new Error(`${failed.length} clips failed`);
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(file, Buffer.from(spec.buffer));
  }
  return { spec, n: files.length, frames, mels, y: Int32Array.from(labels, (l) => cls.indexOf(l)), classes: cls };
}
