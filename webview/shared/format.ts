/**
 * Small pure formatting and DOM helpers shared by both webviews (no toolkit, no host access). The number and word
 * formatters themselves live in src/shared/format.ts (one copy for host, webviews and CLI) and are re-exported here.
 */
import type { StageProgress } from '../../src/protocol/webview';
import { formatCount, formatEta } from '../../src/shared/format';

export { formatConfidence, formatDuration, formatEta, formatPercent, formatPrecision, noun, plural } from '../../src/shared/format';

/** One line describing progress: "42% · 1 min 05 s left · loss 0.412 · message". */
export function describeProgress(p: StageProgress): string {
  const parts: string[] = [];
  if (p.fraction !== undefined) parts.push(`${Math.floor(p.fraction * 100)}%`);
  else if (p.total !== undefined) parts.push(formatCount(p.done, p.total));
  else if (p.done > 0) parts.push(formatCount(p.done));
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
    document.querySelector('meta[property="csp-nonce"]')?.getAttribute('content') ??
    (document.querySelector('script[nonce]') as HTMLScriptElement | null)?.nonce;
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  document.head.append(style);
}
