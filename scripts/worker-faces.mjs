// A modality's registration (src/core/modalities/<m>/modality.ts) refers to its worker face lazily,
// `require('./worker')` inside its `worker()`: only dist/worker.js bundles it. In the other bundles (scripts/build.mjs,
// and the bundles the tests build) this esbuild plugin makes it a module that throws, so the host never carries nor
// loads tfjs (scripts/check-imports.mjs checks the sources the same way).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODALITIES_DIR = path.join(root, 'src/core/modalities');

export const workerFacesInWorkerOnly = {
  name: 'worker-faces-in-worker-only',
  setup(build) {
    build.onResolve({ filter: /^\.\/worker$/ }, (args) => {
      if (args.kind === 'import-statement' || path.dirname(args.resolveDir) !== MODALITIES_DIR) return undefined;
      if (path.basename(args.importer) !== 'modality.ts') return undefined;
      return { path: path.relative(root, path.join(args.resolveDir, 'worker.ts')), namespace: 'worker-face' };
    });
    build.onLoad({ filter: /.*/, namespace: 'worker-face' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is a worker face: it loads only in the training worker (dist/worker.js)`)});`,
      loader: 'js',
    }));
  },
};
