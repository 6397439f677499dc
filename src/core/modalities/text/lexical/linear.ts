/**
 * Multinomial logistic regression on sparse rows (./tfidf.ts SparseRow: L2-normalised tf-idf), for the text head.
 *
 *   fitSparseLogReg({rows, targets, weight, nClasses, buckets, l2, ...}) → SparseLogReg
 *   sparseLogRegLogits(model, rows) → logits (rows × C)
 *
 * Objective: Σ_i weight_i · CE(softmax(W·x_i + b), target_i) + (l2 / 2)·‖W‖² (bias not penalised) — with l2 = 1 and
 * unit weights this is scikit-learn's LogisticRegression(C=1) objective. Targets may be soft (row-major n × C
 * distributions), so spread label distributions can be fitted directly. Minimised by Nesterov-accelerated full-batch
 * gradient descent with step 1/L (L = ½·Σ weight_i‖x_i‖² + l2, an upper bound of the Hessian's norm), restarting
 * the momentum when the objective goes up: deterministic, no learning rate to tune.
 * Weights live on the features that occur in the training rows only (compact index), so the model stays small.
 */
import type { SparseRow } from './tfidf';

export interface SparseLogReg {
  nClasses: number;
  /** Feature ids with weights, ascending. */
  ids: Int32Array;
  /** Weights, row-major ids.length × C. */
  W: Float32Array;
  bias: Float32Array;
}

export interface SparseLogRegOptions {
  rows: readonly SparseRow[];
  /** Hard labels (n) or soft targets (n × C, rows summing to 1). */
  targets: Int32Array | Float32Array;
  weight?: Float32Array;
  nClasses: number;
  /** L2 penalty (default 1). */
  l2?: number;
  /** Gradient steps (default 300). */
  iterations?: number;
  /** Stop when the relative objective change is below this (default 1e-6). */
  tol?: number;
  /**
   * 'kernel' (default): the same optimum found in the span of the training rows (see fitKernel below) — with
   * few labelled rows and many features (character n-grams: ~10⁵ weights per class) it is 10–100× faster;
   * 'lbfgs': limited-memory BFGS (10 pairs) with a backtracking Armijo line search, stopped when the
   * largest gradient entry is below `gtol` (default 1e-4, scikit-learn's lbfgs tolerance) or the objective stops
   * moving; 'nesterov': accelerated gradient descent with step 1/L (the solver before; slow on many rows, since the
   * bias makes the problem ill-conditioned: its curvature grows with the rows, a rare word's stays near l2).
   */
  solver?: 'kernel' | 'lbfgs' | 'nesterov';
  gtol?: number;
  /**
   * The rows' Gram matrix (row i, row k → gram(i, k) = x_i·x_k) when the caller has it (solver 'kernel'): the text
   * head computes it once over every labelled row and reads the folds' fits from it.
   */
  gram?: (i: number, k: number) => number;
  /** Start from these weights (warm start), laid out as this function's result over the same rows' features. */
  init?: SparseLogReg;
  signal?: AbortSignal;
}

