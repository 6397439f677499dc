/**
 * Training kernels for the tfjs wasm backend.
 *
 * As shipped, @tensorflow/tfjs-backend-wasm 4.22 cannot train a CNN (no Conv2DBackpropFilter) nor an embedding
 * layer (no UnsortedSegmentSum, the gradient of gather), and several kernels
 * that training hits are slow (a naive-loop Conv2DBackpropInput, matMul with a transposed operand, …). This module
 * registers replacements built from the backend's own fast kernels (XNNPACK convolution and matmul) plus a few
 * plain-JS loops that read and write the wasm heap directly (tensor data lives in wasm memory, so small glue
 * steps such as interleaving or flipping filters need no extra kernels).
 *
 * Kernels here receive and return `TensorInfo`s (data ids on the wasm heap), never `tf.Tensor`s: they run inside
 * the engine's kernel dispatch, so they call other kernels' `kernelFunc` directly and free every intermediate
 * with `backend.disposeData`. A replaced stock kernel keeps its `setupFunc` (it binds the wasm export).
 *
 * `registerWasmKernels()` must run before `tf.setBackend('wasm')` (setBackend runs the kernels' setup functions);
 * `initBackend` in ./index.ts does this. It is idempotent.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;
type Inputs = Record<string, TensorInfo | undefined>;
type Pad = 'valid' | 'same' | number | number[][];

const { backend_util, slice_util, util } = tf;

/** The stock wasm kernels as they were before we registered ours (so replacements can delegate to them). */
const stock = new Map<string, tf.KernelConfig>();
let registered = false;

/**
 * The two algorithms of the conv gradient kernels: 'conv' (on the forward convolution kernel) and 'gemm' (im2col +
 * matmul). Training gets the choice by kernel and shape:
 * - the filter gradient takes the matmul form for few input channels (≤ 8), where the convolution form is dominated
 *   by XNNPACK re-packing a huge "filter" (dy) on every call (5–9× slower for Cin = 1 and 3), and for the layers whose
 *   colsᵀ holds at least FILTER_GRAD_GEMM_FROM values, or FILTER_GRAD_GEMM_WIDE's with Cin ≥ 64. Since session 25
 *   the matmul form reads x channel-major (`channelMajor`, a tiled JS transpose at about 2.3× the Transpose
 *   kernel's speed) so that colsᵀ is written row by row in order; there it took 0–50% less time than the convolution
 *   form on every layer of the image and audio encoders measured, while below (Cin 16–32 with up to 2.4M values: the
 *   audio student's batch of 32, the masked-frame task's 64, a 28×28 rotation batch of 128) the convolution form was
 *   2–14% faster (BENCHMARKS.md "Session 25 — speed"). (Before, with colsᵀ written channel by channel from NHWC, the
 *   matmul form gained 1–12% at batch 256–512 and lost on a whole 28×28 rotation step, session 9.)
 * - the input gradient takes the matmul form for few input channels (≤ 8) and the convolution form otherwise.
 * Tests and `scripts/bench-kernels.ts --layers` run one algorithm by passing the kernel attribute `algorithm`
 * (`runKernel('Conv2DBackpropFilter', inputs, { ...attrs, algorithm: 'conv' })`); tfjs's own gradient functions never
 * set it.
 */
export type ConvGradAlgorithm = 'conv' | 'gemm';

/** The filter gradient's matmul form from this many values of colsᵀ up (FH·FW·Cin × N·OH·OW); see ConvGradAlgorithm. */
export const FILTER_GRAD_GEMM_FROM = 1 << 22;
/** The matmul form also from `from` values of colsᵀ when the layer has at least `channels` input channels. */
export const FILTER_GRAD_GEMM_WIDE = { channels: 64, from: 1 << 20 };

/** Whether the kernel takes its matmul form: the `algorithm` attribute, else by shape (`cols`: values of colsᵀ). */
function useGemm(attrs: Attrs, inChannels: number, cols?: number): boolean {
  const a = attrs.algorithm;
  if (a === undefined) {
    if (inChannels <= 8) return true;
    if (cols === undefined) return false;
    return cols >= FILTER_GRAD_GEMM_FROM || (inChannels >= FILTER_GRAD_GEMM_WIDE.channels && cols >= FILTER_GRAD_GEMM_WIDE.from);
  }
  if (a !== 'conv' && a !== 'gemm') throw new Error(`conv gradient algorithm must be 'conv' or 'gemm', got ${String(a)}`);
  return a === 'gemm';
}

