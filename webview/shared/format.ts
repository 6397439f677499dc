/**
 * Small pure formatting and DOM helpers shared by both webviews (no toolkit, no host access).
 */
import type { StageProgress } from '../../src/protocol/webview';

/** "12 s", "3 min 05 s", "2 h 10 min"; "" for unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** "97.3%" from 0.973; digits after the point configurable. */
export function formatPercent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** One line describing progress: "42% · 1 min 05 s left · loss 0.412 · message". */
export function describeProgress(p: StageProgress): string {
  const parts: string[] = [];
  if (p.fraction !== undefined) parts.push(`${Math.floor(p.fraction * 100)}%`);
  else if (p.total !== undefined) parts.push(`${p.done}/${p.total}`);
  else if (p.done > 0) parts.push(`${p.done}`);
  const eta = formatEta(p.etaSeconds);
  if (eta) parts.push(`${eta} left`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.message) parts.push(p.message);
  return parts.join(' · ');
}

/** Creates an element with a class and optional text (always via textContent: never parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Injects the page's CSS with the nonce of the page's own script (the CSP allows nonce'd styles only). */
export function injectStyle(css: string): void {
  const style = document.createElement('style');
  const nonce =
    document.querySelector('meta[property="csp-nonce"]')?.getAttribute('content') ?? (document.querySelector('script[nonce]') as HTMLScriptElement | null)?.nonce;
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  document.head.append(style);
}
