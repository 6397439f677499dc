/**
 * Cheaper gradients for Sum and Mean, registered for every backend.
 *
 * tfjs-core's gradients of Sum and Mean build `dy · ones(x.shape)`: `ones()` fills a full-size array in plain JS
 * (a polymorphic loop, ~14 ns per element) and then multiplies by it. BatchNorm (moments) and global average
 * pooling hit this on every training step — on wasm it was ~15% of a step of a small CNN. These replacements
 * broadcast dy with `tf.broadcastTo` (the Tile kernel) instead, which gives identical values: x·1 = x exactly, and
 * Mean divides the small dy by the reduced size before broadcasting (the same per-element division).
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

/** Registers the Sum and Mean gradients (idempotent). */
export function registerFastGradients(): void {
  if (registered) return;
  registered = true;
  for (const kernelName of ['Sum', 'Mean'] as const) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const [x] = saved;
        const grad = Array.isArray(dy) ? dy[0] : dy;
        const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
        const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        return {
          x: () =>
            tf.tidy(() => {
              let g = tf.reshape(grad.dtype === 'float32' ? grad : tf.cast(grad, 'float32'), expanded);
              if (kernelName === 'Mean') {
                const reduceSize = axes.reduce((n, a) => n * x.shape[a], 1);
                g = tf.div(g, tf.scalar(reduceSize));
              }
              return tf.broadcastTo(g, x.shape);
            }),
        };
      },
    });
  }
}
