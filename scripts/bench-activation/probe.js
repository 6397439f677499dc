// The activation probe of scripts/bench-activation.mjs, run by VS Code as `extensionTestsPath` inside a fresh
// extension host. It reads probe.json from the opened folder ({ mode, extensions: [{ id, path? }], out, done? }) and writes its
// result to `out`. Two modes:
//  - `startup`: the extensions were activated by VS Code itself at start-up (activation event
//    `workspaceContains:.selflabel/classes.json`); the probe waits until they are active.
//  - `onDemand`: the one extension must not be active yet; the probe times `ext.activate()` (VS Code loads the
//    extension's main module and calls its activate()) and records whether activation loaded the engine or tfjs.
// In both it then reads VS Code's own activation times of each extension — codeLoadingTime, activateCallTime,
// activateResolvedTime, which the extension host measures around require(main) and activate() and reports to the
// workbench (IExtensionService.getExtensionsStatus(); "Developer: Show Running Extensions" shows
// codeLoadingTime + activateCallTime) — from the workbench's "Developer: Startup Performance" document
// (`perfview.show`, text model `perf:Startup Performance`, table "Extension Activation Stats").
// With `done` set, it waits for that file to appear before returning (the benchmark reads the Running Extensions
// editor in the meantime, before the workbench ends the test run).
// Plain CommonJS (.js: package.json has no "type") on purpose: nothing to compile, nothing else loaded before the measurement.
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** VS Code's activation times per extension id, read from the Startup Performance document. */
async function vscodeActivationTimes(ids, timeoutMs = 60_000) {
  await vscode.commands.executeCommand('perfview.show');
  const uri = vscode.Uri.from({ scheme: 'perf', path: 'Startup Performance' });
  const deadline = Date.now() + timeoutMs;
  let text = '';
  for (;;) {
    try {
      text = (await vscode.workspace.openTextDocument(uri)).getText();
    } catch (e) {
      text = `(cannot open ${uri}: ${e})`;
    }
    const rows = parseActivationStats(text);
    if (ids.every((id) => rows[id])) return rows;
    if (Date.now() > deadline)
      throw new Error(
        `VS Code's activation times of ${ids.join(', ')} did not appear in "${uri}" within ${timeoutMs} ms:\n${text.slice(0, 2000)}`,
      );
    await sleep(250);
  }
}

/** Rows of the markdown table "Extension Activation Stats": | Extension | Eager | Load Code | Call Activate | Finish Activate | Event | By | */
function parseActivationStats(text) {
  const out = {};
  const at = text.indexOf('## Extension Activation Stats');
  if (at < 0) return out;
  for (const line of text.slice(at).split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length < 7 || !/^-?\d+$/.test(cells[2])) continue;
    const [id, eager, load, call, resolved, event, by] = cells;
    out[id] = {
      startup: eager === 'true',
      codeLoadingTime: Number(load),
      activateCallTime: Number(call),
      activateResolvedTime: Number(resolved),
      activationEvent: event,
      by,
    };
  }
  return out;
}

exports.run = async function run() {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the probe needs a workspace folder holding probe.json');
  const probe = JSON.parse(fs.readFileSync(path.join(folder.uri.fsPath, 'probe.json'), 'utf8'));
  // Each wanted extension by its folder (a development extension) or by its id (an installed one).
  const exts = probe.extensions.map(({ id, path: dir }) => {
    const ext = dir
      ? vscode.extensions.all.find((e) => path.resolve(e.extensionPath) === path.resolve(dir))
      : vscode.extensions.getExtension(id);
    if (!ext)
      throw new Error(
        `no extension ${dir ? `loaded from ${dir}` : id} (non-built-in: ${vscode.extensions.all
          .filter((e) => !e.id.startsWith('vscode.'))
          .map((e) => `${e.id} ${e.extensionPath}`)
          .join(', ')})`,
      );
    return ext;
  });
  const result = { mode: probe.mode, extensions: {} };
  if (probe.mode === 'onDemand') {
    const [ext] = exts;
    if (ext.isActive) throw new Error(`${ext.id} was already active before the probe`);
    const t = performance.now();
    const api = await ext.activate();
    result.extensions[ext.id] = {
      wallMs: performance.now() - t,
      insideMs: typeof api?.activationMs === 'number' ? api.activationMs : null,
      engineLoaded: typeof api?.engineLoaded === 'function' ? api.engineLoaded() : null,
      tfjsLoaded: '_tfengine' in globalThis,
    };
  } else {
    const deadline = Date.now() + 60_000;
    while (!exts.every((e) => e.isActive)) {
      if (Date.now() > deadline)
        throw new Error(
          `not activated at start-up: ${exts
            .filter((e) => !e.isActive)
            .map((e) => e.id)
            .join(', ')}`,
        );
      await sleep(50);
    }
    for (const ext of exts) {
      const api = ext.exports;
      result.extensions[ext.id] = {
        insideMs: typeof api?.activationMs === 'number' ? api.activationMs : null,
        engineLoaded: typeof api?.engineLoaded === 'function' ? api.engineLoaded() : null,
        tfjsLoaded: '_tfengine' in globalThis,
      };
    }
  }
  const times = await vscodeActivationTimes(exts.map((e) => e.id));
  for (const ext of exts) result.extensions[ext.id].vscode = times[ext.id];
  fs.writeFileSync(probe.out, JSON.stringify(result));
  if (probe.done) {
    const deadline = Date.now() + 120_000;
    while (!fs.existsSync(probe.done) && Date.now() < deadline) await sleep(100);
  }
};
