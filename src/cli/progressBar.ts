/**
 * Progress output for the terminal: a redrawn bar with percentage, ETA and loss on a TTY; on a pipe or in CI, a
 * plain line at most every few seconds (so logs stay readable). Always on stderr, so stdout carries only results.
 */
import type { Progress } from '../core/types';
import { formatCount } from '../shared/format';

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class ProgressBar {
  private last = 0;
  private drawn = false;
  private readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI;
  }

  update = (p: Progress): void => {
    if (this.quiet) return;
    const now = Date.now();
    const interval = this.tty ? 100 : 3000;
    const finished = p.total !== undefined && p.done >= p.total;
    if (!finished && now - this.last < interval) return;
    this.last = now;
    const pct = p.total ? Math.min(100, (100 * p.done) / p.total) : undefined;
    const parts = [`${p.stage}`];
    if (pct !== undefined) {
      const width = 24;
      const fill = Math.round((pct / 100) * width);
      parts.push(this.tty ? `[${'█'.repeat(fill)}${'░'.repeat(width - fill)}] ${pct.toFixed(0).padStart(3)}%` : `${pct.toFixed(0)}%`);
      parts.push(formatCount(p.done, p.total));
    } else {
      parts.push(formatCount(p.done));
    }
    if (p.etaSeconds !== undefined) parts.push(`ETA ${formatSeconds(p.etaSeconds)}`);
    if (p.loss !== undefined && Number.isFinite(p.loss)) parts.push(`loss ${p.loss.toFixed(4)}`);
    if (p.message) parts.push(p.message);
    const line = parts.join('  ');
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.stream.write(line + '\n');
    }
  };

  /** Ends the bar's line (call before printing anything else). */
  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
