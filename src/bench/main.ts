/**
 * `selflabel bench` entry: parses the arguments, runs the benchmark, prints the markdown report on stdout (progress
 * on stderr) and writes `--json FILE`; with `--check FILE` it runs nothing and checks the targets on a saved result
 * (the targets table on stdout, the result with those targets to `--json`). Exit codes as the CLI's: 0 done (targets
 * are reported, not enforced), 1 error (one clear line), 2 usage error, 130 cancelled with Ctrl-C.
 * The CLI dispatches `selflabel bench …` here; it can also run on its own: `node --import tsx src/bench/main.ts …`.
 */
import * as fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { checkResultFile } from './check';
import { benchHelp, type BenchCheckOptions, BenchUsageError, parseBenchCommand } from './options';
import { formatMarkdown, formatTargets } from './report';
import { runBench } from './run';

export async function benchMain(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseBenchCommand(argv);
  } catch (e) {
    if (e instanceof BenchUsageError) {
      process.stderr.write(`selflabel bench: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (!opts) {
    process.stdout.write(benchHelp() + '\n');
    return 0;
  }
  if ('check' in opts) return checkSaved(opts);
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ncancelling the bench…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    if (opts.json) {
      // Find out now, not after an hour of training, that the result cannot be written.
      const dir = path.dirname(path.resolve(opts.json));
      try {
        await fs.mkdir(dir, { recursive: true });
        await fs.access(dir, fsConstants.W_OK);
      } catch (e) {
        throw new Error(`cannot write the JSON result to ${opts.json}: ${(e as Error).message}`);
      }
    }
    const quiet = opts.quiet;
    const result = await runBench(opts, { signal: controller.signal, log: quiet ? undefined : (s) => process.stderr.write(s + '\n') });
    process.stdout.write(formatMarkdown(result));
    if (opts.json) await fs.writeFile(opts.json, JSON.stringify(result, null, 2) + '\n');
    return 0;
  } catch (e) {
    if (controller.signal.aborted || (e instanceof Error && e.name === 'AbortError')) {
      process.stderr.write('selflabel bench: cancelled\n');
      return 130;
    }
    process.stderr.write(`selflabel bench: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.SELFLABEL_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** --check: the targets table as a run's report prints it, and the checked result written to --json. */
async function checkSaved(opts: BenchCheckOptions): Promise<number> {
  try {
    const result = await checkResultFile(opts.check, opts.targets);
    process.stdout.write(formatTargets(result.targets) + '\n');
    if (opts.json) {
      try {
        await fs.mkdir(path.dirname(path.resolve(opts.json)), { recursive: true });
        await fs.writeFile(opts.json, JSON.stringify(result, null, 2) + '\n');
      } catch (e) {
        throw new Error(`cannot write the JSON result to ${opts.json}: ${(e as Error).message}`);
      }
    }
    return 0;
  } catch (e) {
    process.stderr.write(`selflabel bench: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

export { runBench } from './run';
export { parseBenchArgs, benchHelp } from './options';
export { formatMarkdown } from './report';
export type { BenchOptions, Target } from './options';
export type { BenchResult } from './result';

// Run directly (node --import tsx src/bench/main.ts …), but not when bundled into the CLI.
if (require.main === module && /[\\/]bench[\\/]main\.ts$/.test(process.argv[1] ?? '')) {
  benchMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`selflabel bench: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
