/**
 * The tfjs backend module: backend selection, and every wasm kernel SelfLabel registers checked against the cpu
 * backend (pure JS, the reference) on several shapes — strides 1 and 2, padding same/valid, batch > 1, 1 and 3
 * channels, odd sizes — to 1e-4 relative error (max |wasm − cpu| / max |cpu|). Also: a few training steps of a
 * small CNN (strided convs, BatchNorm, global average pooling, dense, Adam) give the same losses on wasm and cpu,
 * and no kernel leaks wasm memory.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { findWasmDir, getBackendInfo, initBackend } from '../../src/core/backend';
import { stockWasmKernel, WASM_TRAINING_KERNELS, type ConvGradAlgorithm } from '../../src/core/backend/wasmKernels';

const TOL = 1e-4;

/** max |a − b| / max |a| (a = reference). */
function relErr(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  assert.equal(got.length, ref.length, 'result sizes differ');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    if (Number.isNaN(ref[i]) !== Number.isNaN(got[i])) return Infinity;
    diff = Math.max(diff, Math.abs(ref[i] - got[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / (scale || 1);
}

interface Out {
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/** Runs `f` on cpu and on wasm (inputs are rebuilt from seeds on each backend) and returns both outputs. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Out[]; wasm: Out[] }> {
  const run = async (name: 'cpu' | 'wasm'): Promise<Out[]> => {
    await initBackend(name);
    assert.equal(tf.getBackend(), name);
    return tf.tidy(() => {
      const r = f();
      return (Array.isArray(r) ? r : [r]).map((t) => ({ shape: t.shape, values: t.dataSync() as Out['values'] }));
    });
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  return { cpu, wasm };
}

async function assertSame(what: string, f: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<void> {
  const { cpu, wasm } = await onBoth(f);
  assert.equal(wasm.length, cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    assert.deepEqual(wasm[i].shape, cpu[i].shape, `${what}: output ${i} shape`);
    const err = relErr(cpu[i].values, wasm[i].values);
    assert.ok(err <= tol, `${what}: output ${i} relative error ${err} > ${tol}`);
  }
}

const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** Asserts the wasm backend holds no more tensors after `f` (its intermediates were freed). */
async function assertNoLeak(what: string, f: () => tf.Tensor): Promise<void> {
  await initBackend('wasm');
  f().dispose(); // warm-up (lazily created caches are not leaks)
  const before = tf.engine().backend.numDataIds();
  f().dispose();
  assert.equal(tf.engine().backend.numDataIds(), before, `${what} leaked wasm tensors`);
}

// ---------------------------------------------------------------------------------------------------------------

test('initBackend picks wasm here (tfjs-node cannot install) and says why tensorflow was not used', async () => {
  const info = await initBackend('auto');
  assert.equal(info.name, 'wasm');
  assert.equal(typeof info.simd, 'boolean');
  assert.match(info.reason ?? '', /tfjs-node/);
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(getBackendInfo(), info);
  // Explicit preferences, switching back and forth, idempotence.
  const cpu = await initBackend('cpu');
  assert.deepEqual(cpu, { name: 'cpu' });
  assert.equal(tf.getBackend(), 'cpu');
  const again = await initBackend('auto');
  assert.deepEqual(again, info);
  assert.equal(tf.getBackend(), 'wasm');
  const wasm = await initBackend('wasm');
  assert.equal(wasm.name, 'wasm');
  assert.equal(wasm.reason, undefined);
  // tensorflow asked for explicitly: falls back to wasm, with the reason.
  const tfn = await initBackend('tensorflow');
  assert.equal(tfn.name, 'wasm');
  assert.match(tfn.reason ?? '', /tfjs-node/);
});

test('initBackend rejects an unknown preference with a clear error', async () => {
  await assert.rejects(initBackend('gpu' as 'auto'), /Unknown backend preference "gpu"/);
});

test('the wasm binaries are found and the wasm runtime leaves process-wide error handlers alone', async () => {
  const dir = findWasmDir();
  assert.ok(dir, 'wasm dir found');
  assert.ok(fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm')));
  await initBackend('wasm');
  // Emscripten adds handlers that re-throw every uncaught error of the process; initBackend removes them.
  assert.equal(process.listeners('unhandledRejection').filter((l) => /throw reason/.test(String(l))).length, 0);
  assert.equal(process.listeners('uncaughtException').filter((l) => /ExitStatus/.test(String(l))).length, 0);
});

test('our kernels are registered for wasm (stock ones replaced, missing ones added)', async () => {
  await initBackend('wasm');
  for (const name of WASM_TRAINING_KERNELS) {
    const k = tf.getKernel(name, 'wasm');
    assert.ok(k, `${name} registered`);
    assert.notEqual(k, stockWasmKernel(name), `${name} is ours`);
  }
  assert.equal(stockWasmKernel('Conv2DBackpropFilter'), undefined, 'the stock wasm backend has no Conv2DBackpropFilter');
});

// ---------------------------------------------------------------------------------------------------------------
// Convolution gradients, both algorithms ('conv': on the forward conv kernel; 'gemm': im2col + matmul).

type Pad = 'same' | 'valid';
const CONV_CASES: [number[], number[], number, Pad][] = [
  // [x shape NHWC], [filter HWCinCout], stride, padding
  [[2, 7, 7, 1], [3, 3, 1, 4], 1, 'same'],
  [[3, 9, 9, 1], [3, 3, 1, 5], 2, 'same'],
  [[2, 7, 7, 3], [3, 3, 3, 5], 2, 'same'],
  [[2, 8, 8, 3], [3, 3, 3, 4], 2, 'valid'],
  [[2, 9, 11, 2], [5, 5, 2, 3], 2, 'same'],
  [[1, 6, 5, 2], [1, 1, 2, 3], 2, 'valid'],
  [[2, 10, 10, 4], [3, 3, 4, 6], 3, 'same'],
  [[2, 11, 11, 3], [4, 4, 3, 2], 2, 'same'],
  [[2, 5, 5, 3], [5, 5, 3, 3], 1, 'valid'],
  [[2, 3, 3, 2], [5, 5, 2, 3], 2, 'same'],
  [[4, 13, 13, 16], [3, 3, 16, 12], 2, 'same'],
];

/** The kernel attributes of a conv gradient, with the algorithm named explicitly (undefined: chosen by shape). */
function gradAttrs(s: number, pad: Pad, algorithm: ConvGradAlgorithm | undefined): Record<string, unknown> {
  return { strides: s, pad, dataFormat: 'NHWC', ...(algorithm ? { algorithm } : {}) };
}

for (const algo of ['conv', 'gemm', undefined] as const) {
  const name = algo ?? 'by shape';
  test(`Conv2DBackpropFilter (${name}) matches cpu`, async () => {
    for (const [xs, ws, s, pad] of CONV_CASES) {
      await assertSame(`dW x=${xs} w=${ws} s=${s} ${pad}`, () => {
        const x = rnd(xs, 1) as tf.Tensor4D;
        const y = tf.conv2d(x, rnd(ws, 2) as tf.Tensor4D, s, pad);
        const dy = rnd(y.shape, 3);
        return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...gradAttrs(s, pad, algo), filterShape: ws }) as tf.Tensor;
      });
    }
  });

  test(`Conv2DBackpropInput (${name}) matches cpu`, async () => {
    for (const [xs, ws, s, pad] of CONV_CASES) {
      await assertSame(`dX x=${xs} w=${ws} s=${s} ${pad}`, () => {
        const w = rnd(ws, 2) as tf.Tensor4D;
        const y = tf.conv2d(rnd(xs, 1) as tf.Tensor4D, w, s, pad);
        const dy = rnd(y.shape, 3);
        return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...gradAttrs(s, pad, algo), inputShape: xs }) as tf.Tensor;
      });
    }
  });
}

test('Conv2DBackpropFilter (gemm) gives the same result in chunks of images as in one matmul', async () => {
  // chunk = output positions per matmul; 1 → one image per matmul; 0 → one matmul over the whole batch.
  for (const [xs, ws, s, pad] of [...CONV_CASES, [[5, 13, 11, 8], [3, 3, 8, 7], 2, 'same'] as (typeof CONV_CASES)[number]]) {
    for (const chunk of [1, 50, 0]) {
      await assertSame(`dW chunk ${chunk} x=${xs} w=${ws} s=${s} ${pad}`, () => {
        const x = rnd(xs, 1) as tf.Tensor4D;
        const y = tf.conv2d(x, rnd(ws, 2) as tf.Tensor4D, s, pad);
        const dy = rnd(y.shape, 3);
        return tf
          .engine()
          .runKernel('Conv2DBackpropFilter', { x, dy }, { ...gradAttrs(s, pad, 'gemm'), filterShape: ws, chunk }) as tf.Tensor;
      });
    }
  }
  await assertNoLeak('chunked filter gradient', () =>
    tf.tidy(() => {
      const x = rnd([3, 9, 9, 3], 1);
      const dy = rnd([3, 5, 5, 4], 3);
      return tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { ...gradAttrs(2, 'same', 'gemm'), filterShape: [3, 3, 3, 4], chunk: 1 },
        ) as tf.Tensor;
    }),
  );
});

