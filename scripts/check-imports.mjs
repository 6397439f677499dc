// The import rules of src/, checked by `npm run lint` (also on its own: `node scripts/check-imports.mjs`):
//   1. no import cycle among the files of src/ (type-only imports count too: a cycle of types is still a cycle of
//      modules a reader must hold in mind at once);
//   2. the engine (src/core) imports nothing from the runtime around it: not src/worker, src/extension, src/cli,
//      src/bench, nor `vscode`;
//   3. the host side never loads tfjs: nothing reachable from src/core/project.ts (the engine the extension loads
//      lazily) or from src/extension/extension.ts (activation) imports @tensorflow/* at run time;
//   4. src/shared and src/protocol import no runtime code (types from the engine are fine);
//   5. webview/ imports only webview/, src/shared and src/protocol.
// A `require` of a template (`./${name}/modality.ts`, the modalities' registry) imports every file it can name (the
// template's parts as a glob, as esbuild bundles it). A modality's lazy reference to its worker face (a `require` or
// `import()` call of './worker' in src/core/modalities/<m>/modality.ts) is an import for rule 1, but not for rule 3:
// the build bundles it into dist/worker.js only (scripts/build.mjs, workerFacesInWorkerOnly).
// Prints each violation with the chain of imports, exits 1 if any.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (f) => path.relative(root, f).split(path.sep).join('/');

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveLocal(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return undefined;
}

/** The files a template `./a/${x}/b.ts` can name: each `${…}` one path segment. */
function globLocal(from, head, spans) {
  let dirs = [path.dirname(from)];
  const parts = [head, ...spans].join('\0').split('/');
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const re = new RegExp(
      `^${part
        .split('\0')
        .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+')}$`,
    );
    const next = [];
    for (const d of dirs) {
      if (part === '.' || part === '..') next.push(path.resolve(d, part));
      else if (!part.includes('\0')) next.push(path.join(d, part));
      else if (fs.existsSync(d))
        for (const e of fs.readdirSync(d, { withFileTypes: true }))
          if (re.test(e.name) && e.isDirectory() !== last) next.push(path.join(d, e.name));
    }
    dirs = next;
  }
  return dirs.filter((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

/** A modality's lazy reference to its worker face: a call `require('./worker')` in src/core/modalities/<m>/modality.ts. */
const isWorkerFaceReference = (from, target) =>
  /^src\/core\/modalities\/[^/]+\/modality\.ts$/.test(rel(from)) && target === path.join(path.dirname(from), 'worker.ts');

/** Imports of a file: { target (abs path or package name), typeOnly, lazyWorkerFace }. */
function importsOf(file) {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = [];
  const add = (spec, typeOnly, call = false) => {
    if (spec.startsWith('.')) {
      const t = resolveLocal(file, spec);
      if (t) out.push({ target: t, typeOnly, lazyWorkerFace: call && isWorkerFaceReference(file, t) });
    } else out.push({ target: spec, typeOnly });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly =
        !!c &&
        (c.isTypeOnly ||
          (!c.name &&
            c.namedBindings &&
            ts.isNamedImports(c.namedBindings) &&
            c.namedBindings.elements.length > 0 &&
            c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
        add(node.arguments[0].text, false, true);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isTemplateExpression(node.arguments[0])) {
      const t = node.arguments[0];
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
        if (t.head.text.startsWith('.'))
          for (const f of globLocal(
            file,
            t.head.text,
            t.templateSpans.map((x) => x.literal.text),
          ))
            out.push({ target: f, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const files = [
  ...walk(path.join(root, 'src')),
  ...(fs.existsSync(path.join(root, 'webview')) ? walk(path.join(root, 'webview')) : []),
].filter((f) => !/\/test\//.test(rel(f)));
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const problems = [];

// 1. cycles (Tarjan's strongly connected components over src/)
{
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const srcFiles = files.filter((f) => rel(f).startsWith('src/'));
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const { target: w } of graph.get(v) ?? []) {
      if (!graph.has(w) || !rel(w).startsWith('src/')) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      const self = (graph.get(v) ?? []).some((i) => i.target === v);
      if (comp.length > 1 || self) problems.push(`import cycle: ${comp.map(rel).sort().join(' ↔ ')}`);
    }
  };
  for (const f of srcFiles) if (!idx.has(f)) strong(f);
}

// 2, 4, 5. who may import whom
const layer = (f) => {
  const r = rel(f);
  const m = /^src\/([^/]+)\//.exec(r);
  return r.startsWith('webview/') ? 'webview' : m ? m[1] : r;
};
const rules = {
  core: { deny: ['worker', 'extension', 'cli', 'bench'], packages: ['vscode'] },
  shared: { deny: ['core', 'worker', 'extension', 'cli', 'bench', 'protocol'], packages: ['*'] },
  protocol: { deny: ['worker', 'extension', 'cli', 'bench'], runtimeDeny: ['core'], packages: ['vscode', '@tensorflow/'] },
  webview: { allow: ['webview', 'shared', 'protocol'], typesFrom: ['core'], packages: ['vscode', '@tensorflow/'] },
};
for (const [f, imps] of graph) {
  const l = layer(f);
  const rule = rules[l];
  if (!rule) continue;
  for (const { target, typeOnly } of imps) {
    if (path.isAbsolute(target)) {
      const tl = layer(target);
      const bad =
        (rule.deny && rule.deny.includes(tl)) ||
        (rule.runtimeDeny && !typeOnly && rule.runtimeDeny.includes(tl)) ||
        (rule.allow && !rule.allow.includes(tl) && !(typeOnly && rule.typesFrom?.includes(tl)));
      if (bad) problems.push(`${rel(f)} imports ${rel(target)}: src/${l} may not import from ${tl}`);
    } else if (!target.startsWith('node:') || l === 'webview' || l === 'shared') {
      const pk = rule.packages ?? [];
      if (!typeOnly && pk.some((p) => p === '*' || target === p || target.startsWith(p)))
        problems.push(`${rel(f)} imports the package ${target}: not allowed in src/${l}`);
    }
  }
}

// 3. no tfjs on the host side
for (const entry of ['src/core/project.ts', 'src/extension/extension.ts', 'src/extension/engine.ts']) {
  const start = path.join(root, entry);
  if (!graph.has(start)) continue;
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const f = queue.shift();
    for (const { target, typeOnly, lazyWorkerFace } of graph.get(f) ?? []) {
      if (typeOnly || lazyWorkerFace) continue;
      if (!path.isAbsolute(target)) {
        if (target.startsWith('@tensorflow/')) {
          const chain = [];
          for (let x = f; x; x = prev.get(x)) chain.unshift(rel(x));
          problems.push(`${entry} loads ${target} at run time: ${chain.join(' → ')} → ${target}`);
        }
        continue;
      }
      if (!prev.has(target) && graph.has(target)) {
        prev.set(target, f);
        queue.push(target);
      }
    }
  }
}

for (const p of problems) console.error(`✗ ${p}`);
console.log(
  problems.length
    ? `check-imports: ${problems.length} problem(s) in ${files.length} files`
    : `check-imports: ${files.length} files, no cycle, layers respected`,
);
process.exitCode = problems.length ? 1 : 0;
