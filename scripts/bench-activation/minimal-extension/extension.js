// The activation baseline (scripts/bench-activation.mjs): the least any extension does — it loads the `vscode` API
// (VS Code builds that object per extension on its first require) and registers one command.
const vscode = require('vscode');

exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('selflabelBench.noop', () => undefined));
  return { activationMs: 0 };
};
exports.deactivate = () => undefined;
