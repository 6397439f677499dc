/**
 * Training-throughput benchmark of small CNN encoders on the tfjs backends (src/core/backend), one thread, and
 * optionally the same work on N worker threads at once.
 *
 *   node --import tsx scripts/bench-kernels.ts                   # wasm, all encoders, 28×28×1 and 32×32×3
 *   node --import tsx scripts/bench-kernels.ts --cpu             # also the pure-JS cpu backend (slow: small batches)
 *   node --import tsx scripts/bench-kernels.ts --workers 2       # plus SimCLR throughput on 2 workers together
 *   node --import tsx scripts/bench-kernels.ts --only s2-32-64-128 --profile   # per-kernel time of one encoder
 *   node --import tsx scripts/bench-kernels.ts --layers          # per conv layer: filter-gradient algorithms A/B
 *   node --import tsx scripts/bench-kernels.ts --layers --only conv,gemm   # only these algorithms
 *   options: --batch 128  --runs 3  --seconds 1  --json out.json  --quick (fewer encoders, one run)
 *
 * --layers times Conv2DBackpropFilter with each algorithm on the stride-2 layers of SelfLabel's encoders (28×28×1
 * batch 512 as SimCLR runs it, 64×64×3 batch 256 and the first two at 512; rotation's batch of 128 past the first layer at 64×64×3
 * and at the audio shape 64×96×1), interleaved (conv, gemm, conv, …) so that load changes hit
 * all alike (the algorithm is passed to the kernel as its `algorithm` attribute, see ConvGradAlgorithm in wasmKernels.ts), each call with a fresh dy as in training, and prints the minimum CPU time of each (the minimum is the least disturbed by other processes).
 *
 * For each encoder and input it reports (median of --runs runs, after a warm-up):
 *   train  images/s of a supervised step (encoder + 10-way softmax head, Adam)
 *   ssl    images/s of a SimCLR step: 2 views per image (2·batch images through encoder and projection head),
 *          NT-Xent loss, Adam — the pretraining workload; images/s counts images, not views
 *   infer  images/s of a forward pass (batch 256)
 *   /cpu-s the same per CPU-second of this process (wall-clock rates suffer when other processes share the cores;
 *          this one does not, for single-threaded work). With --workers, each worker thread's own CPU time is read
 *          from /proc/thread-self, so the per-CPU-second sum is what N idle cores would deliver.
 */
import * as os from 'node:os';
import * as fs from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo } from '../src/core/backend';

interface Encoder {
  name: string;
  /** Conv widths; `s2` stride-2 3×3 convs, `pool` stride-1 convs each followed by 2×2 max pooling. */
  widths: number[];
  kind: 's2' | 'pool';
  bn: boolean;
  /** 'gap' global average pooling, 'flatten' flatten; then dense 128. */
  head: 'gap' | 'flatten';
}

const ENCODERS: Encoder[] = [
  { name: 's2-16-32', widths: [16, 32], kind: 's2', bn: false, head: 'gap' },
  { name: 's2-32-64', widths: [32, 64], kind: 's2', bn: false, head: 'gap' },
  { name: 's2-32-64-bn', widths: [32, 64], kind: 's2', bn: true, head: 'gap' },
  { name: 's2-32-64-128', widths: [32, 64, 128], kind: 's2', bn: false, head: 'flatten' },
  { name: 's2-32-64-128-bn', widths: [32, 64, 128], kind: 's2', bn: true, head: 'flatten' },
  { name: 'pool-32-64', widths: [32, 64], kind: 'pool', bn: false, head: 'flatten' },
];
const INPUTS: [number, number][] = [
  [28, 1],
  [32, 3],
];

interface Args {
  cpu: boolean;
  workers: number;
  batch: number;
  runs: number;
  seconds: number;
  only?: string;
  profile: boolean;
  json?: string;
  quick: boolean;
  layers: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { cpu: false, workers: 0, batch: 128, runs: 3, seconds: 1, profile: false, quick: false, layers: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--cpu') a.cpu = true;
    else if (k === '--workers') a.workers = Number(v());
    else if (k === '--batch') a.batch = Number(v());
    else if (k === '--runs') a.runs = Number(v());
    else if (k === '--seconds') a.seconds = Number(v());
    else if (k === '--only') a.only = v();
    else if (k === '--profile') a.profile = true;
    else if (k === '--json') a.json = v();
    else if (k === '--quick') a.quick = true;
    else if (k === '--layers') a.layers = true;
    else throw new Error(`unknown option ${k} (see the comment at the top of scripts/bench-kernels.ts)`);
  }
  if (a.quick) a.runs = 1;
  return a;
}

