// Bundles every door with esbuild: extension host, training worker, CLI (Node, CommonJS) and the webviews
// (browser, IIFE). Copies the tfjs wasm binaries beside the Node bundles. `--watch` rebuilds on change,
// `--production` minifies. Entry points that do not exist yet are skipped.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const dist = path.join(root, 'dist');

const node = [
  { in: 'src/extension/extension.ts', out: 'extension' },
  { in: 'src/worker/trainWorker.ts', out: 'worker' },
  { in: 'src/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node' },
];
const web = [
  { in: 'webview/sidePanel/main.ts', out: 'webview/sidePanel' },
  { in: 'webview/review/main.ts', out: 'webview/review' },
];
const exists = (e) => fs.existsSync(path.join(root, e.in));

/** @type {esbuild.BuildOptions} */
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root };

const contexts = [];
for (const e of node.filter(exists)) {
  contexts.push(await esbuild.context({
    ...common,
    entryPoints: { [e.out]: e.in },
    outdir: dist,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', '@tensorflow/tfjs-node'],
    banner: e.banner ? { js: e.banner } : undefined,
  }));
}
const webEntries = web.filter(exists);
if (webEntries.length > 0) {
  contexts.push(await esbuild.context({
    ...common,
    entryPoints: Object.fromEntries(webEntries.map((e) => [e.out, e.in])),
    outdir: dist,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'text' },
  }));
}

function copyWasm() {
  const src = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  fs.mkdirSync(dist, { recursive: true });
  for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.wasm'))) {
    fs.copyFileSync(path.join(src, f), path.join(dist, f));
  }
}

copyWasm();
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[build] watching');
} else {
  for (const c of contexts) {
    await c.rebuild();
    await c.dispose();
  }
  const cli = path.join(dist, 'cli.js');
  if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
  console.log(`[build] ${contexts.length} bundle group(s) → dist/`);
}
