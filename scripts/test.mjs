// The one test command (`npm test`, also what .ci/run runs): build, typecheck, lint, the engine's unit tests
// (node:test, real files in temp folders), then the integration and end-to-end suites in a real VS Code
// (code-server + Chromium, installed by scripts/code-server/setup.mjs when missing). Prints one closing line
// `N passed, N failed` for everything and exits non-zero if anything failed.
//   --unit-only    skip the VS Code suites      --no-lint    skip typecheck and lint
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
let passed = 0;
let failed = 0;

function run(cmd, argv, { parse } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let buf = '';
    const onData = (stream) => (d) => {
      stream.write(d);
      buf += d.toString();
      if (buf.length > 1e6) buf = buf.slice(-5e5);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out: parse ? buf : '' }));
  });
}

function step(name) {
  console.log(`\n━━ ${name} ━━`);
}

async function main() {
  step('build');
  if ((await run('node', ['scripts/build.mjs'])).code !== 0) return fail('build failed');

  if (!args.has('--no-lint')) {
    step('typecheck');
    if ((await run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'])).code !== 0) return fail('typecheck failed');
    if (fs.existsSync(path.join(root, 'webview/tsconfig.json'))) {
      if ((await run('npx', ['tsc', '-p', 'webview/tsconfig.json'])).code !== 0) return fail('webview typecheck failed');
    }
    step('lint');
    if ((await run('npm', ['run', '--silent', 'lint'])).code !== 0) return fail('lint failed');
  }

  step('unit tests (node:test)');
  // Engine tests live in test/unit; tests of the extension's pure logic live beside it in src/extension/test.
  const files = ['test/unit', 'src/extension/test']
    .filter((d) => fs.existsSync(path.join(root, d)))
    .flatMap((d) =>
      fs
        .readdirSync(path.join(root, d))
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => `${d}/${f}`),
    );
  const unit = await run('node', ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files], { parse: true });
  const p = /(?:^|\n)\s*(?:ℹ|#)\s*pass (\d+)/.exec(unit.out);
  const f = /(?:^|\n)\s*(?:ℹ|#)\s*fail (\d+)/.exec(unit.out);
  passed += p ? Number(p[1]) : 0;
  failed += f ? Number(f[1]) : unit.code === 0 ? 0 : 1;
  if (unit.code !== 0 && !(f && Number(f[1]) > 0)) failed += 1;

  if (!args.has('--unit-only') && fs.existsSync(path.join(root, 'scripts/vscode-test.mjs'))) {
    step('integration + end-to-end tests in a real VS Code (code-server + Chromium)');
    const vs = await run('node', ['scripts/vscode-test.mjs', '--no-build'], { parse: true });
    const m = [...vs.out.matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
    if (m) {
      passed += Number(m[1]);
      failed += Number(m[2]);
    }
    if (vs.code !== 0 && !(m && Number(m[2]) > 0)) failed += 1;
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

function fail(msg) {
  console.error(`\n${msg}`);
  console.log(`\n${passed} passed, ${failed + 1} failed`);
  process.exitCode = 1;
}

await main();
