/**
 * A small, strict command-line parser: `--flag value`, `--flag=value`, boolean `--flag`, positionals. Unknown flags
 * and missing values are errors with a one-line message (the CLI prints it and exits 2).
 */
export interface FlagSpec {
  type: 'string' | 'number' | 'boolean' | 'list';
  /** One line for --help. */
  help: string;
}

export interface ParsedArgs {
  flags: Record<string, string | number | boolean | string[] | undefined>;
  positionals: string[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '--') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`);
    if (s.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let v: string | undefined;
    if (eq >= 0) v = a.slice(eq + 1);
    else {
      v = argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
    }
    if (s.type === 'number') {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got "${v}"`);
      flags[name] = n;
    } else if (s.type === 'list') {
      const list = v
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0);
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), ...list];
    } else {
      flags[name] = v;
    }
  }
  return { flags, positionals };
}

export function helpFor(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec)
    .map(([k, s]) => `  --${k}${s.type === 'boolean' ? '' : ` <${s.type === 'list' ? 'a,b,…' : s.type}>`}`.padEnd(30) + s.help)
    .join('\n');
}