/** Names of the kernels this module registers for the wasm backend. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'BatchMatMul',
  '_FusedMatMul',
  'Tile',
  'Sum',
  'Mean',
  'Identity',
  'MaxPoolGrad',
  'UnsortedSegmentSum',
  'FusedBatchNorm',
  'AvgPoolGrad',
  'Slice',
  'SplitV',
] as const;

/** Registers SelfLabel's training kernels for the wasm backend (idempotent). Call before tf.setBackend('wasm'). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of kernelConfigs()) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing) {
      stock.set(config.kernelName, existing);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel({ ...config, backendName: 'wasm', setupFunc: existing?.setupFunc });
  }
}

/** The stock wasm kernel function for `name` (before replacement), for tests and benchmarks that compare. */
export function stockWasmKernel(name: string): tf.KernelConfig | undefined {
  return stock.get(name) ?? (registered ? undefined : tf.getKernel(name, 'wasm'));
}

function kernelConfigs(): Omit<tf.KernelConfig, 'backendName'>[] {
  return [
    { kernelName: 'Conv2DBackpropFilter', kernelFunc: wrap(conv2DBackpropFilter) },
    { kernelName: 'Conv2DBackpropInput', kernelFunc: wrap(conv2DBackpropInput) },
    { kernelName: 'BatchMatMul', kernelFunc: wrap(batchMatMul) },
    { kernelName: '_FusedMatMul', kernelFunc: wrap(fusedMatMul) },
    { kernelName: 'Tile', kernelFunc: wrap(tile) },
    { kernelName: 'Sum', kernelFunc: wrap((i, b, a) => reduce(i, b, a, 'Sum')) },
    { kernelName: 'Mean', kernelFunc: wrap((i, b, a) => reduce(i, b, a, 'Mean')) },
    { kernelName: 'Identity', kernelFunc: wrap(identity) },
    { kernelName: 'MaxPoolGrad', kernelFunc: wrap(maxPoolGrad) },
    { kernelName: 'UnsortedSegmentSum', kernelFunc: wrap(unsortedSegmentSum) },
    { kernelName: 'FusedBatchNorm', kernelFunc: wrap(fusedBatchNorm) },
    { kernelName: 'AvgPoolGrad', kernelFunc: wrap(avgPoolGrad) },
    { kernelName: 'Slice', kernelFunc: wrap(sliceKernel) },
    { kernelName: 'SplitV', kernelFunc: splitV },
  ];
}

type Impl = (inputs: Inputs, backend: BackendWasm, attrs: Attrs) => TensorInfo;

function wrap(impl: Impl): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => impl(inputs as Inputs, backend as BackendWasm, (attrs ?? {}) as Attrs);
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers: call other wasm kernels on TensorInfos, free intermediates, view tensor memory.

/** Runs the wasm kernel `name` (the stock one if we replaced it) and returns its output (which the caller owns). */
function run(backend: BackendWasm, name: string, inputs: Inputs, attrs: Attrs = {}): TensorInfo {
  const config = stock.get(name) ?? tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`SelfLabel wasm kernels: the wasm backend has no '${name}' kernel`);
  const out = config.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new Error(`SelfLabel wasm kernels: '${name}' returned several outputs`);
  return out;
}

function free(backend: BackendWasm, ...infos: (TensorInfo | undefined)[]): void {
  for (const info of infos) if (info) backend.disposeData(info.dataId);
}

/** A Float32Array view on the tensor's wasm memory. Take views after the last allocation: heap growth detaches them. */
function view(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return run(backend, 'Transpose', { x }, { perm });
}

function slice(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  return run(backend, 'Slice', { x }, { begin, size });
}

/** Plain NHWC conv2d on the stock (XNNPACK) kernel, explicit padding [top, bottom, left, right]. */
function conv(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  pads: [number, number, number, number],
  dilations: [number, number] = [1, 1],
): TensorInfo {
  const [t, b, l, r] = pads;
  return run(
    backend,
    'Conv2D',
    { x, filter },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ],
      dilations,
      dataFormat: 'NHWC',
    },
  );
}

