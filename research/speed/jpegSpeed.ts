/**
 * The shrinking JPEG decoder before and after session 8 (BENCHMARKS.md "Speed, session 8"), interleaved in one
 * process: CPU seconds per decode of each file at each scale, medians of --runs, and whether the outputs are
 * bit-identical. The "before" decoder is session 7's src/core/modalities/image/jpegScaled.ts, frozen in
 * research/speed/jpegScaledS7.ts.
 *
 *   node --import tsx research/speed/jpegSpeed.ts [--runs 5] [--scales 1,2,4] [--jpegjs] FILE.jpg…
 *
 * --jpegjs adds jpeg-js's full decode of each file (once per round) as a third column.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { decodeJpegScaled } from '../../src/core/modalities/image/jpegScaled';
import { decodeJpegScaled as decodeS7 } from './jpegScaledS7';

function cpu(fn: () => unknown): number {
  const c = process.cpuUsage();
  fn();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1e6;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const args = process.argv.slice(2);
let runs = 5;
let scales: (1 | 2 | 4)[] = [1, 2, 4];
let withJpegJs = false;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--scales') scales = args[++i].split(',').map(Number) as (1 | 2 | 4)[];
  else if (args[i] === '--jpegjs') withJpegJs = true;
  else files.push(args[i]);
}
console.log(
  `| file | scale | before CPU-s | after CPU-s | after / before | identical |${withJpegJs ? ' jpeg-js full CPU-s | jpeg-js / after |' : ''}`,
);
console.log(`|---|---|---:|---:|---:|---|${withJpegJs ? '---:|---:|' : ''}`);
for (const f of files) {
  const buf = fs.readFileSync(f);
  for (const n of scales) {
    const a = decodeS7(buf, n);
    const b = decodeJpegScaled(buf, n);
    const same =
      !!a && !!b && a.width === b.width && a.height === b.height && Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0;
    for (let w = 0; w < 2; w++) [decodeS7, decodeJpegScaled].forEach((dec) => dec(buf, n)); // warm-up
    const before: number[] = [];
    const after: number[] = [];
    const full: number[] = [];
    for (let r = 0; r < runs; r++) {
      before.push(cpu(() => decodeS7(buf, n)));
      after.push(cpu(() => decodeJpegScaled(buf, n)));
      if (withJpegJs) full.push(cpu(() => jpeg.decode(buf, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 })));
    }
    const [mb, ma] = [median(before), median(after)];
    const jj = withJpegJs ? ` ${median(full).toFixed(3)} | ${(median(full) / ma).toFixed(1)}× |` : '';
    console.log(
      `| ${path.basename(f)} | ${n}/8 | ${mb.toFixed(3)} | ${ma.toFixed(3)} | ${(ma / mb).toFixed(2)} | ${same ? 'yes' : 'NO'} |${jj}`,
    );
  }
}