test('an unknown conv gradient algorithm is refused', async () => {
  await initBackend('wasm');
  const x = rnd([1, 5, 5, 1], 1);
  const dy = rnd([1, 3, 3, 2], 2);
  assert.throws(
    () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 2], algorithm: 'rows' },
        ),
    /must be 'conv' or 'gemm'/,
  );
  tf.dispose([x, dy]);
});

test('conv2d gradients through tf.grads (the path training takes) match cpu, and do not leak', async () => {
  for (const [xs, ws, s, pad] of CONV_CASES.slice(0, 6)) {
    await assertSame(`grads x=${xs} w=${ws} s=${s} ${pad}`, () => {
      const f = (x: tf.Tensor, w: tf.Tensor) =>
        tf
          .conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad)
          .square()
          .sum();
      return tf.grads(f)([rnd(xs, 1), rnd(ws, 2)]);
    });
  }
  await assertNoLeak('conv grads', () =>
    tf.tidy(() => {
      const [dx, dw] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').sum())([
        rnd([2, 9, 9, 3], 1),
        rnd([3, 3, 3, 4], 2),
      ]);
      return tf.add(dx.sum(), dw.sum());
    }),
  );
  for (const algo of ['conv', 'gemm'] as const) {
    await assertNoLeak(`conv gradient kernels (${algo})`, () =>
      tf.tidy(() => {
        const x = rnd([2, 9, 9, 3], 1);
        const w = rnd([3, 3, 3, 4], 2);
        const dy = rnd([2, 5, 5, 4], 3);
        const dw = tf
          .engine()
          .runKernel('Conv2DBackpropFilter', { x, dy }, { ...gradAttrs(2, 'same', algo), filterShape: [3, 3, 3, 4] }) as tf.Tensor;
        const dx = tf
          .engine()
          .runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...gradAttrs(2, 'same', algo), inputShape: [2, 9, 9, 3] }) as tf.Tensor;
        return tf.add(dx.sum(), dw.sum());
      }),
    );
  }
});