/** Fits the model; see the module comment. */
export function fitSparseLogReg(o: SparseLogRegOptions): SparseLogReg {
  const C = o.nClasses;
  const n = o.rows.length;
  const l2 = o.l2 ?? 1;
  const iters = o.iterations ?? 300;
  const tol = o.tol ?? 1e-6;
  const soft = o.targets instanceof Float32Array;
  if (soft ? o.targets.length !== n * C : o.targets.length !== n)
    throw new Error('targets must have one label (or C probabilities) per row');
  const wt = o.weight ?? new Float32Array(n).fill(1);
  if ((o.solver ?? 'kernel') === 'kernel' && !o.init) return fitKernel(o, wt);
  // Compact feature index.
  const map = new Map<number, number>();
  for (const r of o.rows) for (const id of r.ids) if (!map.has(id)) map.set(id, map.size);
  const ids = Int32Array.from(map.keys()).sort();
  ids.forEach((id, j) => map.set(id, j));
  const cols = o.rows.map((r) => Int32Array.from(r.ids, (id) => map.get(id)!));
  const D = ids.length;
  const T = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    if (soft) T.set((o.targets as Float32Array).subarray(i * C, (i + 1) * C), i * C);
    else T[i * C + (o.targets as Int32Array)[i]] = 1;
  }
  let L = l2;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const v of o.rows[i].w) s += v * v;
    L += 0.5 * wt[i] * s;
  }
  const step = 1 / L;
  const P = D * C + C; // parameters: W then bias
  let x = new Float64Array(P);
  let xPrev = new Float64Array(P);
  const y = new Float64Array(P);
  const g = new Float64Array(P);
  const z = new Float64Array(C);
  /** Objective and gradient at p (gradient into g). */
  const objGrad = (p: Float64Array, withGrad: boolean): number => {
    if (withGrad) g.fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      const w = wt[i];
      if (!w) continue;
      const r = o.rows[i];
      const cj = cols[i];
      for (let c = 0; c < C; c++) z[c] = p[D * C + c];
      for (let j = 0; j < cj.length; j++) {
        const off = cj[j] * C;
        const v = r.w[j];
        for (let c = 0; c < C; c++) z[c] += v * p[off + c];
      }
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, z[c]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(z[c] - m);
      const lse = m + Math.log(s);
      for (let c = 0; c < C; c++) {
        const t = T[i * C + c];
        if (t) f -= w * t * (z[c] - lse);
        z[c] = w * (Math.exp(z[c] - lse) - t); // dL/dz
      }
      if (!withGrad) continue;
      for (let j = 0; j < cj.length; j++) {
        const off = cj[j] * C;
        const v = r.w[j];
        for (let c = 0; c < C; c++) g[off + c] += v * z[c];
      }
      for (let c = 0; c < C; c++) g[D * C + c] += z[c];
    }
    let reg = 0;
    for (let q = 0; q < D * C; q++) {
      reg += p[q] * p[q];
      if (withGrad) g[q] += l2 * p[q];
    }
    return f + 0.5 * l2 * reg;
  };
  if (o.init) {
    const at = new Map<number, number>();
    o.init.ids.forEach((id, q) => at.set(id, q));
    ids.forEach((id, j) => {
      const q = at.get(id);
      if (q !== undefined) for (let c = 0; c < C; c++) x[j * C + c] = o.init!.W[q * C + c];
    });
    for (let c = 0; c < C; c++) x[D * C + c] = o.init.bias[c] ?? 0;
  }
  if ((o.solver ?? 'kernel') !== 'nesterov') {
    x.set(lbfgs(objGrad, g, x, { iters, tol: o.tol ?? 1e-9, gtol: o.gtol ?? 1e-4, signal: o.signal }));
  } else {
    y.set(x);
    xPrev.set(x);
    let tk = 1;
    let fPrev = Infinity;
    for (let it = 0; it < iters; it++) {
      if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      const fy = objGrad(y, true);
      const xNew = xPrev; // reuse buffer
      for (let q = 0; q < P; q++) xNew[q] = y[q] - step * g[q];
      xPrev = x;
      x = xNew;
      const tNext = (1 + Math.sqrt(1 + 4 * tk * tk)) / 2;
      const mom = fy > fPrev ? 0 : (tk - 1) / tNext; // adaptive restart (O'Donoghue & Candès 2015)
      tk = fy > fPrev ? 1 : tNext;
      for (let q = 0; q < P; q++) y[q] = x[q] + mom * (x[q] - xPrev[q]);
      if (Math.abs(fPrev - fy) <= tol * Math.max(1, Math.abs(fy))) break;
      fPrev = fy;
    }
  }
  const W = new Float32Array(D * C);
  for (let q = 0; q < D * C; q++) W[q] = x[q];
  return { nClasses: C, ids, W, bias: Float32Array.from(x.subarray(D * C)) };
}

