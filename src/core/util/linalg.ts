/**
 * Small dense linear algebra, plain JS, no tfjs: the one Gram–Schmidt and the one symmetric eigen-decomposition that
 * the randomized PCA (src/core/modalities/image/linear.ts, the pixel candidate and the bench's baselines) and the
 * text head's LSA (src/core/modalities/text/lexical/lsa.ts) both run on their small projected matrices; the one
 * Cholesky and its triangular solves (the LDA projection of src/core/train/lda.ts, the audio head's ridge proxy).
 */

/** Orthonormalises the k columns of Y (n × k, row-major) in place (modified Gram–Schmidt, twice; a dependent column becomes 0). */
export function orthonormalizeColumns(Y: Float64Array, n: number, k: number): void {
  const col = new Float64Array(n);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < n; i++) col[i] = Y[i * k + j];
      for (let q = 0; q < j; q++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += col[i] * Y[i * k + q];
        for (let i = 0; i < n; i++) col[i] -= d * Y[i * k + q];
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += col[i] * col[i];
      const inv = s > 1e-24 ? 1 / Math.sqrt(s) : 0;
      for (let i = 0; i < n; i++) Y[i * k + j] = col[i] * inv;
    }
  }
}

/** Eigen-decomposition of a symmetric k × k matrix (cyclic Jacobi): values descending, vectors as columns. */
export function symmetricEigen(A: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < k; p++) {
      diag += a[p * k + p] * a[p * k + p];
      for (let q = p + 1; q < k; q++) off += a[p * k + q] * a[p * k + q];
    }
    if (off <= 1e-22 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p];
          const arq = a[r * k + q];
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r];
          const aqr = a[q * k + r];
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p];
          const vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((x, y) => a[y * k + y] - a[x * k + x]);
  const values = Float64Array.from(order, (i) => a[i * k + i]);
  const vectors = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let j = 0; j < k; j++) vectors[r * k + j] = v[r * k + order[j]];
  return { values, vectors };
}

/**
 * Lower Cholesky factor L of the symmetric positive definite m × m matrix A (its lower triangle is read), A = L·Lᵀ;
 * a pivot that rounding makes non-positive is floored at 1e-6 (√1e-12).
 */
export function cholesky(A: Float64Array, m: number): Float64Array {
  const L = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    let s = A[j * m + j];
    for (let k = 0; k < j; k++) s -= L[j * m + k] ** 2;
    const d = Math.sqrt(Math.max(s, 1e-12));
    L[j * m + j] = d;
    for (let i = j + 1; i < m; i++) {
      let t = A[i * m + j];
      for (let k = 0; k < j; k++) t -= L[i * m + k] * L[j * m + k];
      L[i * m + j] = t / d;
    }
  }
  return L;
}

/** Solves L·x = b for lower triangular L (m × m) into x. */
export function solveLower(L: Float64Array, m: number, b: ArrayLike<number>, x: Float64Array): void {
  for (let i = 0; i < m; i++) {
    let t = b[i];
    for (let k = 0; k < i; k++) t -= L[i * m + k] * x[k];
    x[i] = t / L[i * m + i];
  }
}

/** Solves Lᵀ·x = b for lower triangular L (m × m) into x. */
export function solveLowerTransposed(L: Float64Array, m: number, b: ArrayLike<number>, x: Float64Array): void {
  for (let i = m - 1; i >= 0; i--) {
    let t = b[i];
    for (let k = i + 1; k < m; k++) t -= L[k * m + i] * x[k];
    x[i] = t / L[i * m + i];
  }
}