// ---------------------------------------------------------------------------------------------------------------

test('BatchMatMul and _FusedMatMul with transposed operands match cpu', async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [7, 6], false, false],
    [[7, 5], [7, 6], true, false],
    [[5, 7], [6, 7], false, true],
    [[7, 5], [6, 7], true, true],
    [[3, 4, 5], [3, 5, 2], false, false],
    [[3, 5, 4], [3, 2, 5], true, true],
    [[2, 9, 3], [2, 9, 4], true, false],
    [[1, 33, 17], [1, 20, 33], true, true],
  ];
  for (const [as, bs, ta, tb] of cases) {
    await assertSame(`matMul ${as}×${bs} tA=${ta} tB=${tb}`, () => tf.matMul(rnd(as, 1), rnd(bs, 2), ta, tb));
  }
  for (const [as, bs, ta, tb] of cases.filter(([a]) => a.length === 2)) {
    const n = tb ? bs[0] : bs[1];
    await assertSame(`fused matMul ${as}×${bs} tA=${ta} tB=${tb} +bias relu`, () =>
      tf.fused.matMul({
        a: rnd(as, 1) as tf.Tensor2D,
        b: rnd(bs, 2) as tf.Tensor2D,
        transposeA: ta,
        transposeB: tb,
        bias: rnd([n], 4),
        activation: 'relu',
      }),
    );
  }
  // Dense layers train through these: gradients of a 2-layer MLP.
  await assertSame('MLP grads', () => {
    const f = (w1: tf.Tensor, w2: tf.Tensor) =>
      tf
        .relu(tf.matMul(rnd([16, 12], 1), w1))
        .matMul(w2)
        .square()
        .mean();
    return tf.grads(f)([rnd([12, 8], 2), rnd([8, 3], 3)]);
  });
  await assertNoLeak('matMul transposed', () => tf.tidy(() => tf.matMul(rnd([7, 5], 1), rnd([6, 7], 2), true, true)));
});

