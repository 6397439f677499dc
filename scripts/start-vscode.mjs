#!/usr/bin/env node
/**
 * Starts a real VS Code in the browser with SelfLabel loaded from source, on a sample workspace — the quickest way
 * to try the extension on this machine (no desktop VS Code needed, nothing from the internet):
 *
 *   node scripts/start-vscode.mjs                    # build, write 300 MNIST digits into sample/vscode-mnist, serve
 *   node scripts/start-vscode.mjs --size 1000        # more digits
 *   node scripts/start-vscode.mjs --texts            # the small spam/ham text workspace instead (sample/vscode-texts)
 *   node scripts/start-vscode.mjs --audio            # 36 one-second sound clips (tone / chirp / noise), sample/vscode-audio
 *   node scripts/start-vscode.mjs --workspace DIR    # any folder of your own
 *   options: --port N (default: a free one)  --no-build  --fresh (rewrite the sample workspace)
 *
 * Sets up code-server 4.100.3 and its Debian packages on first use (scripts/code-server/setup.mjs), builds the
 * extension (scripts/build.mjs → dist/), starts code-server on 127.0.0.1 only (no auth: it is reachable from this
 * machine alone) with scratch HOME/XDG/user-data folders, prints the URL to open, and keeps running until Ctrl-C,
 * which stops code-server and everything it started. Run `npm run build -- --watch` beside it and reload the
 * browser tab to pick up changes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer } from './code-server/setup.mjs';
import { launchCodeServer } from './code-server/launch.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (n) => argv.includes(`--${n}`);
const opt = (n) => {
  const i = argv.indexOf(`--${n}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) fail(`--${n} needs a value`);
  return v;
};

function fail(msg) {
  console.error(`start-vscode: ${msg}`);
  process.exit(1);
}

const known = new Set(['--size', '--texts', '--audio', '--workspace', '--port', '--no-build', '--fresh', '--help', '-h']);
for (let i = 0; i < argv.length; i++) {
  if (!known.has(argv[i])) fail(`unknown option ${argv[i]} (see the top of scripts/start-vscode.mjs)`);
  if (['--size', '--workspace', '--port'].includes(argv[i])) i++;
}
if (flag('help') || flag('h')) {
  console.log('usage: node scripts/start-vscode.mjs [--size N | --texts | --audio | --workspace DIR] [--port N] [--no-build] [--fresh]');
  process.exit(0);
}
const size = Number(opt('size') ?? 300);
if (!Number.isInteger(size) || size < 1 || size > 60000) fail('--size must be a whole number from 1 to 60000');
const port = opt('port') !== undefined ? Number(opt('port')) : undefined;
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) fail('--port must be a TCP port number');

/** The folder to open: the user's, or a sample written on first use. */
async function prepareWorkspace() {
  const given = opt('workspace');
  if (given) {
    const ws = path.resolve(given);
    if (!fs.existsSync(ws) || !fs.statSync(ws).isDirectory()) fail(`--workspace ${given}: no such folder`);
    return ws;
  }
  if (flag('texts')) {
    const ws = path.join(root, 'sample', 'vscode-texts');
    if (flag('fresh')) fs.rmSync(ws, { recursive: true, force: true });
    if (!fs.existsSync(ws)) fs.cpSync(path.join(root, 'test/fixtures/workspaces/texts'), ws, { recursive: true });
    return ws;
  }
  if (flag('audio')) {
    // Synthesised in JS by test/fixtures/audioSample.ts (no download); the truth CSV stays outside the workspace.
    const ws = path.join(root, 'sample', 'vscode-audio');
    if (flag('fresh')) fs.rmSync(ws, { recursive: true, force: true });
    if (!fs.existsSync(ws)) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/fixtures/audioSample.ts'), ws], {
        cwd: root,
        stdio: 'inherit',
      });
      if (r.status !== 0) fail('could not write the audio sample workspace (see above)');
    }
    return ws;
  }
  const ws = path.join(root, 'sample', `vscode-mnist-${size}`);
  if (flag('fresh')) fs.rmSync(ws, { recursive: true, force: true });
  if (!fs.existsSync(ws)) {
    const { writeMnistSample } = await import('./prepare-data.mjs');
    writeMnistSample(ws, { size, seed: 1, truthFile: `${ws}-truth.csv`, log: (m) => console.log(m) });
  }
  return ws;
}

const t0 = performance.now();
await ensureCodeServer({ browser: false, log: (m) => console.log(`[setup] ${m}`) });
if (!flag('no-build')) {
  console.log('▶ build');
  const b = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) fail('the build failed (see above)');
}
if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) fail('dist/extension.js is missing: the build did not produce the extension');
const workspace = await prepareWorkspace();
console.log(`▶ starting code-server on ${path.relative(process.cwd(), workspace) || workspace}`);
const cs = await launchCodeServer({ workspace, port });
const url = cs.workbenchUrl({ folder: workspace, extensionDevelopmentPath: root });
console.log(`\nSelfLabel in VS Code (code-server 4.100.3), ready in ${((performance.now() - t0) / 1000).toFixed(1)} s:\n\n  ${url}\n`);
console.log('Open it in a browser on this machine (SelfLabel is in the activity bar). Ctrl-C stops everything.');
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.prependOnceListener(sig, () => console.log('\nstopping code-server…'));
}
// Stay alive until a signal; launch.mjs stops the server and removes its scratch folders on the way out.
setInterval(() => {}, 1 << 30);
