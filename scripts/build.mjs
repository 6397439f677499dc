// Bundles every door with esbuild: extension host, engine, training worker, CLI (Node, CommonJS) and the webviews
// (browser, IIFE). Copies the tfjs wasm binaries beside the Node bundles. `--watch` rebuilds on change,
// `--production` minifies. Entry points that do not exist yet are skipped.
//
// The extension is split in two so that activation stays small: dist/extension.js holds only what activation
// needs (commands, views, webview hosts), and the engine (src/extension/engine.ts: src/core/project, everything it pulls in, and the worker pool) is
// dist/engine.js, which dist/extension.js `require`s on the first command that needs it. The split is made here,
// not in the source: the extension's `import('../core/project')` (src/extension/session.ts) is marked external and
// rewritten to `./engine.js`, so the same source still runs unbundled under tsx (unit tests). The CLI and the worker
// stay self-contained bundles. `--metafile` writes dist/meta-<name>.json for size analysis.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cssWithImports } from './css-imports.mjs';
import { workerFacesInWorkerOnly } from './worker-faces.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const metafile = process.argv.includes('--metafile');
const dist = path.join(root, 'dist');

/** The engine's module as the extension imports it, and the bundle it becomes. */
const ENGINE_SOURCE = path.join(root, 'src/extension/engine.ts');
const ENGINE_BUNDLE = './engine.js';

/** Makes the extension load the engine from dist/engine.js at run time instead of bundling it. */
const engineAsSeparateBundle = {
  name: 'engine-as-separate-bundle',
  setup(build) {
    build.onResolve({ filter: /\/engine$/ }, (args) => {
      if (path.resolve(args.resolveDir, `${args.path}.ts`) !== ENGINE_SOURCE) return undefined;
      return { path: ENGINE_BUNDLE, external: true };
    });
  },
};

const node = [
  { in: 'src/extension/extension.ts', out: 'extension', plugins: [engineAsSeparateBundle, workerFacesInWorkerOnly] },
  { in: 'src/extension/engine.ts', out: 'engine', plugins: [workerFacesInWorkerOnly] },
  { in: 'src/worker/trainWorker.ts', out: 'worker' },
  { in: 'src/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node', plugins: [workerFacesInWorkerOnly] },
];
const web = [
  { in: 'webview/sidePanel/main.ts', out: 'webview/sidePanel' },
  { in: 'webview/review/main.ts', out: 'webview/review' },
  { in: 'webview/map/main.ts', out: 'webview/map' },
];
const exists = (e) => fs.existsSync(path.join(root, e.in));

/** The webviews' CSS is bundled as text (injected with a nonce), its `@import` lines inlined (scripts/css-imports.mjs). */
const cssImportsInlined = {
  name: 'css-imports-inlined',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, (args) => {
      const deps = new Set();
      const contents = cssWithImports(args.path, deps);
      return { contents, loader: 'text', watchFiles: [...deps] };
    });
  },
};

/** @type {esbuild.BuildOptions} */
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root, metafile };

const contexts = [];
for (const e of node.filter(exists)) {
  contexts.push({
    name: e.out,
    ctx: await esbuild.context({
      ...common,
      entryPoints: { [e.out]: e.in },
      outdir: dist,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode', '@tensorflow/tfjs-node'],
      banner: e.banner ? { js: e.banner } : undefined,
      plugins: e.plugins ?? [],
      // Dynamic import() of an external module becomes require(): dist/engine.js is CommonJS, and require keeps
      // it in the extension host's module cache like any other module.
      supported: { 'dynamic-import': false },
    }),
  });
}
const webEntries = web.filter(exists);
if (webEntries.length > 0) {
  contexts.push({
    name: 'webviews',
    ctx: await esbuild.context({
      ...common,
      entryPoints: Object.fromEntries(webEntries.map((e) => [e.out, e.in])),
      outdir: dist,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      loader: { '.css': 'text' },
      plugins: [cssImportsInlined],
    }),
  });
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
  await Promise.all(contexts.map((c) => c.ctx.watch()));
  console.log('[build] watching');
} else {
  for (const c of contexts) {
    const r = await c.ctx.rebuild();
    if (metafile && r.metafile) fs.writeFileSync(path.join(dist, `meta-${c.name.replace(/\W/g, '-')}.json`), JSON.stringify(r.metafile));
    await c.ctx.dispose();
  }
  const cli = path.join(dist, 'cli.js');
  if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
  console.log(`[build] ${contexts.length} bundle(s) → dist/`);
}
