/**
 * Camera-size JPEG fixtures made on the fly (no big files in the repository): a synthetic "photo" — smooth colour
 * gradients, a few soft-edged shapes, fine texture and sensor-like noise, so that the file has the detail and the
 * size of a real 12-megapixel photo (2–5 MB at quality 90) — encoded by jpeg-js (baseline, 4:4:4, the harder case
 * for a shrinking decoder: twice the chroma blocks of a phone's 4:2:0).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { Rng } from '../core/models/random';

/** RGBA pixels of a synthetic photo, width×height, seeded. */
export function syntheticPhoto(width: number, height: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(width * height * 4);
  const base = [0, 1, 2].map(() => [rng.uniform(40, 200), rng.uniform(-80, 80), rng.uniform(-80, 80)]);
  const shapes = Array.from({ length: 12 }, () => ({
    cx: rng.uniform(0, width),
    cy: rng.uniform(0, height),
    r: rng.uniform(0.03, 0.25) * Math.min(width, height),
    col: [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)],
  }));
  const fx = rng.uniform(0.02, 0.2);
  const fy = rng.uniform(0.02, 0.2);
  for (let y = 0; y < height; y++) {
    const v = y / height;
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const tex = 18 * Math.sin(x * fx + 3 * Math.sin(y * fy)) * Math.sin(y * fx * 0.7);
      const o = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) {
        let val = base[c][0] + base[c][1] * u + base[c][2] * v + tex;
        for (const s of shapes) {
          const dx = x - s.cx;
          const dy = y - s.cy;
          const d2 = (dx * dx + dy * dy) / (s.r * s.r);
          if (d2 < 1.2) val += (s.col[c] - val) * Math.min(1, Math.max(0, (1.2 - d2) * 4));
        }
        val += (rng.next() - 0.5) * 24;
        out[o + c] = val < 0 ? 0 : val > 255 ? 255 : val;
      }
      out[o + 3] = 255;
    }
  }
  return out;
}

/** A synthetic photo encoded as a JPEG (jpeg-js, baseline 4:4:4). */
export function syntheticJpeg(width: number, height: number, seed: number, quality = 90): Buffer {
  const data = syntheticPhoto(width, height, seed);
  return jpeg.encode({ data, width, height }, quality).data;
}

/**
 * `count` camera-size JPEGs in a folder under the system's temp directory, made once and reused (the name holds the
 * parameters). Returns their paths.
 */
export function cameraJpegs(count: number, width = 4000, height = 3000, log?: (s: string) => void): string[] {
  const dir = path.join(os.tmpdir(), `selflabel-photos-${width}x${height}`);
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const f = path.join(dir, `photo-${i}.jpg`);
    if (!fs.existsSync(f)) {
      log?.(`making ${path.basename(f)} (${width}×${height})…`);
      const tmp = `${f}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, syntheticJpeg(width, height, 1000 + i));
      fs.renameSync(tmp, f);
    }
    files.push(f);
  }
  return files;
}