// ------------------------------------------------------------------------------------------------ models

function buildEncoder(e: Encoder, size: number, channels: number): tf.Sequential {
  const m = tf.sequential();
  let spatial = size;
  e.widths.forEach((w, i) => {
    const first = i === 0 ? { inputShape: [size, size, channels] } : {};
    const stride = e.kind === 's2' && spatial > 4 ? 2 : 1;
    m.add(tf.layers.conv2d({ ...first, filters: w, kernelSize: 3, strides: stride, padding: 'same', useBias: !e.bn }));
    if (e.bn) m.add(tf.layers.batchNormalization());
    m.add(tf.layers.activation({ activation: 'relu' }));
    if (e.kind === 'pool') m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    spatial = e.kind === 'pool' ? Math.floor(spatial / 2) : Math.ceil(spatial / stride);
  });
  m.add(e.head === 'gap' ? tf.layers.globalAveragePooling2d({}) : tf.layers.flatten());
  m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  return m;
}

/** SimCLR NT-Xent loss of two batches of projections. */
function ntXent(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature = 0.5): tf.Scalar {
  return tf.tidy(() => {
    const n = z1.shape[0];
    const z = tf.concat([z1, z2], 0);
    const zn = tf.div(z, tf.norm(z, 'euclidean', 1, true).add(1e-8));
    const sim = tf.matMul(zn, zn, false, true).div(temperature);
    const masked = sim.sub(tf.eye(2 * n).mul(1e9));
    const targets = tf.concat([tf.range(n, 2 * n, 1, 'int32'), tf.range(0, n, 1, 'int32')]);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, 2 * n), masked) as tf.Scalar;
  });
}

interface Workload {
  step(): void;
  images: number;
  dispose(): void;
}

function trainWorkload(e: Encoder, size: number, channels: number, batch: number): Workload {
  const enc = buildEncoder(e, size, channels);
  const head = tf.layers.dense({ units: 10 });
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, size, size, channels]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
  return {
    images: batch,
    step() {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, head.apply(enc.apply(x, { training: true })) as tf.Tensor), true);
      loss?.dataSync();
      loss?.dispose();
    },
    dispose() {
      tf.dispose([x, y]);
      enc.dispose();
      opt.dispose();
    },
  };
}

function sslWorkload(e: Encoder, size: number, channels: number, batch: number): Workload {
  const enc = buildEncoder(e, size, channels);
  const proj = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [128], units: 128, activation: 'relu' }), tf.layers.dense({ units: 64 })],
  });
  const opt = tf.train.adam(1e-3);
  // Two "augmented views" per image (augmentation itself is not timed here).
  const v1 = tf.randomUniform([batch, size, size, channels]);
  const v2 = tf.randomUniform([batch, size, size, channels]);
  return {
    images: batch,
    step() {
      const loss = opt.minimize(() => {
        const z = proj.apply(enc.apply(tf.concat([v1, v2], 0), { training: true })) as tf.Tensor2D;
        const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
        return ntXent(z1, z2);
      }, true);
      loss?.dataSync();
      loss?.dispose();
    },
    dispose() {
      tf.dispose([v1, v2]);
      enc.dispose();
      proj.dispose();
      opt.dispose();
    },
  };
}

function inferWorkload(e: Encoder, size: number, channels: number): Workload {
  const enc = buildEncoder(e, size, channels);
  const x = tf.randomUniform([256, size, size, channels]);
  return {
    images: 256,
    step() {
      const out = enc.predict(x, { batchSize: 256 }) as tf.Tensor;
      out.dataSync();
      out.dispose();
    },
    dispose() {
      x.dispose();
      enc.dispose();
    },
  };
}

interface Rate {
  /** images per wall-clock second, median of the runs */
  wall: number;
  /** images per CPU-second of this process, median of the runs */
  cpu: number;
}

