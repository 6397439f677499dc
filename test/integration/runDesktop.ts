/**
 * Runs the integration suite in desktop VS Code through @vscode/test-electron, for developers with internet access
 * (it downloads VS Code; on the offline CI machines use `node scripts/vscode-test.mjs`, which runs the same suite in
 * code-server). Compile the suite first (`node scripts/vscode-test.mjs --only integration` does, into
 * out/integration), then:
 *
 *   node --import tsx test/integration/runDesktop.ts [suite…]      # default: every test/integration/suites/<name>
 *
 * Each suite runs on a scratch copy of test/fixtures/workspaces/<name>, like in code-server.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

const root = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const compiled = path.join(root, 'out', 'integration', 'index.js');
  if (!fs.existsSync(compiled))
    throw new Error('out/integration/index.js is missing: run `node scripts/vscode-test.mjs --only integration` once to compile the suite');
  const suitesDir = path.join(root, 'test', 'integration', 'suites');
  // `packaged` (installs the .vsix) and `untrusted` (needs workspace trust enabled) need scripts/vscode-test.mjs.
  const names = process.argv.slice(2).length
    ? process.argv.slice(2)
    : fs
        .readdirSync(suitesDir)
        .filter((n) => n !== 'packaged' && n !== 'untrusted')
        .sort();
  let failed = 0;
  for (const name of names) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'selflabel-desktop-'));
    const ws = path.join(scratch, name);
    fs.cpSync(path.join(root, 'test', 'fixtures', 'workspaces', name), ws, { recursive: true });
    try {
      await runTests({
        version: '1.100.3',
        extensionDevelopmentPath: root,
        extensionTestsPath: path.join(root, 'out', 'integration', 'index'),
        launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
      });
    } catch (e) {
      failed += 1;
      console.error(`suite ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

void main();
