/**
 * A 5,000-clip one-second word set for the timing of the whole no-review run (issue 12: ≤ 10 min): the audio-words
 * pool (2,000 clips) and two more copies of each clip with a variant — circular time shift of 50–250 ms, gain −6…+3 dB
 * and white noise at 20–35 dB SNR (seeded) — up to 5,000 clips; the test split is audio-words' own (linked).
 *   node --import tsx research/audio/words5k.ts [out=/tmp/sl-audio-5k]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeAudio } from '../../src/core/modalities/audio/decode';
import { toMono, TARGET_RATE } from '../../src/core/modalities/audio/resample';
import { encodeWav16 } from '../../src/core/modalities/audio/preview';
import { mulberry32 } from '../../src/core/models/random';
import { DATA } from './data';

async function main(): Promise<void> {
  const out = process.argv[2] ?? '/tmp/sl-audio-5k';
  const src = path.join(DATA, 'audio-words');
  const lines = fs.readFileSync(path.join(src, 'pool-truth.csv'), 'utf8').trim().split('\n').slice(1);
  fs.mkdirSync(path.join(out, 'pool'), { recursive: true });
  if (!fs.existsSync(path.join(out, 'test'))) fs.symlinkSync(path.join(src, 'test'), path.join(out, 'test'));
  fs.copyFileSync(path.join(src, 'test-truth.csv'), path.join(out, 'test-truth.csv'));
  const rand = mulberry32(5000);
  const truth = ['path,label'];
  for (let copy = 0; copy < 3; copy++) {
    for (const line of lines) {
      if (truth.length > 5000) break;
      const [file, label] = line.split(',');
      const name = `v${copy}-${file}`;
      const dec = await decodeAudio(fs.readFileSync(path.join(src, 'pool', file)));
      let x = toMono(dec.channelData, dec.info.sampleRate);
      if (copy > 0) {
        const shift = Math.round((0.05 + 0.2 * rand()) * TARGET_RATE);
        const g = 10 ** ((-6 + 9 * rand()) / 20);
        let p = 0;
        for (const v of x) p += v * v;
        const sd = Math.sqrt(p / x.length / 10 ** ((20 + 15 * rand()) / 10));
        const y = new Float32Array(x.length);
        for (let i = 0; i < x.length; i++) {
          const u = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
          y[i] = x[(i + shift) % x.length] * g + sd * u;
        }
        x = y;
      }
      fs.writeFileSync(path.join(out, 'pool', name), encodeWav16(x, TARGET_RATE));
      truth.push(`${name},${label}`);
    }
  }
  fs.writeFileSync(path.join(out, 'pool-truth.csv'), truth.join('\n') + '\n');
  console.log(`${truth.length - 1} clips in ${out}`);
}

void main();