test('Tile matches cpu (ranks 1–4, float32 and int32, BatchNorm-style broadcast)', async () => {
  const cases: [number[], number[]][] = [
    [[3], [4]],
    [
      [2, 3],
      [3, 1],
    ],
    [
      [2, 3],
      [1, 5],
    ],
    [
      [1, 1, 1, 5],
      [3, 4, 6, 1],
    ],
    [
      [2, 1, 3, 2],
      [2, 3, 1, 2],
    ],
    [
      [3, 2, 1],
      [1, 1, 7],
    ],
    [
      [2, 2],
      [1, 1],
    ],
  ];
  for (const [xs, reps] of cases) {
    await assertSame(`tile ${xs} × ${reps}`, () => tf.tile(rnd(xs, 1), reps), 0);
    await assertSame(`tile int32 ${xs} × ${reps}`, () => tf.tile(tf.cast(rnd(xs, 1).mul(10), 'int32'), reps), 0);
  }
  await assertNoLeak('tile', () => tf.tidy(() => tf.tile(rnd([1, 1, 1, 5], 1), [3, 4, 6, 1])));
});

test('Sum and Mean match cpu on every axis layout (keepDims, negative axes, fallbacks)', async () => {
  const cases: [number[], number | number[] | undefined, boolean][] = [
    [[4, 5, 6, 3], [0, 1, 2], false], // BatchNorm
    [[4, 5, 6, 3], [1, 2], false], // global average pooling
    [[4, 5, 6, 3], [1, 2], true],
    [[4, 5, 6, 3], [0], false],
    [[4, 5, 6, 3], [-1], false], // innermost: stock kernel
    [[4, 5, 6, 3], [0, 2], false], // two reduced blocks: stock kernel
    [[4, 5, 6, 3], undefined, false], // everything
    [[7, 9], 0, true],
    [[7, 1, 9], [0, 1], false], // size-1 axis inside the reduced block
    [[1, 8, 3], [1], false],
    [[33, 17, 5], [0, 1], false],
  ];
  for (const [xs, axis, keep] of cases) {
    await assertSame(`sum ${xs} axis=${axis} keep=${keep}`, () => tf.sum(rnd(xs, 1), axis, keep));
    await assertSame(`mean ${xs} axis=${axis} keep=${keep}`, () => tf.mean(rnd(xs, 1), axis, keep));
  }
  await assertSame('sum int32 (stock path)', () => tf.sum(tf.cast(rnd([4, 5, 3], 1).mul(10), 'int32'), [0, 1]), 0);
  // Their gradients (registered for all backends: broadcast instead of multiplying by ones).
  await assertSame('grad of sum/mean', () => {
    const f = (x: tf.Tensor) => tf.add(tf.sum(x.square(), [0, 1, 2]).sum(), tf.mean(x.mul(3), [1, 2]).square().sum());
    return tf.grad(f)(rnd([3, 4, 5, 2], 1));
  });
  await assertNoLeak('sum', () => tf.tidy(() => tf.sum(rnd([4, 5, 6, 3], 1), [0, 1, 2])));
  await assertNoLeak('mean', () => tf.tidy(() => tf.mean(rnd([4, 5, 6, 3], 1), [1, 2])));
});