/** Warms up, then `runs` runs of enough steps to last about `seconds` each; medians. */
function measure(w: Workload, runs: number, seconds: number, maxSteps = Infinity): Rate {
  const t0 = performance.now();
  w.step();
  w.step();
  const stepMs = Math.max(1, (performance.now() - t0) / 2);
  const steps = Math.max(1, Math.min(maxSteps, Math.round((seconds * 1000) / stepMs)));
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const s0 = performance.now();
    for (let i = 0; i < steps; i++) w.step();
    const ms = performance.now() - s0;
    const c = process.cpuUsage(c0);
    wall.push((steps * w.images * 1000) / ms);
    cpu.push((steps * w.images * 1e6) / Math.max(1, c.user + c.system));
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function params(e: Encoder, size: number, channels: number): number {
  return tf.tidy(() => {
    const m = buildEncoder(e, size, channels);
    const n = m.countParams();
    m.dispose();
    return n;
  });
}

// ------------------------------------------------------------------------------------------------ profile

function profileKernels(e: Encoder, size: number, channels: number, batch: number): void {
  const backendName = tf.getBackend();
  const times = new Map<string, { ms: number; n: number }>();
  let on = false;
  for (const k of tf.getKernelsForBackend(backendName)) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (!on) return f(args);
        const t = performance.now();
        const out = f(args);
        const c = times.get(k.kernelName) ?? { ms: 0, n: 0 };
        c.ms += performance.now() - t;
        c.n++;
        times.set(k.kernelName, c);
        return out;
      },
    });
  }
  const w = sslWorkload(e, size, channels, batch);
  w.step();
  on = true;
  const steps = 5;
  const t = performance.now();
  for (let i = 0; i < steps; i++) w.step();
  const stepMs = (performance.now() - t) / steps;
  on = false;
  w.dispose();
  console.log(
    `\nkernel time per SimCLR step, ${e.name} ${size}×${size}×${channels}, batch ${batch} (${stepMs.toFixed(1)} ms/step; nested kernels counted in their callers too):`,
  );
  for (const [name, v] of [...times.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
    console.log(`  ${name.padEnd(24)} ${(v.ms / steps).toFixed(2).padStart(8)} ms  ${String(v.n / steps).padStart(5)} calls`);
  }
}

// ------------------------------------------------------------------------------------------------ layers

/** Conv2DBackpropFilter per algorithm on the encoders' stride-2 layers; minimum CPU ms of `reps` interleaved runs. */
async function filterGradLayers(reps: number, only?: string): Promise<void> {
  await initBackend('wasm');
  const layers: [number[], number][] = [
    [[512, 28, 28, 1], 32],
    [[512, 14, 14, 32], 64],
    [[512, 7, 7, 64], 128],
    [[256, 64, 64, 3], 32],
    [[256, 32, 32, 32], 64],
    [[256, 16, 16, 64], 128],
    [[256, 8, 8, 128], 256],
    // One worker's SimCLR step at 64×64×3 (256 pairs: 512 images).
    [[512, 64, 64, 3], 32],
    [[512, 32, 32, 32], 64],
    // A rotation step (batch 128) at 64×64×3 and at the audio shape (64 mel bands × 96 frames), past the first layer.
    [[128, 32, 32, 32], 64],
    [[128, 16, 16, 64], 128],
    [[128, 8, 8, 128], 256],
    [[128, 32, 48, 32], 64],
    [[128, 16, 24, 64], 128],
    [[128, 8, 12, 128], 256],
    [[128, 4, 6, 256], 256],
    // Under the matmul form's thresholds: a rotation step at 28×28×1; the audio student's batch of 32 and the
    // masked-frame task's 64.
    [[128, 14, 14, 32], 64],
    [[128, 7, 7, 64], 128],
    [[64, 32, 48, 32], 64],
    [[32, 32, 48, 32], 64],
    [[32, 16, 24, 64], 128],
  ];
  // gemm1: one matmul (chunk 0); gemm4k / gemm1k: chunks of 4096 / 1024 output positions
  const all = ['conv', 'gemm', 'gemm1', 'gemm4k', 'gemm1k'] as const;
  const algos = only ? all.filter((a) => only.split(',').includes(a)) : all;
  if (!algos.length) throw new Error(`--only takes algorithms with --layers: ${all.join(', ')}`);
  console.log(`Conv2DBackpropFilter, 3×3 stride 2 'same', min CPU ms of ${reps} interleaved runs (load ${os.loadavg()[0].toFixed(2)}):`);
  for (const [xs, cout] of layers) {
    const x = tf.randomNormal(xs as [number, number, number, number]);
    const dy = tf.randomNormal([xs[0], Math.ceil(xs[1] / 2), Math.ceil(xs[2] / 2), cout]) as tf.Tensor4D;
    const best = new Map<string, number>(algos.map((a) => [a, Infinity]));
    for (let r = 0; r <= reps; r++) {
      for (const a of algos) {
        // A fresh dy (new data, new tensor id) for every call, as in training: the wasm backend caches the matmul
        // operator (dy packed as its weights) on dy's tensor id, so one dy reused would leave the packing out of
        // every call but the first. (tf.clone would share dy's data and id.)
        const dyNow = tf.mul(dy, 1);
        const c0 = process.cpuUsage();
        const dw = tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x, dy: dyNow },
          {
            strides: 2,
            pad: 'same',
            dataFormat: 'NHWC',
            filterShape: [3, 3, xs[3], cout],
            algorithm: a === 'conv' ? a : 'gemm',
            ...(a === 'gemm1' ? { chunk: 0 } : a === 'gemm4k' ? { chunk: 4096 } : a === 'gemm1k' ? { chunk: 1024 } : {}),
          },
        ) as tf.Tensor;
        dw.dataSync();
        const c = process.cpuUsage(c0);
        tf.dispose([dw, dyNow]);
        if (r > 0) best.set(a, Math.min(best.get(a) as number, (c.user + c.system) / 1000));
      }
    }
    tf.dispose([x, dy]);
    console.log(
      `  x ${xs.join('×').padEnd(16)} → ${String(cout).padStart(3)}: ${algos.map((a) => `${a} ${(best.get(a) as number).toFixed(1).padStart(6)}`).join('  ')}`,
    );
  }
}

