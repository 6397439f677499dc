/**
 * The plain parts of the speed-against-PyTorch benchmark (src/bench/speed.ts): the cases mirror the image encoder's
 * widths, the PyTorch peer is skipped with a reason when python or torch is missing, and — where python3-torch is
 * installed — the peer really measures a small case.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TorchPeer, caseFlops, encoderMacs, encoderWidths, medianOf, pickPython, speedCases, SPEED_SHAPES } from '../../src/bench/speed';
import { buildImageEncoder, defaultImageEncoderConfig } from '../../src/core/modalities/image/encoder';

const PEER = path.join(__dirname, '..', '..', 'src', 'bench', 'torch', 'peer.py');

test('the cases use the image encoder widths of defaultImageEncoderConfig for square inputs', () => {
  for (const size of [16, 28, 32, 64, 96])
    assert.deepEqual(encoderWidths(size, size), defaultImageEncoderConfig(size, 1).widths, `size ${size}`);
  const cases = speedCases(SPEED_SHAPES);
  assert.equal(cases.length, 3 * SPEED_SHAPES.length);
  assert.deepEqual(
    cases.filter((c) => c.input === '28×28×1').map((c) => [c.task, c.batch]),
    [
      ['simclr', 256],
      ['rotation', 128],
      ['embed', 512],
    ],
  );
  // PyTorch embeds at the faster of 128 and 512 a call, SelfLabel at 512; the training cases at the same batch.
  assert.deepEqual(
    cases.filter((c) => c.input === '28×28×1').map((c) => c.torchBatches ?? [c.batch]),
    [[256], [128], [128, 512]],
  );
  // Non-square (log-mel): one stage per halving of the longer side down to 4 (64×96 → 4×3 after the fifth).
  assert.deepEqual(cases.find((c) => c.input === '64×96×1')?.widths, [32, 64, 128, 256, 256]);
});

test('caseFlops: the hand count of the 28×28×1 cases', () => {
  const [simclr, rotation, embed] = speedCases([{ h: 28, w: 28, c: 1 }]);
  // 14·14·32·9·1, 7·7·64·9·32, 4·4·128·9·64 multiply-adds, then the 4·4·128 → 128 dense layer.
  assert.deepEqual(encoderMacs(embed), { convs: [56_448, 903_168, 1_179_648], dense: 262_144 });
  const enc = 56_448 + 903_168 + 1_179_648 + 262_144;
  assert.equal(caseFlops(embed), 2 * enc);
  // Forward with the 4-way head, weight gradients of every layer, input gradients of all but the first convolution.
  assert.equal(caseFlops(rotation), 2 * (3 * (enc + 128 * 4) - 56_448));
  // Two views per image with the projection head (128 → 128 → 64), plus NT-Xent's 512 × 512 × 64 similarities
  // (forward and both gradients) shared by the 256 pairs.
  const view = 3 * (enc + 128 * 128 + 128 * 64) - 56_448;
  assert.equal(caseFlops(simclr), 2 * (2 * view + (3 * 512 * 512 * 64) / 256));
});

test('encoderMacs counts the layers of the real encoder', () => {
  for (const [size, channels] of [
    [28, 1],
    [32, 3],
    [64, 3],
  ] as const) {
    const model = buildImageEncoder(defaultImageEncoderConfig(size, channels), 1);
    try {
      // Multiply-adds of each layer from the built model: output positions × weights per output (kernel, no bias).
      const fromModel = model.layers
        .filter((l) => l.getClassName() === 'Conv2D' || l.getClassName() === 'Dense')
        .map((l) => {
          const out = l.outputShape as number[];
          const kernel = l.getWeights()[0].size;
          const positions = out.length === 4 ? out[1] * out[2] : 1;
          return positions * kernel;
        });
      const [c] = speedCases([{ h: size, w: size, c: channels }]);
      const m = encoderMacs(c);
      assert.deepEqual([...m.convs, m.dense], fromModel, `${size}×${size}×${channels}`);
    } finally {
      model.dispose();
    }
  }
});

test('medianOf ignores non-finite samples', () => {
  assert.equal(medianOf([3, 1, 2]), 2);
  assert.equal(medianOf([4, NaN, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(medianOf([])));
});

test('the PyTorch peer is skipped with a reason when python cannot start', async () => {
  const peer = new TorchPeer(PEER, '/nonexistent/python3');
  const why = await peer.start();
  assert.match(String(why), /cannot start \/nonexistent\/python3|not usable/);
});

test('the PyTorch peer is skipped with a reason when torch is not importable', async (t) => {
  const py = pickPython();
  if (spawnSync(py, ['-c', 'pass']).status !== 0) {
    t.skip(`no ${py}: the test above covers a python that cannot start`);
    return;
  }
  // A module named torch that fails to import, first on PYTHONPATH: what a python without python3-torch sees.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-notorch-'));
  fs.writeFileSync(path.join(dir, 'torch.py'), 'raise ImportError("no torch here (test)")\n');
  const saved = process.env.PYTHONPATH;
  process.env.PYTHONPATH = dir;
  try {
    const why = await new TorchPeer(PEER, py).start();
    assert.match(String(why), /PyTorch is not usable .*cannot import torch: no torch here \(test\).*apt-get install python3-torch/);
  } finally {
    if (saved === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('where python3-torch is installed, the peer measures a small case', async (t) => {
  const peer = new TorchPeer(PEER);
  const why = await peer.start();
  if (why) {
    t.skip(`PyTorch not available: ${why}`);
    return;
  }
  try {
    const [c] = speedCases([{ h: 16, w: 16, c: 1 }]).filter((x) => x.task === 'rotation');
    const r = await peer.measure({ ...c, batch: 8 }, 1, 0.05);
    assert.ok(r.wall > 0 && Number.isFinite(r.wall), `rate ${r.wall}`);
    assert.equal(r.batch, 8);
    // An embedding case runs PyTorch at each of its batches and keeps the fastest.
    const [e] = speedCases([{ h: 16, w: 16, c: 1 }]).filter((x) => x.task === 'embed');
    assert.equal((await peer.measure(e, 1, 0.05, 4)).batch, 4);
    const best = await peer.measureBest({ ...e, torchBatches: [2, 16] }, 1, 0.05);
    assert.ok([2, 16].includes(best.batch), `batch ${best.batch}`);
    assert.ok(best.wall > 0 && Number.isFinite(best.wall), `rate ${best.wall}`);
    await assert.rejects(peer.measure({ ...c, task: 'nope' as 'embed' }, 1, 0.05), /unknown task/);
    // Its plain matmul: a positive FLOP rate, and one thread on a 64² product is far from zero and from infinity.
    const flops = await peer.matmulRate(64, 1, 0.05);
    assert.ok(flops > 1e7 && flops < 1e13, `flops ${flops}`);
  } finally {
    peer.stop();
  }
});