/**
 * The kernel form of the same fit. With an L2 penalty on W (the bias free), the optimum lies in the span of the
 * training rows: W = Xᵀ·A (representer theorem), so the logits of the rows are K·A + b with K = X·Xᵀ (n × n) and the
 * penalty is (l2/2)·tr(Aᵀ K A). With K = L·Lᵀ (pivoted Cholesky, r ≤ n columns; rows that are combinations of
 * others add none) and V = Lᵀ·A this is logistic regression on the n × r dense features L with the plain penalty
 * (l2/2)·‖V‖² — solved by L-BFGS over r·C + C numbers instead of D·C + C — then A = L·(LᵀL)⁻¹·V and W = Xᵀ·A.
 */
function fitKernel(o: SparseLogRegOptions, wt: Float32Array): SparseLogReg {
  const C = o.nClasses;
  const n = o.rows.length;
  const l2 = o.l2 ?? 1;
  if (!(l2 > 0)) return fitSparseLogReg({ ...o, solver: 'lbfgs' });
  const map = new Map<number, number>();
  for (const r of o.rows) for (const id of r.ids) if (!map.has(id)) map.set(id, map.size);
  const ids = Int32Array.from(map.keys()).sort();
  ids.forEach((id, j) => map.set(id, j));
  const D = ids.length;
  const cols = o.rows.map((r) => Int32Array.from(r.ids, (id) => map.get(id)!));
  // Gram matrix K = X·Xᵀ.
  const K = new Float64Array(n * n);
  const dense = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    if (o.gram) {
      for (let k = 0; k <= i; k++) K[i * n + k] = K[k * n + i] = o.gram(i, k);
      continue;
    }
    const ci = cols[i];
    const wi = o.rows[i].w;
    for (let j = 0; j < ci.length; j++) dense[ci[j]] = wi[j];
    for (let k = 0; k <= i; k++) {
      const ck = cols[k];
      const wk = o.rows[k].w;
      let s = 0;
      for (let j = 0; j < ck.length; j++) s += wk[j] * dense[ck[j]];
      K[i * n + k] = s;
      K[k * n + i] = s;
    }
    for (let j = 0; j < ci.length; j++) dense[ci[j]] = 0;
  }
  // Pivoted Cholesky: K ≈ L·Lᵀ, L n × r (row-major n × n buffer, first r columns used).
  const Lf = new Float64Array(n * n);
  const diag = Float64Array.from({ length: n }, (_, i) => K[i * n + i]);
  const maxDiag = Math.max(0, ...diag);
  const used = new Uint8Array(n);
  let r = 0;
  for (; r < n; r++) {
    let p = -1;
    for (let i = 0; i < n; i++) if (!used[i] && (p < 0 || diag[i] > diag[p])) p = i;
    if (p < 0 || !(diag[p] > 1e-10 * Math.max(1, maxDiag))) break;
    used[p] = 1;
    const piv = Math.sqrt(diag[p]);
    for (let i = 0; i < n; i++) {
      if (used[i] && i !== p) continue;
      let s = K[i * n + p];
      for (let q = 0; q < r; q++) s -= Lf[i * n + q] * Lf[p * n + q];
      Lf[i * n + r] = i === p ? piv : s / piv;
    }
    for (let i = 0; i < n; i++) if (!used[i]) diag[i] -= Lf[i * n + r] * Lf[i * n + r];
  }
  // Dense logistic regression on the rows of L (n × r): V (r × C) then bias (C).
  const soft = o.targets instanceof Float32Array;
  const T = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    if (soft) for (let c = 0; c < C; c++) T[i * C + c] = (o.targets as Float32Array)[i * C + c];
    else T[i * C + (o.targets as Int32Array)[i]] = 1;
  }
  const P = r * C + C;
  const g = new Float64Array(P);
  const z = new Float64Array(C);
  const objGrad = (p: Float64Array, withGrad: boolean): number => {
    if (withGrad) g.fill(0);
    let f = 0;
    for (let i = 0; i < n; i++) {
      const w = wt[i];
      if (!w) continue;
      const oi = i * n;
      for (let c = 0; c < C; c++) z[c] = p[r * C + c];
      for (let q = 0; q < r; q++) {
        const v = Lf[oi + q];
        if (!v) continue;
        const oq = q * C;
        for (let c = 0; c < C; c++) z[c] += v * p[oq + c];
      }
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, z[c]);
      let se = 0;
      for (let c = 0; c < C; c++) se += Math.exp(z[c] - m);
      const lse = m + Math.log(se);
      for (let c = 0; c < C; c++) {
        const t = T[i * C + c];
        if (t) f -= w * t * (z[c] - lse);
        z[c] = w * (Math.exp(z[c] - lse) - t);
      }
      if (!withGrad) continue;
      for (let q = 0; q < r; q++) {
        const v = Lf[oi + q];
        if (!v) continue;
        const oq = q * C;
        for (let c = 0; c < C; c++) g[oq + c] += v * z[c];
      }
      for (let c = 0; c < C; c++) g[r * C + c] += z[c];
    }
    let reg = 0;
    for (let q = 0; q < r * C; q++) {
      reg += p[q] * p[q];
      if (withGrad) g[q] += l2 * p[q];
    }
    return f + 0.5 * l2 * reg;
  };
  const x = lbfgs(objGrad, g, new Float64Array(P), {
    iters: Math.max(o.iterations ?? 300, 500),
    tol: o.tol ?? 1e-10,
    gtol: o.gtol ?? 1e-5,
    signal: o.signal,
  });
  // A = L·B with (LᵀL)·B = V (r × r Cholesky solve).
  const G = new Float64Array(r * r);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < r; a++) {
      const la = Lf[i * n + a];
      if (!la) continue;
      for (let b = 0; b <= a; b++) G[a * r + b] += la * Lf[i * n + b];
    }
  for (let a = 0; a < r; a++) {
    for (let b = 0; b <= a; b++) {
      let s = G[a * r + b];
      for (let q = 0; q < b; q++) s -= G[a * r + q] * G[b * r + q];
      G[a * r + b] = a === b ? Math.sqrt(Math.max(s, 1e-300)) : s / G[b * r + b];
    }
  }
  const Bm = new Float64Array(r * C);
  for (let c = 0; c < C; c++) {
    // forward (G lower) then backward (Gᵀ)
    for (let a = 0; a < r; a++) {
      let s = x[a * C + c];
      for (let q = 0; q < a; q++) s -= G[a * r + q] * Bm[q * C + c];
      Bm[a * C + c] = s / G[a * r + a];
    }
    for (let a = r - 1; a >= 0; a--) {
      let s = Bm[a * C + c];
      for (let q = a + 1; q < r; q++) s -= G[q * r + a] * Bm[q * C + c];
      Bm[a * C + c] = s / G[a * r + a];
    }
  }
  const W = new Float32Array(D * C);
  const Wd = new Float64Array(D * C);
  for (let i = 0; i < n; i++) {
    const ai = new Float64Array(C);
    for (let q = 0; q < r; q++) {
      const v = Lf[i * n + q];
      if (!v) continue;
      for (let c = 0; c < C; c++) ai[c] += v * Bm[q * C + c];
    }
    const ci = cols[i];
    const wi = o.rows[i].w;
    for (let j = 0; j < ci.length; j++) for (let c = 0; c < C; c++) Wd[ci[j] * C + c] += wi[j] * ai[c];
  }
  for (let q = 0; q < D * C; q++) W[q] = Wd[q];
  return { nClasses: C, ids, W, bias: Float32Array.from(x.subarray(r * C)) };
}