test('Slice and SplitV copy heap to heap and match cpu (every axis, ranks 1–5, int32 and bool)', async () => {
  const cases: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [
      [6, 5],
      [2, 0],
      [3, 5],
    ],
    [
      [6, 5],
      [1, 2],
      [4, 2],
    ],
    [
      [6, 5],
      [0, 0],
      [6, 5],
    ],
    [
      [4, 6, 5, 3],
      [1, 0, 0, 0],
      [2, 6, 5, 3],
    ],
    [
      [4, 6, 5, 3],
      [0, 1, 1, 0],
      [4, 4, 3, 3],
    ],
    [
      [4, 6, 5, 3],
      [1, 2, 0, 1],
      [3, 1, 5, 2],
    ],
    [
      [4, 6, 5, 3],
      [0, 0, 0, 2],
      [4, 6, 5, 1],
    ],
    [
      [2, 3, 4, 5, 6],
      [1, 1, 0, 2, 0],
      [1, 2, 4, 3, 6],
    ],
    [
      [3, 4],
      [1, 0],
      [0, 4],
    ],
  ];
  for (const [xs, begin, size] of cases) {
    await assertSame(`slice ${xs} at ${begin} size ${size}`, () => tf.slice(rnd(xs, 1), begin, size), 0);
    await assertSame(`slice int32 ${xs}`, () => tf.slice(tf.cast(rnd(xs, 1).mul(100), 'int32'), begin, size), 0);
    await assertSame(`slice bool ${xs}`, () => tf.slice(tf.greater(rnd(xs, 1), 0), begin, size), 0);
  }
  await assertSame('slice with -1 sizes', () => tf.slice(rnd([4, 5, 6], 1), [1, 2, 3], [-1, 2, -1]), 0);
  for (const [xs, splits, axis] of [
    [[6, 4], [2, 4], 0],
    [[6, 4, 3], 2, 1],
    [[5, 4, 7], [3, -1, 2], 2],
    [[4, 6], 3, -1],
  ] as [number[], number | number[], number][]) {
    await assertSame(`split ${xs} by ${splits} on ${axis}`, () => tf.split(rnd(xs, 2), splits, axis), 0);
  }
  await assertNoLeak('slice', () =>
    tf.tidy(() => tf.add(tf.slice(rnd([4, 6, 5, 3], 1), [0, 1, 1, 0], [4, 4, 3, 3]).sum(), tf.split(rnd([6, 4], 2), 2)[1].sum())),
  );
  // The predict() path: a batch sliced out of the input gives the same embeddings as the whole input at once.
  await initBackend('wasm');
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [5], units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) })],
  });
  const x = rnd([10, 5], 4);
  const whole = (model.predict(x, { batchSize: 10 }) as tf.Tensor).arraySync();
  const batched = (model.predict(x, { batchSize: 3 }) as tf.Tensor).arraySync();
  assert.deepEqual(batched, whole);
  tf.dispose([x]);
  model.dispose();
});

