/**
 * The "SelfLabel" output channel: timestamped info / warning / error lines. The channel is created lazily by the
 * caller (extension.ts) and passed in, so modules that log stay free of `vscode` and can be tested under Node.
 */

/** Where log lines go (a vscode.OutputChannel satisfies it; tests pass an array-backed sink). */
export interface LogSink {
  appendLine(line: string): void;
  show?(preserveFocus?: boolean): void;
}

export class Log {
  constructor(private readonly sink: LogSink) {}

  /** Reveals the output channel. */
  show(): void {
    this.sink.show?.(true);
  }

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string, err?: unknown): void {
    const detail = err instanceof Error ? `${err.message}${err.stack ? `\n${err.stack}` : ''}` : err !== undefined ? String(err) : '';
    this.write('error', detail ? `${message}: ${detail}` : message);
  }

  private write(level: string, message: string): void {
    this.sink.appendLine(`${new Date().toISOString()} [${level}] ${message}`);
  }
}

/** The message of an unknown thrown value, for users. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}