function requireChannelsLast(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernel} on wasm supports only dataFormat NHWC, got ${String(dataFormat)}`);
  }
}

/**
 * Crops `x` ([N,H,W,C]) so that negative explicit paddings become zero: returns the cropped tensor (or undefined
 * when nothing is cropped) and the non-negative pads.
 */
function cropForPads(
  backend: BackendWasm,
  x: TensorInfo,
  pads: [number, number, number, number],
): { cropped?: TensorInfo; pads: [number, number, number, number] } {
  const [t, b, l, r] = pads;
  if (t >= 0 && b >= 0 && l >= 0 && r >= 0) return { pads };
  const [n, h, w, c] = x.shape;
  const top = Math.max(0, -t);
  const left = Math.max(0, -l);
  const height = h - top - Math.max(0, -b);
  const width = w - left - Math.max(0, -r);
  const cropped = slice(backend, x, [0, top, left, 0], [n, height, width, c]);
  return { cropped, pads: [Math.max(0, t), Math.max(0, b), Math.max(0, l), Math.max(0, r)] };
}

// ---------------------------------------------------------------------------------------------------------------
// Conv2DBackpropFilter: the filter gradient as one forward convolution.
//   dW[fh,fw,ci,co] = Σ_{n,oh,ow} x[n, oh·s − top + fh, ow·s − left + fw, ci] · dy[n,oh,ow,co]
// Read x as a batch of Cin images with N channels (transpose [3,1,2,0]) and dy as an OH×OW filter from N to Cout
// channels (transpose [1,2,0,3]): a stride-1 conv with dilation s and padding `top`/`left` gives [Cin,FH,FW,Cout].

function conv2DBackpropFilter(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  requireChannelsLast('Conv2DBackpropFilter', attrs.dataFormat);
  const filterShape = attrs.filterShape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as Pad as 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const cols = fh * fw * info.inChannels * info.batchSize * oh * ow;
  if (useGemm(attrs, info.inChannels, cols)) return conv2DBackpropFilterGemm(backend, x, dy, info, attrs.chunk);
  const [n, h, w, cin] = x.shape;
  // Last input row/col the forward conv read is (OH−1)·s − top + FH − 1; pad (or crop) x to end exactly there.
  const bottom = (oh - 1) * sh - top + fh - h;
  const right = (ow - 1) * sw - left + fw - w;
  // Read x as Cin images of N channels; a transpose of a dim of size 1 is a free reshape in the wasm kernel.
  const xCrop =
    bottom < 0 || right < 0 ? slice(backend, x, [0, 0, 0, 0], [n, h + Math.min(0, bottom), w + Math.min(0, right), cin]) : undefined;
  const xT = transpose(backend, xCrop ?? x, [3, 1, 2, 0]);
  free(backend, xCrop);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const out = conv(backend, xT, dyT, [top, Math.max(0, bottom), left, Math.max(0, right)], [sh, sw]);
  free(backend, xT, dyT);
  const dw = transpose(backend, out, [1, 2, 0, 3]);
  free(backend, out);
  if (dw.shape.join() !== filterShape.join()) {
    free(backend, dw);
    throw new Error(`Conv2DBackpropFilter: computed shape ${dw.shape} but expected ${filterShape}`);
  }
  return dw;
}

/**
 * Output positions per matmul of the 'gemm' filter gradient: the reduction over all N·OH·OW positions is split into
 * chunks of whole images with about this many positions each, one matmul per chunk, summed. XNNPACK's gemm does not
 * block its reduction dimension, so one matmul over a colsᵀ of tens of MB streams both operands from memory once per
 * output tile, and it packs dy (its "weights") whole, anew for every dy; a chunk of a few thousand positions stays in
 * cache (session 9, BENCHMARKS.md). Session 25 kept one matmul for a colsᵀ of up to 2²⁴ values, measured with one dy
 * reused call after call, whose packed copy the wasm backend caches by tensor id; with a fresh dy each call, as in
 * training, the chunks are as fast on every encoder layer and faster on the first ones (512 × 28×28×1 → 32: 22.9 →
 * 15.5 ms; 512 × 64×64×3 → 32: 179 → 131 ms; BENCHMARKS.md "Session 35"). The kernel attribute `chunk` overrides it
 * (tests: tiny chunks; 0 = one matmul over everything).
 */
export const FILTER_GRAD_CHUNK = 4096;

/**
 * The filter gradient as matmuls: dW[K, Cout] = Σ_chunks colsᵀ[K, P_c] · dy[P_c, Cout] with K = FH·FW·Cin and the
 * N·OH·OW output positions in chunks of whole images. colsᵀ (im2col, transposed) is built by a JS loop over the
 * wasm heap; each matmul runs on XNNPACK (batch 1) and is added into the result.
 */
function conv2DBackpropFilterGemm(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  chunkAttr: unknown,
): TensorInfo {
  const { batchSize: n, inChannels: cin } = info;
  const perImage = info.outHeight * info.outWidth;
  const chunk = chunkAttr === undefined ? FILTER_GRAD_CHUNK : Number(chunkAttr);
  if (!(chunk >= 0)) throw new Error(`Conv2DBackpropFilter: chunk must be a number ≥ 0, got ${String(chunkAttr)}`);
  const images = chunk === 0 ? n : Math.max(1, Math.min(n, Math.floor(chunk / Math.max(1, perImage))));
  // x channel-major ([Cin, N, H, W]; for Cin = 1 the same memory), so that each row of colsᵀ is filled from
  // contiguous input rows, written in order.
  let xT: TensorInfo | undefined;
  if (cin > 1) {
    xT = backend.makeOutput([cin, n, info.inHeight, info.inWidth], 'float32');
    channelMajor(view(backend, x), view(backend, xT), cin);
  }
  try {
    return filterGradChunks(backend, xT ?? x, dy, info, images);
  } finally {
    free(backend, xT);
  }
}

/** dW[FH, FW, Cin, Cout] from `src` (x channel-major) and dy, `images` images a matmul. */
function filterGradChunks(
  backend: BackendWasm,
  src: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  images: number,
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, outHeight: oh, outWidth: ow } = info;
  const { batchSize: n, inChannels: cin, outChannels: cout } = info;
  const k = fh * fw * cin;
  const perImage = oh * ow;
  let acc: TensorInfo | undefined;
  for (let b0 = 0; b0 < n; b0 += images) {
    const nc = Math.min(images, n - b0);
    const p = nc * perImage;
    const cols = backend.makeOutput([1, k, p], 'float32');
    fillColsT(view(backend, src), view(backend, cols), info, b0, nc);
    let dyPart: TensorInfo;
    if (nc === n) dyPart = { dataId: dy.dataId, shape: [1, p, cout], dtype: dy.dtype };
    else {
      dyPart = backend.makeOutput([1, p, cout], 'float32');
      const from = b0 * perImage * cout;
      view(backend, dyPart).set(view(backend, dy).subarray(from, from + p * cout));
    }
    const out = run(backend, 'BatchMatMul', { a: cols, b: dyPart }, { transposeA: false, transposeB: false });
    free(backend, cols, nc === n ? undefined : dyPart);
    if (!acc) acc = out;
    else {
      const a = view(backend, acc);
      const o = view(backend, out);
      for (let i = 0; i < a.length; i++) a[i] += o[i];
      free(backend, out);
    }
  }
  const result = acc as TensorInfo;
  return { dataId: result.dataId, shape: [fh, fw, cin, cout], dtype: 'float32' };
}

/**
 * [P, C] → [C, P] (x NHWC to channel-major) in tiles of 64 positions, so that each of the C output streams is written
 * 64 values at a time (one position at a time it ran at a third of the speed: every write a page apart).
 */
function channelMajor(src: Float32Array, dst: Float32Array, c: number): void {
  const p = src.length / c;
  const T = 64;
  for (let i0 = 0; i0 < p; i0 += T) {
    const i1 = Math.min(p, i0 + T);
    for (let k = 0; k < c; k++) {
      let d = k * p + i0;
      for (let i = i0, s = i0 * c + k; i < i1; i++, s += c) dst[d++] = src[s];
    }
  }
}

/**
 * colsᵀ[K, P] of images b0 … b0+nc−1 (row (i·FW + j)·Cin + c, column (b − b0)·OH·OW + r·OW + q), zero outside x.
 * `src` is x channel-major, [Cin, N, H, W]: every row of colsᵀ is written in order from rows of one channel.
 */
function fillColsT(src: Float32Array, dst: Float32Array, info: tf.backend_util.Conv2DInfo, b0: number, nc: number): void {
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin } = info;
  const p = nc * oh * ow;
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      // Output columns q whose input column q·sw − left + j is inside [0, w).
      const qLo = Math.min(ow, Math.max(0, Math.ceil((left - j) / sw)));
      const qHi = Math.max(qLo, Math.min(ow, Math.floor((w - 1 + left - j) / sw) + 1));
      for (let c = 0; c < cin; c++) {
        let d = ((i * fw + j) * cin + c) * p; // cols index of (i, j, c; b0, r = 0, q = 0)
        for (let b = b0; b < b0 + nc; b++) {
          const plane = (c * n + b) * h;
          for (let r = 0; r < oh; r++, d += ow) {
            const ih = r * sh - top + i;
            if (ih < 0 || ih >= h) {
              dst.fill(0, d, d + ow);
              continue;
            }
            for (let q = 0; q < qLo; q++) dst[d + q] = 0;
            for (let q = qHi; q < ow; q++) dst[d + q] = 0;
            let s = (plane + ih) * w + qLo * sw - left + j;
            for (let q = qLo; q < qHi; q++, s += sw) dst[d + q] = src[s];
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Conv2DBackpropInput: the input gradient as forward convolutions, one per stride phase.
//   dx[n,h,w,ci] = Σ_{oh·s+fh = h+top} Σ_{ow·s+fw = w+left} Σ_co dy[n,oh,ow,co] · W[fh,fw,ci,co]
// For stride 1 this is one conv of dy with the filter flipped in space and transposed to [FH,FW,Cout,Cin].
// For stride s, the rows h with (h+top) mod s = r only see taps fh ≡ r (mod s): each of the s×s phases is a
// stride-1 conv of dy with a sub-filter (no multiplications by inserted zeros), and the results are interleaved.

interface Phase {
  /** First dx row (col) of this phase, in [0, s). */
  start: number;
  /** Filter taps of this phase: fh = r + s·j for j < taps. */
  r: number;
  taps: number;
  /** dx rows of this phase: start, start+s, … (count). */
  count: number;
  /** Explicit padding of dy for the phase conv (may be negative = crop). */
  padBefore: number;
  padAfter: number;
}

/** The phases of one spatial dimension. */
function phases(size: number, outSize: number, filter: number, stride: number, padBefore: number): Phase[] {
  const result: Phase[] = [];
  for (let start = 0; start < Math.min(stride, size); start++) {
    const r = (((start + padBefore) % stride) + stride) % stride;
    const taps = r < filter ? Math.ceil((filter - r) / stride) : 0;
    const count = Math.ceil((size - start) / stride);
    // dx row start + o·s = q·s + r − padBefore with q = qMin + o.
    const qMin = (start + padBefore - r) / stride;
    const qMax = qMin + count - 1;
    result.push({ start, r, taps, count, padBefore: taps - 1 - qMin, padAfter: qMax - (outSize - 1) });
  }
  return result;
}

function conv2DBackpropInput(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  requireChannelsLast('Conv2DBackpropInput', attrs.dataFormat);
  const inputShape = attrs.inputShape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as Pad as 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const [n, h, w, cin] = inputShape;
  const cout = info.outChannels;
  if (dy.shape[1] !== info.outHeight || dy.shape[2] !== info.outWidth || dy.shape[3] !== cout) {
    throw new Error(`Conv2DBackpropInput: dy shape ${dy.shape} does not match the forward output ${info.outShape}`);
  }
  if (useGemm(attrs, info.inChannels)) return conv2DBackpropInputGemm(backend, dy, filter, info);
  const rows = phases(h, info.outHeight, fh, sh, info.padInfo.top);
  const cols = phases(w, info.outWidth, fw, sw, info.padInfo.left);
  const single = sh === 1 && sw === 1;

  const dx = single ? undefined : backend.makeOutput([n, h, w, cin], 'float32');
  // Where the filter is smaller than the stride, no tap reaches some dx positions: they stay zero.
  if (dx && rows.concat(cols).some((p) => p.taps === 0)) view(backend, dx).fill(0);
  for (const pr of rows) {
    for (const pc of cols) {
      if (pr.taps === 0 || pc.taps === 0) continue;
      const sub = subFilter(backend, filter, pr, pc, sh, sw);
      const { cropped, pads } = cropForPads(backend, dy, [pr.padBefore, pr.padAfter, pc.padBefore, pc.padAfter]);
      const part = conv(backend, cropped ?? dy, sub, pads);
      free(backend, sub, cropped);
      if (part.shape[1] !== pr.count || part.shape[2] !== pc.count) {
        free(backend, part, dx);
        throw new Error(`Conv2DBackpropInput: phase shape ${part.shape} != ${pr.count}×${pc.count}`);
      }
      if (!dx) return part; // stride 1: the single phase is the whole dx
      scatterPhase(view(backend, part), view(backend, dx), [n, h, w, cin], pr, pc, sh, sw);
      free(backend, part);
    }
  }
  return dx as TensorInfo;
}

/**
 * The input gradient as one matmul and a scatter-add: cols[P, K] = dy[P, Cout] · Wᵀ[Cout, K] on XNNPACK, then
 * col2im adds each column block into dx (a JS loop over the wasm heap).
 */
function conv2DBackpropInputGemm(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout } = info;
  const k = fh * fw * cin;
  const p = n * oh * ow;
  // Wᵀ as [1, Cout, K] (the filter is [K, Cout] row-major).
  const wT = backend.makeOutput([1, cout, k], 'float32');
  {
    const src = view(backend, filter);
    const dst = view(backend, wT);
    for (let a = 0; a < k; a++) for (let c = 0; c < cout; c++) dst[c * k + a] = src[a * cout + c];
  }
  const dy3: TensorInfo = { dataId: dy.dataId, shape: [1, p, cout], dtype: dy.dtype };
  const cols = run(backend, 'BatchMatMul', { a: dy3, b: wT }, { transposeA: false, transposeB: false });
  free(backend, wT);
  const dx = backend.makeOutput([n, h, w, cin], 'float32');
  const src = view(backend, cols);
  const dst = view(backend, dx);
  dst.fill(0);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        for (let i = 0; i < fh; i++) {
          const ih = r * sh - top + i;
          if (ih < 0 || ih >= h) {
            o += fw * cin;
            continue;
          }
          for (let j = 0; j < fw; j++) {
            const iw = q * sw - left + j;
            if (iw >= 0 && iw < w) {
              const d = ((b * h + ih) * w + iw) * cin;
              for (let c = 0; c < cin; c++) dst[d + c] += src[o + c];
            }
            o += cin;
          }
        }
      }
    }
  }
  free(backend, cols);
  return dx;
}

/** The flipped, transposed sub-filter of one phase: G[t,u,co,ci] = W[r + s·(taps−1−t), c + s·(tapsW−1−u), ci, co]. */
function subFilter(backend: BackendWasm, filter: TensorInfo, pr: Phase, pc: Phase, sh: number, sw: number): TensorInfo {
  const [, fw, cin, cout] = filter.shape;
  const out = backend.makeOutput([pr.taps, pc.taps, cout, cin], 'float32');
  const src = view(backend, filter);
  const dst = view(backend, out);
  let o = 0;
  for (let t = 0; t < pr.taps; t++) {
    const row = pr.r + sh * (pr.taps - 1 - t);
    for (let u = 0; u < pc.taps; u++) {
      const col = pc.r + sw * (pc.taps - 1 - u);
      const base = (row * fw + col) * cin * cout;
      for (let co = 0; co < cout; co++) {
        for (let ci = 0; ci < cin; ci++) dst[o++] = src[base + ci * cout + co];
      }
    }
  }
  return out;
}

/** Writes one phase's result [N, rows.count, cols.count, C] into dx [N,H,W,C] at rows start+i·sh, cols start+j·sw. */
function scatterPhase(
  part: Float32Array,
  dx: Float32Array,
  shape: [number, number, number, number],
  pr: Phase,
  pc: Phase,
  sh: number,
  sw: number,
): void {
  const [n, h, w, c] = shape;
  let p = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < pr.count; i++) {
      let d = ((b * h + pr.start + i * sh) * w + pc.start) * c;
      for (let j = 0; j < pc.count; j++) {
        for (let k = 0; k < c; k++) dx[d + k] = part[p + k];
        p += c;
        d += sw * c;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// MatMul with a transposed operand: the stock kernel falls off XNNPACK's fast path (~15× slower). Transpose
// explicitly (a cheap memory pass), then run the plain matmul.

function lastTwoSwapped(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function untransposed(backend: BackendWasm, inputs: Inputs, attrs: Attrs, name: string): TensorInfo {
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const aT = attrs.transposeA ? transpose(backend, a, lastTwoSwapped(a.shape.length)) : undefined;
  const bT = attrs.transposeB ? transpose(backend, b, lastTwoSwapped(b.shape.length)) : undefined;
  try {
    return run(backend, name, { ...inputs, a: aT ?? a, b: bT ?? b }, { ...attrs, transposeA: false, transposeB: false });
  } finally {
    free(backend, aT, bT);
  }
}

function batchMatMul(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  return untransposed(backend, inputs, attrs, 'BatchMatMul');
}

function fusedMatMul(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  return untransposed(backend, inputs, attrs, '_FusedMatMul');
}

// ---------------------------------------------------------------------------------------------------------------
// Tile: the stock kernel computes a multi-index per element (~100 ms for the BatchNorm gradient's
// [1,1,1,C] → [N,H,W,C]). Here: copy x once into the first block, then grow each dimension's block by doubling
// with copyWithin (a native memmove), innermost dimension first.

function tile(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const x = inputs.x as TensorInfo;
  const reps = attrs.reps as number[];
  if (x.dtype === 'string' || reps.length !== x.shape.length) return run(backend, 'Tile', inputs, attrs);
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const rank = x.shape.length;
  // outStride[d]: elements of one step along dim d of the output.
  const outStride = new Array<number>(rank);
  const srcStride = new Array<number>(rank);
  outStride[rank - 1] = 1;
  srcStride[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    outStride[d] = outStride[d + 1] * outShape[d + 1];
    srcStride[d] = srcStride[d + 1] * x.shape[d + 1];
  }
  const fill = (d: number, srcOff: number, dstOff: number): void => {
    const len = x.shape[d];
    if (d === rank - 1) {
      dst.set(src.subarray(srcOff, srcOff + len), dstOff);
    } else {
      for (let i = 0; i < len; i++) fill(d + 1, srcOff + i * srcStride[d], dstOff + i * outStride[d]);
    }
    // The block [dstOff, dstOff + len·outStride[d]) is complete: repeat it reps[d] times.
    const block = len * outStride[d];
    const total = block * reps[d];
    for (let have = block; have < total; have *= 2) {
      dst.copyWithin(dstOff + have, dstOff, dstOff + Math.min(have, total - have));
    }
  };
  fill(0, 0, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Sum / Mean over axes that are not innermost (BatchNorm's [0,1,2], global average pooling's [1,2]): the stock
// kernels transpose the whole tensor first, then reduce with a scalar loop. Here: view x as [A, R, 1, I] (kept
// outer, reduced, kept inner) and run XNNPACK's average pooling with an R×1 window — one SIMD pass, 10–20× faster.
// Sum scales the mean back by R. Innermost reductions (I = 1, contiguous), several reduced blocks and non-float32
// dtypes go to the stock kernels.

function reduce(inputs: Inputs, backend: BackendWasm, attrs: Attrs, name: 'Sum' | 'Mean'): TensorInfo {
  const x = inputs.x as TensorInfo;
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const shape = x.shape;
  let outer = 1;
  let reduced = 1;
  let inner = 1;
  let phase = 0; // 0 = before the reduced block, 1 = in it, 2 = after it
  let simple = x.dtype === 'float32' && util.sizeFromShape(shape) > 0;
  for (let d = 0; d < shape.length && simple; d++) {
    if (shape[d] === 1) continue;
    const isReduced = axes.includes(d);
    if (phase === 0 && isReduced) phase = 1;
    else if (phase === 1 && !isReduced) phase = 2;
    else if (phase === 2 && isReduced) simple = false; // two reduced blocks
    if (phase === 0) outer *= shape[d];
    else if (phase === 1) reduced *= shape[d];
    else inner *= shape[d];
  }
  if (!simple || inner === 1 || reduced === 1) return run(backend, name, inputs, attrs);
  let outShape = backend_util.computeOutAndReduceShapes(shape, axes)[0];
  if (attrs.keepDims) outShape = backend_util.expandShapeToKeepDim(outShape, axes);
  // Same data, read as [A, R, 1, I]: kernels only look up the data id and take the shape from the TensorInfo.
  const x4: TensorInfo = { dataId: x.dataId, shape: [outer, reduced, 1, inner], dtype: x.dtype };
  const pooled = run(backend, 'AvgPool', { x: x4 }, { filterSize: [reduced, 1], strides: [1, 1], pad: 'valid' });
  if (name === 'Sum') {
    const values = view(backend, pooled);
    for (let i = 0; i < values.length; i++) values[i] *= reduced;
  }
  return { dataId: pooled.dataId, shape: outShape, dtype: 'float32' };
}

// ---------------------------------------------------------------------------------------------------------------
// Identity: the stock kernel copies the tensor (tf.clone, layers' pass-throughs and the optimizer call it dozens
// of times per step). Like Reshape — and like the cpu backend's Identity — share the data and count a reference.

function identity(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const x = inputs.x as TensorInfo;
  if (x.dtype === 'string') return run(backend, 'Identity', inputs, attrs);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

// ---------------------------------------------------------------------------------------------------------------
// MaxPoolGrad: the stock kernel was ~60 ms for a [128,28,28,32] 2×2 pool. Here one JS pass over x: for each output
// position find the first strict maximum of its window (row-major order, like the cpu backend; padding and NaN
// never win) for all channels at once, and add dy there.

function maxPoolGrad(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const dy = inputs.dy as TensorInfo;
  const x = inputs.input as TensorInfo;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return run(backend, 'MaxPoolGrad', inputs, attrs);
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as Pad as 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const dx = backend.makeOutput(x.shape, 'float32');
  const src = view(backend, x);
  const grad = view(backend, dy);
  const dst = view(backend, dx);
  dst.fill(0);
  let g = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const rLo = Math.max(0, r * sh - top);
      const rHi = Math.min(h, r * sh - top + fh);
      for (let q = 0; q < ow; q++, g += c) {
        const cLo = Math.max(0, q * sw - left);
        const cHi = Math.min(w, q * sw - left + fw);
        for (let k = 0; k < c; k++) {
          let best = -Infinity;
          let pos = -1;
          for (let i = rLo; i < rHi; i++) {
            for (let j = cLo, p = ((b * h + i) * w + cLo) * c + k; j < cHi; j++, p += c) {
              const v = src[p];
              if (v > best) {
                best = v;
                pos = p;
              }
            }
          }
          if (pos >= 0) dst[pos] += grad[g + k];
        }
      }
    }
  }
  return dx;
}

// ---------------------------------------------------------------------------------------------------------------
// UnsortedSegmentSum (missing from the wasm backend): the gradient of gather, i.e. of every embedding layer.
// out[s, …] = Σ_{i : ids[i] = s} x[i, …]; ids outside [0, numSegments) contribute nothing (as on cpu).

function unsortedSegmentSum(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const numSegments = attrs.numSegments as number;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32 data, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`);
  const idRank = segmentIds.shape.length;
  if (segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape ${segmentIds.shape} is not a prefix of x shape ${x.shape}`);
  }
  const inner = util.sizeFromShape(x.shape.slice(idRank));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  dst.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const seg = ids[i];
    if (seg < 0 || seg >= numSegments) continue;
    const o = seg * inner;
    const p = i * inner;
    for (let k = 0; k < inner; k++) dst[o + k] += src[p + k];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// FusedBatchNorm with per-channel (rank-1) statistics: the stock kernel computes broadcast indexes per element
// (2–4× slower). Here: y = (x − mean) · s + offset with s = scale / √(variance + ε) computed once per channel,
// as three broadcasting SIMD kernels. Other layouts go to the stock kernel.

function fusedBatchNorm(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const { x, mean, variance, offset, scale } = inputs as Record<string, TensorInfo | undefined> & { x: TensorInfo };
  const channels = x.shape[x.shape.length - 1];
  const perChannel = (t: TensorInfo | undefined) =>
    t === undefined || (t.shape.length === 1 && t.shape[0] === channels && t.dtype === 'float32');
  if (x.dtype !== 'float32' || !mean || !variance || ![mean, variance, offset, scale].every(perChannel)) {
    return run(backend, 'FusedBatchNorm', inputs, attrs);
  }
  const eps = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  const factor = backend.makeOutput([channels], 'float32');
  {
    const v = view(backend, variance);
    const sc = scale ? view(backend, scale) : undefined;
    const f = view(backend, factor);
    for (let c = 0; c < channels; c++) f[c] = (sc ? sc[c] : 1) / Math.sqrt(v[c] + eps);
  }
  const centred = run(backend, 'Sub', { a: x, b: mean });
  const scaled = run(backend, 'Multiply', { a: centred, b: factor });
  free(backend, centred, factor);
  if (!offset) return scaled;
  const out = run(backend, 'Add', { a: scaled, b: offset });
  free(backend, scaled);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// AvgPoolGrad for non-overlapping windows that tile the input exactly (e.g. 2×2 pooling with stride 2): every
// input pixel gets dy/(FH·FW) of its one window — a scaled copy of dy broadcast over each window (the fast Tile
// above). The stock kernel (~10 ns per input element) handles the other cases.

function avgPoolGrad(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const dy = inputs.dy as TensorInfo;
  const x = inputs.input as TensorInfo;
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as Pad as 'valid',
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const exact = fh === sh && fw === sw && top === 0 && left === 0 && oh * fh === h && ow * fw === w;
  if (!exact || dy.dtype !== 'float32') return run(backend, 'AvgPoolGrad', inputs, attrs);
  const scaled = backend.makeOutput([n * oh, 1, ow, 1, c], 'float32');
  {
    const src = view(backend, dy);
    const dst = view(backend, scaled);
    const k = 1 / (fh * fw);
    for (let i = 0; i < src.length; i++) dst[i] = src[i] * k;
  }
  const tiled = tile({ x: scaled }, backend, { reps: [1, fh, 1, fw, 1] });
  free(backend, scaled);
  return { dataId: tiled.dataId, shape: x.shape, dtype: 'float32' };
}

// ---------------------------------------------------------------------------------------------------------------
// Slice and SplitV: the stock Slice first copies the WHOLE input out of the wasm heap (`backend.readSync`, a fresh
// JS ArrayBuffer) and then copies the slice from that copy; layers' predict() slices every batch out of its input
// this way (a 512-image 64×64×3 embedding spent 17% of its time there), and SplitV slices through it. Here: copy
// straight from heap to heap, one `set` per contiguous run (a run = the innermost sliced dimension and every full
// dimension inside it: a slice along the batch axis is a single copy). Strings go to the stock kernel.

function sliceKernel(inputs: Inputs, backend: BackendWasm, attrs: Attrs): TensorInfo {
  const x = inputs.x as TensorInfo;
  if (x.dtype === 'string' || x.dtype === 'complex64') return run(backend, 'Slice', inputs, attrs);
  const [begin, size] = slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number | number[], attrs.size as number | number[]);
  return sliceOf(backend, x, begin, size);
}

function sliceOf(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  const out = backend.makeOutput(size, x.dtype);
  const total = util.sizeFromShape(size);
  if (total === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length;
  if (rank === 0) {
    dst.set(src);
    return out;
  }
  const strides = [...util.computeStrides(shape), 1];
  // The innermost dimension that is not taken whole: everything inside it is one contiguous run per index outside.
  let d = rank - 1;
  while (d > 0 && begin[d] === 0 && size[d] === shape[d]) d--;
  const runLength = size[d] * strides[d];
  const index = new Array<number>(d).fill(0); // odometer over dims 0 … d−1
  for (let o = 0; o < total; o += runLength) {
    let from = begin[d] * strides[d];
    for (let k = 0; k < d; k++) from += (begin[k] + index[k]) * strides[k];
    dst.set(src.subarray(from, from + runLength), o);
    for (let k = d - 1; k >= 0; k--) {
      if (++index[k] < size[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

const splitV: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const b = backend as BackendWasm;
  const a = (attrs ?? {}) as Attrs;
  if (x.dtype === 'string' || x.dtype === 'complex64') {
    return (stock.get('SplitV') as tf.KernelConfig).kernelFunc({ inputs, backend, attrs });
  }
  const axis = util.parseAxisParam(a.axis as number, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x as tf.Tensor, a.numOrSizeSplits as number | number[], axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const part = sliceOf(b, x, [...begin], size);
    begin[axis] += s;
    return part;
  });
};