test('Identity shares data safely (clone, then dispose either side)', async () => {
  await initBackend('wasm');
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.clone(a);
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  const c = tf.clone(b);
  b.dispose();
  assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3]);
  c.dispose();
  // Variables assigned from clones keep their own value.
  const v = tf.variable(tf.tensor1d([1, 1]));
  const snapshot = tf.clone(v);
  v.assign(tf.tensor1d([5, 6]));
  assert.deepEqual(Array.from(snapshot.dataSync()), [1, 1]);
  assert.deepEqual(Array.from(v.dataSync()), [5, 6]);
  tf.dispose([v, snapshot]);
  await assertSame('identity values', () => tf.clone(rnd([3, 4], 1)), 0);
});

test('MaxPoolGrad matches cpu, including ties (ReLU zeros) and padding', async () => {
  const cases: [number[], number, number, Pad][] = [
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[2, 7, 7, 1], 2, 2, 'same'],
    [[3, 9, 8, 2], 3, 1, 'same'],
    [[2, 7, 7, 3], 3, 2, 'same'],
    [[1, 11, 13, 4], 3, 2, 'valid'],
  ];
  for (const [xs, f, s, pad] of cases) {
    await assertSame(`maxPool grad ${xs} f=${f} s=${s} ${pad}`, () => {
      const x = tf.relu(rnd(xs, 7)) as tf.Tensor4D; // about half the values are exactly 0: ties
      const w = rnd(tf.maxPool(x, f, s, pad).shape, 3);
      return tf.grad((t: tf.Tensor) =>
        tf
          .maxPool(t as tf.Tensor4D, f, s, pad)
          .mul(w)
          .sum(),
      )(x);
    });
  }
  await assertNoLeak('maxPoolGrad', () =>
    tf.tidy(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid').sum())(rnd([2, 8, 8, 3], 1))),
  );
});

test('AvgPoolGrad matches cpu (exact tiling: ours; overlapping or padded: stock)', async () => {
  const cases: [number[], number | [number, number], number | [number, number], Pad][] = [
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[3, 6, 9, 1], [2, 3], [2, 3], 'valid'],
    [[2, 8, 8, 2], 2, 2, 'same'],
    [[2, 7, 7, 2], 3, 2, 'same'], // overlapping, padded
    [[2, 9, 9, 2], 2, 2, 'valid'], // does not tile exactly
  ];
  for (const [xs, f, s, pad] of cases) {
    await assertSame(`avgPool grad ${xs} f=${f} s=${s} ${pad}`, () =>
      tf.grad((t: tf.Tensor) =>
        tf
          .avgPool(t as tf.Tensor4D, f, s, pad)
          .square()
          .sum(),
      )(rnd(xs, 1)),
    );
  }
  await assertNoLeak('avgPoolGrad', () =>
    tf.tidy(() => tf.grad((t: tf.Tensor) => tf.avgPool(t as tf.Tensor4D, 2, 2, 'valid').sum())(rnd([2, 8, 8, 3], 1))),
  );
});

test('FusedBatchNorm matches cpu (per-channel stats with and without scale/offset; other layouts)', async () => {
  for (const xs of [
    [2, 5, 5, 3],
    [3, 7, 4, 1],
    [6, 8],
  ]) {
    const c = xs[xs.length - 1];
    const stats = () => [rnd([c], 2), tf.randomUniform([c], 0.2, 3, 'float32', 3), rnd([c], 4), rnd([c], 5)] as tf.Tensor1D[];
    await assertSame(`batchNorm ${xs}`, () => {
      const [m, v, off, sc] = stats();
      return tf.batchNorm(rnd(xs, 1), m, v, off, sc, 1e-3);
    });
    await assertSame(`batchNorm ${xs} no scale/offset`, () => {
      const [m, v] = stats();
      return tf.batchNorm(rnd(xs, 1), m, v, undefined, undefined, 0.01);
    });
  }
  // Statistics of the same rank as x (not per channel): the stock kernel.
  await assertSame('batchNorm full-rank stats', () =>
    tf.batchNorm(
      rnd([2, 3, 4], 1),
      rnd([1, 1, 4], 2),
      tf.randomUniform([1, 1, 4], 0.5, 2, 'float32', 3),
      rnd([1, 1, 4], 4),
      rnd([1, 1, 4], 5),
    ),
  );
  await assertNoLeak('batchNorm', () =>
    tf.tidy(() => tf.batchNorm(rnd([2, 5, 5, 3], 1), rnd([3], 2), tf.ones([3]), rnd([3], 4), rnd([3], 5))),
  );
});

