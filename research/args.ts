/** Command-line options of the research scripts: `--name value` pairs after the script's positional arguments. */
export const args = process.argv.slice(2);

/** The value after `--name`, or `dflt` when the option is absent. */
export function opt(name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
}