/**
 * Minimises a smooth convex f by L-BFGS (`m` = 10 correction pairs, two-loop recursion) with a backtracking Armijo
 * line search; `objGrad(p, true)` returns f(p) and writes ∇f(p) into `g`. Returns the minimiser (a new array).
 */
function lbfgs(
  objGrad: (p: Float64Array, withGrad: boolean) => number,
  g: Float64Array,
  x0: Float64Array,
  o: { iters: number; tol: number; gtol: number; signal?: AbortSignal; m?: number },
): Float64Array {
  const P = x0.length;
  const m = o.m ?? 10;
  let x = Float64Array.from(x0);
  let f = objGrad(x, true);
  let gx = Float64Array.from(g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(P);
  const alpha = new Float64Array(m);
  const xn = new Float64Array(P);
  const maxAbs = (v: Float64Array) => {
    let a = 0;
    for (let q = 0; q < P; q++) a = Math.max(a, Math.abs(v[q]));
    return a;
  };
  for (let it = 0; it < o.iters; it++) {
    if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    if (maxAbs(gx) <= o.gtol) break;
    // d = −H·g (two-loop recursion; H₀ = γI with γ = sᵀy / yᵀy of the newest pair).
    for (let q = 0; q < P; q++) d[q] = -gx[q];
    for (let j = S.length - 1; j >= 0; j--) {
      let a = 0;
      for (let q = 0; q < P; q++) a += S[j][q] * d[q];
      a *= rho[j];
      alpha[j] = a;
      for (let q = 0; q < P; q++) d[q] -= a * Y[j][q];
    }
    let gamma = 1;
    if (S.length) {
      const k = S.length - 1;
      let yy = 0;
      for (let q = 0; q < P; q++) yy += Y[k][q] * Y[k][q];
      gamma = 1 / (rho[k] * yy);
    } else {
      let gg = 0;
      for (let q = 0; q < P; q++) gg += gx[q] * gx[q];
      gamma = 1 / Math.max(1, Math.sqrt(gg));
    }
    for (let q = 0; q < P; q++) d[q] *= gamma;
    for (let j = 0; j < S.length; j++) {
      let b = 0;
      for (let q = 0; q < P; q++) b += Y[j][q] * d[q];
      b *= rho[j];
      for (let q = 0; q < P; q++) d[q] += S[j][q] * (alpha[j] - b);
    }
    let slope = 0;
    for (let q = 0; q < P; q++) slope += gx[q] * d[q];
    if (!(slope < 0)) {
      // Not a descent direction (lost curvature): restart from the gradient.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      continue;
    }
    let step = 1;
    let fn = Infinity;
    for (let ls = 0; ls < 30; ls++) {
      for (let q = 0; q < P; q++) xn[q] = x[q] + step * d[q];
      fn = objGrad(xn, true);
      if (fn <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fn <= f)) break; // no progress possible at this precision
    const s = new Float64Array(P);
    const yv = new Float64Array(P);
    let sy = 0;
    for (let q = 0; q < P; q++) {
      s[q] = xn[q] - x[q];
      yv[q] = g[q] - gx[q];
      sy += s[q] * yv[q];
    }
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    const fPrev = f;
    x = Float64Array.from(xn);
    gx = Float64Array.from(g);
    f = fn;
    if (Math.abs(fPrev - f) <= o.tol * Math.max(1, Math.abs(f))) break;
  }
  return x;
}

/** Logits (rows × C) of sparse rows under a fitted model (features the model has never seen count 0). */
/** The Gram matrix (n × n, row-major) of sparse rows: x_i·x_k. */
export function sparseGram(rows: readonly SparseRow[]): Float64Array {
  const n = rows.length;
  let B = 0;
  for (const r of rows) for (const id of r.ids) B = Math.max(B, id + 1);
  const dense = new Float64Array(B);
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = rows[i];
    for (let j = 0; j < ri.ids.length; j++) dense[ri.ids[j]] = ri.w[j];
    for (let k = 0; k <= i; k++) {
      const rk = rows[k];
      let s = 0;
      for (let j = 0; j < rk.ids.length; j++) s += rk.w[j] * dense[rk.ids[j]];
      K[i * n + k] = K[k * n + i] = s;
    }
    for (let j = 0; j < ri.ids.length; j++) dense[ri.ids[j]] = 0;
  }
  return K;
}

export function sparseLogRegLogits(model: SparseLogReg, rows: readonly SparseRow[]): Float32Array {
  const C = model.nClasses;
  const map = new Map<number, number>();
  model.ids.forEach((id, j) => map.set(id, j));
  const out = new Float32Array(rows.length * C);
  rows.forEach((r, i) => {
    for (let c = 0; c < C; c++) out[i * C + c] = model.bias[c];
    for (let j = 0; j < r.ids.length; j++) {
      const q = map.get(r.ids[j]);
      if (q === undefined) continue;
      for (let c = 0; c < C; c++) out[i * C + c] += r.w[j] * model.W[q * C + c];
    }
  });
  return out;
}
