/**
 * Reads the `selflabel.*` VS Code settings and turns the ones the user actually set into engine config overrides
 * (settings left at their default do not override `.selflabel/config.json`).
 */
import * as vscode from 'vscode';
import type { ProjectConfig } from '../core/config';

/** VS Code setting key → engine config key. */
const SETTING_TO_CONFIG: readonly [string, keyof ProjectConfig][] = [
  ['include', 'include'],
  ['exclude', 'exclude'],
  ['textField', 'textField'],
  ['confidenceThreshold', 'threshold'],
  ['workers', 'workers'],
  ['backend', 'backend'],
  ['pretrainEpochs', 'pretrainEpochs'],
  ['pretrainMaxSeconds', 'pretrainMaxSeconds'],
  ['finetune', 'finetune'],
  ['finetuneEpochs', 'finetuneEpochs'],
];

/** True if a settings change touches a setting the engine reads (UI-only settings must not reopen the project). */
export function affectsEngine(e: { affectsConfiguration(section: string): boolean }): boolean {
  return SETTING_TO_CONFIG.some(([key]) => e.affectsConfiguration(`selflabel.${key}`));
}

/** Engine overrides from the settings the user set (folder > workspace > user). */
export function configOverrides(scope?: vscode.Uri): Partial<ProjectConfig> {
  const cfg = vscode.workspace.getConfiguration('selflabel', scope);
  const out: Record<string, unknown> = {};
  for (const [key, configKey] of SETTING_TO_CONFIG) {
    const i = cfg.inspect(key);
    const v = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    if (v !== undefined) out[configKey] = v;
  }
  return out as Partial<ProjectConfig>;
}

/** How many items "Label next uncertain" shows at once. */
export function labelBatchSize(scope?: vscode.Uri): number {
  const n = vscode.workspace.getConfiguration('selflabel', scope).get<number>('labelBatchSize', 60);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 2000) : 60;
}

/** The confidence threshold the review slider starts at. */
export function confidenceThreshold(scope?: vscode.Uri): number {
  const v = vscode.workspace.getConfiguration('selflabel', scope).get<number>('confidenceThreshold', 0.9);
  return typeof v === 'number' && v >= 0 && v <= 1 ? v : 0.9;
}

/** Whether Accept / Reject in the editor opens the next open proposal (`selflabel.advanceAfterReview`). */
export function advanceAfterReview(scope?: vscode.Uri): boolean {
  return vscode.workspace.getConfiguration('selflabel', scope).get<boolean>('advanceAfterReview', true) !== false;
}

/** Whether the review grid plays the next audio clip after a label (`selflabel.autoPlayAudio`, off by default). */
export function autoPlayAudio(scope?: vscode.Uri): boolean {
  return vscode.workspace.getConfiguration('selflabel', scope).get<boolean>('autoPlayAudio', false) === true;
}
