/**
 * What the voice features add to the feature job: time of decoding + log-mel of each clip against the time of its
 * voice features (src/core/modalities/audio/voice.ts), on the first N clips of a dev set, in one process (ratios).
 *   node --import tsx research/audio/voiceCost.ts [audio-speakers] [N=300]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATA } from './data';
import { loadAudioClips } from '../../src/core/modalities/audio/items';
import { LogMel, fixLength } from '../../src/core/modalities/audio/melspec';
import { voiceFeatures } from '../../src/core/modalities/audio/voice';
import { AudioError } from '../../src/core/modalities/audio/errors';

async function main(): Promise<void> {
  const set = process.argv[2] ?? 'audio-speakers';
  const N = Number(process.argv[3] ?? 300);
  const files = fs
    .readFileSync(path.join(DATA, set, 'pool-truth.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1, N + 1);
  const lm = new LogMel({ nMels: 40 });
  let tDecode = 0;
  let tMel = 0;
  let tVoice = 0;
  for (const l of files) {
    const t0 = performance.now();
    const [c] = await loadAudioClips(path.join(DATA, set, 'pool', l.split(',')[0]), [{ start: 0, duration: Infinity }]);
    if (c instanceof AudioError) throw c;
    const x = fixLength(c, 16000);
    const t1 = performance.now();
    lm.compute(x);
    const t2 = performance.now();
    voiceFeatures(x);
    const t3 = performance.now();
    tDecode += t1 - t0;
    tMel += t2 - t1;
    tVoice += t3 - t2;
  }
  const base = tDecode + tMel;
  console.log(
    `${set} ${files.length} clips: voice features / (decode + log-mel) = ${(tVoice / base).toFixed(2)} (log-mel alone ${(tMel / base).toFixed(2)} of decode + log-mel)`,
  );
}

void main();
