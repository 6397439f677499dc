/**
 * Speed of the parts that are not training, measured in the same run on scratch data: the label store (durable
 * single appends — one write + fsync per label, as a reviewer clicking; batched appends, as "accept all"; replay of
 * the journal when a workspace opens) and the workspace scan (files per second over the bench's own workspace,
 * without the scan cache).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { scanWorkspace } from '../core/dataset';
import { LabelStore } from '../core/store';

export interface StoreSpeed {
  /** Single durable appends per second (one record() call per label). */
  appendPerSecond: number;
  /** Labels per second appended in batches (recordMany). */
  batchAppendPerSecond: number;
  /** Journal events replayed per second when the store is opened. */
  replayPerSecond: number;
  events: number;
}

/**
 * Appends `single` labels one by one, then `batched` labels in batches of `batchSize`, to a fresh store in `dir`
 * (which must not exist), then reopens it to time the replay. Item ids are taken round-robin from `items`.
 */
export async function measureStoreSpeed(
  dir: string,
  o: { classes: string[]; items: readonly string[]; single?: number; batched?: number; batchSize?: number },
): Promise<StoreSpeed> {
  const single = o.single ?? 300;
  const batched = o.batched ?? 20_000;
  const batchSize = o.batchSize ?? 1000;
  if (!o.items.length || o.classes.length < 1) throw new Error('no items or classes to write');
  await fs.mkdir(dir, { recursive: true });
  try {
    const store = await LabelStore.open(dir, { create: true });
    await store.setClasses(o.classes);
    const item = (i: number) => o.items[i % o.items.length];
    const cls = (i: number) => o.classes[i % o.classes.length];
    let t = process.hrtime.bigint();
    for (let i = 0; i < single; i++) await store.record({ item: item(i), label: cls(i), source: 'human' });
    const appendSec = Number(process.hrtime.bigint() - t) / 1e9;
    t = process.hrtime.bigint();
    for (let i = 0; i < batched; i += batchSize) {
      const n = Math.min(batchSize, batched - i);
      await store.recordMany(
        Array.from({ length: n }, (_, k) => ({ item: item(i + k), label: cls(i + k + 1), source: 'accepted' as const })),
      );
    }
    const batchSec = Number(process.hrtime.bigint() - t) / 1e9;
    const events = single + batched;
    t = process.hrtime.bigint();
    const reopened = await LabelStore.open(dir, { create: false });
    const replaySec = Number(process.hrtime.bigint() - t) / 1e9;
    if (reopened.current().size === 0) throw new Error('the reopened store has no labels');
    return {
      appendPerSecond: single / appendSec,
      batchAppendPerSecond: batched / batchSec,
      replayPerSecond: events / replaySec,
      events,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Scans `root` (no scan cache) and returns files seen per second. */
export async function measureScanSpeed(root: string): Promise<{ filesPerSecond: number; files: number; seconds: number }> {
  const t = process.hrtime.bigint();
  const res = await scanWorkspace(root, {});
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return { filesPerSecond: res.filesSeen / seconds, files: res.filesSeen, seconds };
}

// ---------------------------------------------------------------------------------------------------------------
// Training speed against PyTorch (`npm run bench -- --only speed`, scripts/bench-speed.ts). Only the plain parts
// live here (no tfjs: this file is part of the CLI bundle): the cases, the PyTorch peer process, medians and the
// table. The tfjs workloads run in worker threads started by scripts/bench-speed.ts.

/** One measured workload: a pretext task's training step, or embedding, on one input shape. */
export interface SpeedCase {
  /** e.g. '28×28×1' */
  input: string;
  h: number;
  w: number;
  c: 1 | 3;
  task: 'simclr' | 'rotation' | 'embed';
  /** Images per step (SimCLR: pairs of views, i.e. 2·batch images through the encoder). */
  batch: number;
  /**
   * The batches PyTorch is timed at, its faster rate kept, where its rate per image depends on the batch and
   * SelfLabel's does not: Debian's PyTorch 1.13 embedded 64×64×3 images 4× faster at 128 a call than at 512, and
   * 28×28 ones faster at one or the other from run to run (BENCHMARKS.md "Session 24 — speed"). Default: [batch].
   */
  torchBatches?: number[];
  /** Conv widths of the encoder (as defaultImageEncoderConfig picks them; the audio shape mirrors that rule). */
  widths: number[];
  dim: number;
}

/** Conv widths of the image encoder for an input (src/core/modalities/image/encoder.ts: one stage per halving to 4). */
export function encoderWidths(h: number, w: number): number[] {
  const stages = Math.max(2, Math.ceil(Math.log2(Math.max(h, w) / 4)));
  return Array.from({ length: stages }, (_, i) => Math.min(32 << i, 256));
}

/** The benchmark's cases: SimCLR (batch 256), rotation (128) and embedding (512) on each input shape. */
export function speedCases(shapes: readonly { h: number; w: number; c: 1 | 3 }[]): SpeedCase[] {
  const out: SpeedCase[] = [];
  for (const s of shapes) {
    const widths = encoderWidths(s.h, s.w);
    const input = `${s.h}×${s.w}×${s.c}`;
    out.push({ input, ...s, task: 'simclr', batch: 256, widths, dim: 128 });
    out.push({ input, ...s, task: 'rotation', batch: 128, widths, dim: 128 });
    out.push({ input, ...s, task: 'embed', batch: 512, torchBatches: [128, 512], widths, dim: 128 });
  }
  return out;
}

/** Multiply-adds of one image through a case's encoder: each convolution (3×3, 'same'), then the dense layer to `dim`. */
export function encoderMacs(c: Pick<SpeedCase, 'h' | 'w' | 'c' | 'widths' | 'dim'>): { convs: number[]; dense: number } {
  let [h, w, ch]: number[] = [c.h, c.w, c.c];
  const convs: number[] = [];
  for (const width of c.widths) {
    h = Math.ceil(h / (h > 4 ? 2 : 1));
    w = Math.ceil(w / (w > 4 ? 2 : 1));
    convs.push(h * w * width * 9 * ch);
    ch = width;
  }
  return { convs, dense: h * w * ch * c.dim };
}

/**
 * Floating-point operations (2 per multiply-add) per image of a case's timed step, so that both engines' rates read as
 * GFLOP/s of the same work. Embedding: the encoder's forward pass. Training: the forward pass with the task's
 * head, then the backward pass — every layer's weight gradient (as many multiply-adds as its forward) and every
 * layer's input gradient but the first convolution's (nothing needs the gradient of the pixels). SimCLR counts its
 * two views per image, the projection head (dim → dim → 64) and NT-Xent's similarity matrix of the 2·batch
 * projections (forward and its two gradients). Bias, ReLU, softmax and the optimiser's update are left out (they are
 * linear in the parameters or activations, under 1% here).
 */
export function caseFlops(c: SpeedCase): number {
  const { convs, dense } = encoderMacs(c);
  const enc = convs.reduce((a, b) => a + b, 0) + dense;
  if (c.task === 'embed') return 2 * enc;
  const head = c.task === 'simclr' ? c.dim * c.dim + c.dim * 64 : c.dim * 4;
  const train = 3 * (enc + head) - convs[0];
  if (c.task === 'rotation') return 2 * train;
  const views = 2 * c.batch;
  const ntXent = (3 * views * views * 64) / c.batch;
  return 2 * (2 * train + ntXent);
}

/** The side of the square matmul the speed bench times on each engine (n×n by n×n, one thread). */
export const MATMUL_SIDE = 1024;

/** The input shapes: MNIST-like grey, small colour photos, a log-mel spectrogram (64 mel bands × 96 frames). */
export const SPEED_SHAPES: readonly { h: number; w: number; c: 1 | 3 }[] = [
  { h: 28, w: 28, c: 1 },
  { h: 64, w: 64, c: 3 },
  { h: 64, w: 96, c: 1 },
];

/** Images per wall-clock second, and per CPU-second of the threads doing the work (NaN if unknown). */
export interface Rate {
  wall: number;
  cpu: number;
}

/** CPU seconds used so far by the calling thread (Linux /proc/thread-self; undefined elsewhere). */
export function threadCpuSeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ": utime and stime are fields 14 and 15 (1-based), indexes 11 and 12 here; USER_HZ = 100.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export function medianOf(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * A long-lived `python3 src/bench/torch/peer.py` process that measures the same workloads with PyTorch on the CPU.
 * `start()` resolves to undefined when PyTorch is usable, or to the reason it is not (no python3, no torch) — the
 * benchmark then skips the PyTorch columns with that message.
 */
export class TorchPeer {
  private child?: ChildProcessWithoutNullStreams;
  private lines: string[] = [];
  private waiting?: (line: string | undefined) => void;
  version?: string;

  constructor(
    private readonly script: string,
    private readonly python = pickPython(),
  ) {}

  async start(): Promise<string | undefined> {
    let failed: string | undefined;
    try {
      this.child = spawn(this.python, ['-u', this.script], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, OMP_NUM_THREADS: '2' },
      });
    } catch (e) {
      return `cannot start ${this.python}: ${e instanceof Error ? e.message : String(e)}`;
    }
    let buf = '';
    let stderr = '';
    this.child.on('error', (e) => {
      failed = `cannot start ${this.python}: ${e.message}`;
      this.deliver(undefined);
    });
    this.child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    this.child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.deliver(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    this.child.on('close', () => this.deliver(undefined));
    const hello: Record<string, unknown> = await this.ask({ cmd: 'hello' }).catch((e: Error) => ({ ok: false, error: e.message }));
    if (failed) return failed;
    if (!hello.ok) {
      this.stop();
      const why = String(hello.error ?? stderr.trim()) || 'the peer exited';
      return `PyTorch is not usable through ${this.python} (${why}); install it with apt-get install python3-torch`;
    }
    this.version = String(hello.torch);
    return undefined;
  }

  /** Images per wall-clock second and per CPU-second of `c` with `threads` intra-op threads, over about `seconds`. */
  async measure(c: SpeedCase, threads: number, seconds: number, batch = c.batch): Promise<Rate & { batch: number }> {
    const r = await this.ask({
      cmd: 'measure',
      task: c.task,
      h: c.h,
      w: c.w,
      c: c.c,
      widths: c.widths,
      dim: c.dim,
      batch,
      threads,
      seconds,
    });
    if (!r.ok || typeof r.rate !== 'number') throw new Error(`PyTorch peer: ${String(r.error)}`);
    if (r.batch !== batch) throw new Error(`PyTorch peer: measured batch ${String(r.batch)}, asked for ${batch}`);
    return { wall: r.rate, cpu: typeof r.cpuRate === 'number' ? r.cpuRate : NaN, batch };
  }

  /** FLOP/s of an n×n by n×n float32 matmul with `threads` intra-op threads, over about `seconds`. */
  async matmulRate(n: number, threads: number, seconds: number): Promise<number> {
    const r = await this.ask({ cmd: 'matmul', n, threads, seconds });
    if (!r.ok || typeof r.flops !== 'number') throw new Error(`PyTorch peer: ${String(r.error)}`);
    return r.flops;
  }

  /** `measure` at each of the case's `torchBatches` (default its batch): the fastest by wall clock, with its batch. */
  async measureBest(c: SpeedCase, threads: number, seconds: number): Promise<Rate & { batch: number }> {
    let best: (Rate & { batch: number }) | undefined;
    for (const b of c.torchBatches ?? [c.batch]) {
      const r = await this.measure(c, threads, seconds, b);
      if (!best || r.wall > best.wall) best = r;
    }
    return best!;
  }

  stop(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private deliver(line: string | undefined): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w(line);
    else if (line !== undefined) this.lines.push(line);
  }

  private ask(msg: object): Promise<Record<string, unknown>> {
    const child = this.child;
    if (!child) return Promise.reject(new Error('the PyTorch peer is not running'));
    return new Promise((resolve, reject) => {
      this.waiting = (line) => {
        if (line === undefined) reject(new Error('the PyTorch peer exited'));
        else {
          try {
            resolve(JSON.parse(line) as Record<string, unknown>);
          } catch {
            reject(new Error(`the PyTorch peer wrote ${JSON.stringify(line.slice(0, 200))}`));
          }
        }
      };
      const queued = this.lines.shift();
      if (queued !== undefined) this.deliver(queued);
      child.stdin.write(JSON.stringify(msg) + '\n');
    });
  }
}

/**
 * The python that has Debian's python3-torch: $SELFLABEL_PYTHON if set, else /usr/bin/python3 (where apt installs
 * it; a pyenv or venv `python3` earlier on PATH would not see it), else `python3` on PATH.
 */
export function pickPython(): string {
  const env = process.env.SELFLABEL_PYTHON;
  if (env) return env;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}