test('UnsortedSegmentSum (missing from stock wasm) matches cpu; embedding gradients train on wasm', async () => {
  const cases: [number[], number[], number][] = [
    [[6, 3], [6], 4],
    [[5, 2, 3], [5], 7],
    [[8], [8], 3],
  ];
  for (const [xs, ids, n] of cases) {
    await assertSame(`segment sum x=${xs} ids=${ids} n=${n}`, () => {
      const count = ids.reduce((a, b) => a * b, 1);
      // ids include -1 and n (out of range: ignored) and repeats.
      const segs = tf.tensor(
        Array.from({ length: count }, (_, i) => ((i * 5) % (n + 2)) - 1),
        ids,
        'int32',
      );
      return tf.unsortedSegmentSum(rnd(xs, 1), segs as tf.Tensor1D, n);
    });
  }
  await assertSame(
    'segment sum int32',
    () =>
      tf.unsortedSegmentSum(
        tf.tensor2d(
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          undefined,
          'int32',
        ),
        tf.tensor1d([2, 0, 2], 'int32'),
        3,
      ),
    0,
  );
  await assertSame('gather gradient', () => {
    const idx = tf.tensor1d([3, 1, 3, 0, 5], 'int32');
    return tf.grad((p: tf.Tensor) => tf.gather(p, idx).square().sum())(rnd([6, 4], 2));
  });
  await assertNoLeak('unsortedSegmentSum', () =>
    tf.tidy(() => tf.unsortedSegmentSum(rnd([6, 3], 1), tf.tensor1d([0, 1, 0, 2, 1, 0], 'int32'), 3)),
  );
});

// ---------------------------------------------------------------------------------------------------------------

/** A small CNN like the encoders: strided convs, BatchNorm, ReLU, global average pooling, dense head. */
function smallCnn(channels: number): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [12, 12, channels], filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.activation({ activation: 'relu' }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 16, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 4 }));
  return m;
}

test('a few Adam steps of a small CNN give the same losses on wasm and cpu', async () => {
  for (const channels of [1, 3]) {
    // Same initial weights and data on both backends (generated once, as plain arrays).
    await initBackend('cpu');
    const init = smallCnn(channels);
    const weights = init.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync().slice() }));
    init.dispose();
    const xs = rnd([6, 12, 12, channels], 11);
    const data = xs.dataSync().slice();
    xs.dispose();
    const labels = [0, 1, 2, 3, 1, 2];

    const train = async (name: 'cpu' | 'wasm'): Promise<number[]> => {
      await initBackend(name);
      const model = smallCnn(channels);
      model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
      const opt = tf.train.adam(0.01);
      const x = tf.tensor4d(data, [6, 12, 12, channels]);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);
      const losses: number[] = [];
      for (let step = 0; step < 4; step++) {
        const loss = opt.minimize(
          () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
          true,
        ) as tf.Scalar;
        losses.push(loss.dataSync()[0]);
        loss.dispose();
      }
      tf.dispose([x, y]);
      model.dispose();
      opt.dispose();
      return losses;
    };
    const cpu = await train('cpu');
    const wasm = await train('wasm');
    assert.ok(cpu[3] < cpu[0], `the loss goes down (${cpu})`);
    for (let i = 0; i < cpu.length; i++) {
      const rel = Math.abs(cpu[i] - wasm[i]) / Math.abs(cpu[i]);
      assert.ok(rel < 1e-4, `channels ${channels} step ${i}: cpu ${cpu[i]} vs wasm ${wasm[i]} (rel ${rel})`);
    }
  }
});
