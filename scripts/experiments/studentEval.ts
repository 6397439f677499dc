/** Test accuracy of a student checkpoint's own softmax head (tuning helper). */
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/core/models/checkpoint';
import { pixelsToFloat } from '../../src/core/ssl/augment';

export async function studentTestAccuracy(dir: string, pixels: Uint8Array, labels: Int32Array, n: number): Promise<number> {
  const enc = await loadModel(dir, 'model');
  const head = await loadModel(dir, 'student_head');
  let ok = 0;
  for (let s = 0; s < n; s += 1000) {
    const b = Math.min(1000, n - s);
    const x = tf.tensor4d(pixelsToFloat(pixels, s, b, 784), [b, 28, 28, 1]);
    const y = tf.tidy(() => tf.argMax(head.predict(enc.predict(x) as tf.Tensor) as tf.Tensor, 1));
    const a = await y.data();
    for (let i = 0; i < b; i++) if (a[i] === labels[s + i]) ok++;
    x.dispose();
    y.dispose();
  }
  enc.dispose();
  head.dispose();
  return ok / n;
}

