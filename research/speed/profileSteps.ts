/**
 * Where a training step's time goes on the wasm backend: one SimCLR step (batch 256 pairs) and one rotation step
 * (batch 128) of SelfLabel's image encoder, as scripts/bench-speed.ts runs them, per kernel.
 *
 *   node --import tsx research/speed/profileSteps.ts [--shapes 28x28x1,64x64x3] [--steps 5] [--tasks simclr,rotation,embed] [--detail]
 *     [--rotation-batch 128]
 *
 * Every wasm kernel is wrapped: each call's time is split into self time (minus the kernels it called) and counted
 * under its name; "outside kernels" is the step's time minus the top-level kernels' (tfjs's engine, tape and
 * gradient bookkeeping, Adam's JS, layer glue). Times are wall-clock in one thread; on a shared machine read the
 * shares (%), not the milliseconds. A kernel called inside another is named "Caller > Kernel"; --detail adds a
 * row per input shape for the convolution kernels. The step's CPU time (this thread, /proc/thread-self) is printed
 * beside it. --ab R instead compares "before" (the stock Slice/SplitV, and the conv form of the filter gradient for
 * Cin > 8) with the kernels as registered: images per CPU-second, R alternating rounds, medians. (Session 9's first
 * runs had the chunked matmul form as the default filter gradient for Cin > 8; it is now opt-in, so "after" differs
 * from "before" only in Slice/SplitV.)
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/core/backend';
import { stockWasmKernel } from '../../src/core/backend/wasmKernels';
import {
  buildImageEncoder,
  buildPretextHead,
  buildProjectionHead,
  defaultImageEncoderConfig,
} from '../../src/core/modalities/image/encoder';
import { ntXentLoss } from '../../src/core/ssl/ntxent';
import { threadCpuSeconds } from '../../src/bench/speed';

interface Args {
  shapes: { size: number; c: 1 | 3 }[];
  steps: number;
  tasks: string[];
  detail: boolean;
  /** rounds of the before/after comparison (0: profile only) */
  ab: number;
  /** the rotation step's batch (128 as the product trains) */
  rotationBatch: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    shapes: [
      { size: 28, c: 1 },
      { size: 64, c: 3 },
    ],
    steps: 5,
    tasks: ['simclr', 'rotation', 'embed'],
    detail: false,
    ab: 0,
    rotationBatch: 128,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--detail') {
      a.detail = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--steps') a.steps = Number(v);
    else if (k === '--ab') a.ab = Number(v);
    else if (k === '--rotation-batch') a.rotationBatch = Number(v);
    else if (k === '--tasks') a.tasks = v.split(',');
    else if (k === '--shapes') {
      a.shapes = v.split(',').map((s) => {
        const [h, w, c] = s.split('x').map(Number);
        if (h !== w || (c !== 1 && c !== 3)) throw new Error(`square shapes with 1 or 3 channels only, got ${s}`);
        return { size: h, c };
      });
    } else throw new Error(`unknown option ${k}`);
  }
  return a;
}

const self = new Map<string, { ms: number; n: number; min: number }>();
let on = false;
const stack: number[] = []; // children's time of each open call
const names: string[] = []; // the open calls' kernel names

function wrapKernels(): void {
  for (const k of tf.getKernelsForBackend('wasm')) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (before) {
          // Before: the stock Slice/SplitV, and the conv form of the filter gradient for Cin > 8.
          if (k.kernelName === 'Slice' || k.kernelName === 'SplitV')
            return (stockWasmKernel(k.kernelName) as tf.KernelConfig).kernelFunc(args);
          if (k.kernelName === 'Conv2DBackpropFilter' && args.attrs?.algorithm === undefined && (args.inputs.x?.shape[3] ?? 0) > 8) {
            return f({ ...args, attrs: { ...args.attrs, algorithm: 'conv' } });
          }
        }
        if (!on) return f(args);
        const key = names.length ? `${names[names.length - 1]} > ${k.kernelName}` : k.kernelName;
        const shapeKey = k.kernelName.includes('Conv2D')
          ? `${key} ${JSON.stringify(Object.values(args.inputs).map((i) => i?.shape))}`
          : key;
        stack.push(0);
        names.push(k.kernelName);
        const t = performance.now();
        const out = f(args);
        names.pop();
        const dt = performance.now() - t;
        const children = stack.pop() as number;
        if (stack.length) stack[stack.length - 1] += dt;
        else top += dt;
        for (const name of detail && shapeKey !== key ? [key, shapeKey] : [key]) {
          const c = self.get(name) ?? { ms: 0, n: 0, min: Infinity };
          c.ms += dt - children;
          c.n++;
          c.min = Math.min(c.min, dt - children);
          self.set(name, c);
        }
        return out;
      },
    });
  }
}
let top = 0;
let detail = false;
let before = false;