// ------------------------------------------------------------------------------------------------ workers

interface WorkerJob {
  encoder: Encoder;
  size: number;
  channels: number;
  batch: number;
  seconds: number;
}

/** CPU seconds used so far by the calling thread (Linux /proc/thread-self; undefined elsewhere). */
function threadCpuSeconds(): number | undefined {
  try {
    const fields = fs.readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based) → indexes 11 and 12 here.
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

interface WorkerRate {
  rate: number;
  /** images per CPU-second of that worker thread */
  cpuRate?: number;
}

/** Runs the SimCLR workload on `n` worker threads at once for `seconds`; returns total images/s. */
async function sslOnWorkers(n: number, job: WorkerJob): Promise<{ total: number; each: WorkerRate[] }> {
  const file = __filename;
  const workers = Array.from(
    { length: n },
    () => new Worker(file, { workerData: job, execArgv: ['--require', require.resolve('tsx/cjs')] }),
  );
  const ready = workers.map(
    (w) =>
      new Promise<void>((res, rej) => {
        w.once('message', (m) => (m === 'ready' ? res() : rej(new Error(String(m)))));
        w.once('error', rej);
      }),
  );
  await Promise.all(ready);
  const done = workers.map(
    (w) =>
      new Promise<WorkerRate>((res, rej) => {
        w.once('message', (m: WorkerRate) => res(m));
        w.once('error', rej);
      }),
  );
  for (const w of workers) w.postMessage('go');
  const each = await Promise.all(done);
  await Promise.all(workers.map((w) => w.terminate()));
  return { total: each.reduce((a, b) => a + b.rate, 0), each };
}

async function workerMain(job: WorkerJob): Promise<void> {
  await initBackend('wasm');
  const w = sslWorkload(job.encoder, job.size, job.channels, job.batch);
  w.step();
  w.step();
  parentPort?.postMessage('ready');
  await new Promise<void>((res) => parentPort?.once('message', () => res()));
  const t = performance.now();
  const cpu0 = threadCpuSeconds();
  let images = 0;
  while (performance.now() - t < job.seconds * 1000) {
    w.step();
    images += w.images;
  }
  const cpu1 = threadCpuSeconds();
  const result: WorkerRate = { rate: (images * 1000) / (performance.now() - t) };
  if (cpu0 !== undefined && cpu1 !== undefined && cpu1 > cpu0) result.cpuRate = images / (cpu1 - cpu0);
  parentPort?.postMessage(result);
}

// ------------------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.layers) {
    await filterGradLayers(args.runs * 3, args.only);
    return;
  }
  const encoders = ENCODERS.filter((e) => !args.only || e.name === args.only).filter(
    (e) => !args.quick || ['s2-32-64', 's2-32-64-bn', 's2-32-64-128'].includes(e.name),
  );
  if (encoders.length === 0) throw new Error(`no encoder named ${args.only}; have ${ENCODERS.map((e) => e.name).join(', ')}`);
  const load = os.loadavg()[0];
  console.log(
    `bench-kernels: node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model}), load average ${load.toFixed(2)}`,
  );
  if (load > os.cpus().length * 0.5)
    console.log('  note: the machine is busy — wall-clock rates will be low; the /cpu-s columns are less affected');
  const rows: Record<string, unknown>[] = [];
  const backends: ('wasm' | 'cpu')[] = args.cpu ? ['wasm', 'cpu'] : ['wasm'];
  for (const backend of backends) {
    const info: BackendInfo = await initBackend(backend);
    console.log(
      `\nbackend ${info.name}${info.simd ? ' (SIMD)' : ''}, one thread, batch ${backend === 'cpu' ? 16 : args.batch}, median of ${args.runs}`,
    );
    console.log(
      `${'encoder'.padEnd(16)} ${'input'.padEnd(8)} ${'params'.padStart(8)} | ${'train'.padStart(7)} ${'/cpu-s'.padStart(7)} | ${'ssl'.padStart(7)} ${'/cpu-s'.padStart(7)} | ${'infer'.padStart(7)}`,
    );
    for (const [size, channels] of INPUTS) {
      for (const e of encoders) {
        if (backend === 'cpu' && (size !== 28 || !['s2-32-64', 's2-32-64-bn', 's2-32-64-128'].includes(e.name))) continue;
        const batch = backend === 'cpu' ? 16 : args.batch;
        const maxSteps = backend === 'cpu' ? 1 : Infinity;
        const run = (w: Workload) => {
          try {
            return measure(w, args.runs, args.seconds, maxSteps);
          } finally {
            w.dispose();
          }
        };
        const train = run(trainWorkload(e, size, channels, batch));
        const ssl = run(sslWorkload(e, size, channels, batch));
        const infer = run(inferWorkload(e, size, channels));
        const n = params(e, size, channels);
        rows.push({ backend, encoder: e.name, input: `${size}x${size}x${channels}`, params: n, batch, train, ssl, infer });
        const f = (x: number) => x.toFixed(x < 10 ? 1 : 0).padStart(7);
        console.log(
          `${e.name.padEnd(16)} ${`${size}×${size}×${channels}`.padEnd(8)} ${String(n).padStart(8)} | ${f(train.wall)} ${f(train.cpu)} | ${f(ssl.wall)} ${f(ssl.cpu)} | ${f(infer.wall)}`,
        );
      }
    }
  }
  if (args.profile) {
    await initBackend('wasm');
    for (const [size, channels] of INPUTS) profileKernels(encoders[0], size, channels, args.batch);
  }
  if (args.workers > 0) {
    console.log(`\nSimCLR on ${args.workers} worker threads at once (wasm, batch ${args.batch}, ${Math.max(3, args.seconds * 3)} s each):`);
    for (const [size, channels] of INPUTS) {
      for (const e of encoders) {
        const r = await sslOnWorkers(args.workers, {
          encoder: e,
          size,
          channels,
          batch: args.batch,
          seconds: Math.max(3, args.seconds * 3),
        });
        rows.push({
          backend: 'wasm',
          workers: args.workers,
          encoder: e.name,
          input: `${size}x${size}x${channels}`,
          sslTotal: r.total,
          sslEach: r.each,
        });
        const perCpu = r.each.every((x) => x.cpuRate !== undefined)
          ? `; per CPU-second of each thread: ${r.each.map((x) => (x.cpuRate as number).toFixed(0)).join(' + ')} = ${r.each.reduce((a, x) => a + (x.cpuRate as number), 0).toFixed(0)}`
          : '';
        console.log(
          `  ${e.name.padEnd(16)} ${`${size}×${size}×${channels}`.padEnd(8)} ${r.total.toFixed(0).padStart(6)} img/s together (${r.each.map((x) => x.rate.toFixed(0)).join(' + ')})${perCpu}`,
        );
      }
    }
  }
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ node: process.version, load, rows }, null, 2));
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
} else {
  workerMain(workerData as WorkerJob).catch((e) => {
    parentPort?.postMessage(String(e instanceof Error ? e.stack : e));
  });
}
