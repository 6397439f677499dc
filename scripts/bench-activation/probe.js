// The activation probe of scripts/bench-activation.mjs, run by VS Code as `extensionTestsPath` inside a fresh
// extension host. It reads probe.json from the opened folder ({ extensionPath, out }), finds the development
// extension loaded from extensionPath, checks it is not active yet, times `ext.activate()` (VS Code loads the
// extension's main module and calls its activate()), and writes { ms, insideMs, engineLoaded, tfjsLoaded } to `out`.
// Plain CommonJS (.js: package.json has no "type") on purpose: nothing to compile, nothing else loaded before the measurement.
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');

exports.run = async function run() {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the probe needs a workspace folder holding probe.json');
  const probe = JSON.parse(fs.readFileSync(path.join(folder.uri.fsPath, 'probe.json'), 'utf8'));
  const ext = vscode.extensions.all.find((e) => path.resolve(e.extensionPath) === path.resolve(probe.extensionPath));
  if (!ext) throw new Error(`no extension loaded from ${probe.extensionPath}`);
  if (ext.isActive) throw new Error(`${ext.id} was already active before the probe`);
  const t = performance.now();
  const api = await ext.activate();
  const ms = performance.now() - t;
  const result = {
    id: ext.id,
    ms,
    insideMs: typeof api?.activationMs === 'number' ? api.activationMs : null,
    engineLoaded: typeof api?.engineLoaded === 'function' ? api.engineLoaded() : null,
    tfjsLoaded: '_tfengine' in globalThis,
  };
  fs.writeFileSync(probe.out, JSON.stringify(result));
};