function workload(task: string, size: number, c: 1 | 3, rotationBatch = 128): { step: () => void; batch: number } {
  const enc = buildImageEncoder(defaultImageEncoderConfig(size, c), 1);
  if (task === 'embed') {
    const x = tf.randomUniform([512, size, size, c]);
    return {
      batch: 512,
      step() {
        const y = enc.predict(x, { batchSize: 512 }) as tf.Tensor;
        y.dataSync();
        y.dispose();
      },
    };
  }
  let loss: () => tf.Scalar;
  let vars: tf.Variable[];
  const opt = tf.train.adam(1e-3);
  let batch: number;
  if (task === 'simclr') {
    batch = 256;
    const proj = buildProjectionHead(128, 128, 64, 1);
    const v1 = tf.randomUniform([batch, size, size, c]);
    const v2 = tf.randomUniform([batch, size, size, c]);
    loss = () => {
      const z = proj.apply(enc.apply(tf.concat([v1, v2], 0), { training: true }), { training: true }) as tf.Tensor2D;
      const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
      return ntXentLoss(z1, z2, 0.5);
    };
    vars = [enc, proj].flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  } else {
    batch = rotationBatch;
    const head = buildPretextHead(128, 4, 1, 'rotation_head');
    const x = tf.randomUniform([batch, size, size, c]);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 4, 'int32'), 4);
    loss = () => tf.losses.softmaxCrossEntropy(y, head.apply(enc.apply(x, { training: true })) as tf.Tensor) as tf.Scalar;
    vars = [enc, head].flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  }
  return {
    batch,
    step() {
      const l = opt.minimize(loss, true, vars);
      l?.dataSync();
      l?.dispose();
    },
  };
}

/**
 * Images per CPU-second of this thread with the "before" kernels and the registered ones (after), in alternating
 * blocks of steps (order swapped every round), each block ≥ 1 CPU-s; prints every round and the medians.
 */
function abCompare(w: { step: () => void; batch: number }, name: string, rounds: number): void {
  const c0 = threadCpuSeconds() ?? NaN;
  w.step();
  const perStep = Math.max(0.01, (threadCpuSeconds() ?? NaN) - c0);
  const steps = Math.max(1, Math.ceil(1 / perStep));
  const rates: Record<'before' | 'after', number[]> = { before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
      before = mode === 'before';
      w.step(); // one untimed step after switching
      const t0 = threadCpuSeconds() ?? NaN;
      for (let i = 0; i < steps; i++) w.step();
      rates[mode].push((steps * w.batch) / ((threadCpuSeconds() ?? NaN) - t0));
    }
  }
  before = false;
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const b = med(rates.before);
  const a = med(rates.after);
  console.log(
    `${name.padEnd(22)} images/CPU-s before ${b.toFixed(0).padStart(6)} [${rates.before.map((x) => x.toFixed(0)).join(', ')}]  after ${a.toFixed(0).padStart(6)} [${rates.after.map((x) => x.toFixed(0)).join(', ')}]  after/before ${(a / b).toFixed(2)}×  (${steps} steps a block, load ${os.loadavg()[0].toFixed(1)})`,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await initBackend('wasm');
  wrapKernels();
  detail = args.detail;
  console.log(`load average ${os.loadavg()[0].toFixed(1)}`);
  for (const { size, c } of args.shapes) {
    for (const task of args.tasks) {
      const w = workload(task, size, c, args.rotationBatch);
      w.step();
      w.step();
      if (args.ab > 0) {
        abCompare(w, `${task} ${size}×${size}×${c}`, args.ab);
        tf.disposeVariables();
        continue;
      }
      self.clear();
      top = 0;
      on = true;
      const c0 = threadCpuSeconds() ?? NaN;
      const t = performance.now();
      for (let i = 0; i < args.steps; i++) w.step();
      const ms = (performance.now() - t) / args.steps;
      const cpuMs = (((threadCpuSeconds() ?? NaN) - c0) * 1000) / args.steps;
      on = false;
      const outside = ms - top / args.steps;
      console.log(
        `\n${task} ${size}×${size}×${c}, batch ${w.batch}: ${ms.toFixed(1)} ms/step wall, ${cpuMs.toFixed(0)} ms CPU (${((w.batch * 1000) / cpuMs).toFixed(0)} images/CPU-s)`,
      );
      const rows = [...self.entries()].map(([k, v]) => [k, v.ms / args.steps, v.n / args.steps, v.min] as const);
      rows.push(['(outside kernels)', outside, 0, NaN]);
      rows.sort((a, b) => b[1] - a[1]);
      for (const [name, m, n, min] of rows.slice(0, detail ? 40 : 14)) {
        // --detail: the fastest single call's self time beside the mean (a shape row is one call a step).
        const fastest = detail && n === 1 ? `  fastest call ${min.toFixed(1)} ms` : '';
        console.log(
          `  ${name.padEnd(24)} ${m.toFixed(2).padStart(8)} ms ${((100 * m) / ms).toFixed(1).padStart(5)}%  ${String(n).padStart(5)} calls${fastest}`,
        );
      }
      tf.disposeVariables();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
