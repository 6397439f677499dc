/**
 * The ONE place that knows about @vscode/webview-ui-toolkit. The toolkit is deprecated upstream, so the rest of the
 * webview code builds its controls only through the small factories below (button, badge, ring, divider, text
 * field); swapping the toolkit for plain elements or another library means rewriting this file alone.
 *
 * Every factory returns a plain HTMLElement; ids and `data-testid`s are set on the outer element so tests can find
 * it whatever renders inside.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDivider, vsCodeProgressRing, vsCodeTextField } from '@vscode/webview-ui-toolkit';

let registered = false;

/** Registers the toolkit's custom elements (idempotent). Call before building any control. */
export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDivider(), vsCodeProgressRing(), vsCodeTextField());
}

export interface ButtonOptions {
  label: string;
  id?: string;
  testId?: string;
  /** primary (default), secondary, or icon (icon only: give a `title`). */
  appearance?: 'primary' | 'secondary' | 'icon';
  /** A codicon name, e.g. "play". */
  icon?: string;
  title?: string;
  onClick: () => void;
}

function codicon(name: string): HTMLElement {
  const span = document.createElement('span');
  span.className = `codicon codicon-${name}`;
  span.setAttribute('aria-hidden', 'true');
  return span;
}

/** A button. Disable it with `setEnabled`. */
export function button(opts: ButtonOptions): HTMLElement {
  const el = document.createElement('vscode-button');
  el.setAttribute('appearance', opts.appearance ?? 'primary');
  if (opts.id) el.id = opts.id;
  if (opts.testId) el.dataset.testid = opts.testId;
  if (opts.title) {
    el.title = opts.title;
    el.setAttribute('aria-label', opts.title);
  }
  if (opts.icon) {
    const icon = codicon(opts.icon);
    if (opts.appearance !== 'icon') icon.slot = 'start';
    el.append(icon);
  }
  if (opts.appearance !== 'icon') el.append(document.createTextNode(opts.label));
  else if (!opts.title) el.setAttribute('aria-label', opts.label);
  el.addEventListener('click', () => {
    if (!el.hasAttribute('disabled')) opts.onClick();
  });
  return el;
}

/** Enables or disables a control made here. */
export function setEnabled(el: HTMLElement, enabled: boolean): void {
  if (enabled) el.removeAttribute('disabled');
  else el.setAttribute('disabled', '');
}

/** Changes a button's text (keeps its icon). */
export function setButtonLabel(el: HTMLElement, label: string): void {
  const last = el.lastChild;
  if (last && last.nodeType === Node.TEXT_NODE) last.textContent = label;
}

/**
 * A small badge. Not the toolkit's <vscode-badge>: its template carries a `style="…"` attribute, which our strict
 * CSP (no 'unsafe-inline') reports as a violation; a span with the theme's badge colours looks the same.
 */
export function badge(text: string, testId?: string): HTMLElement {
  const el = document.createElement('span');
  el.className = 'sl-badge';
  el.textContent = text;
  if (testId) el.dataset.testid = testId;
  return el;
}

/** An indeterminate progress ring. */
export function ring(): HTMLElement {
  const el = document.createElement('vscode-progress-ring');
  el.className = 'sl-ring';
  return el;
}

export function divider(): HTMLElement {
  const el = document.createElement('vscode-divider');
  el.setAttribute('role', 'separator');
  return el;
}

/** A single-line text field; `onInput` receives its value on every change. */
export function textField(opts: {
  id?: string;
  testId?: string;
  placeholder?: string;
  value?: string;
  onInput: (v: string) => void;
}): HTMLElement & { value: string } {
  const el = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  if (opts.id) el.id = opts.id;
  if (opts.testId) el.dataset.testid = opts.testId;
  if (opts.placeholder) el.setAttribute('placeholder', opts.placeholder);
  if (opts.value !== undefined) el.setAttribute('value', opts.value);
  el.addEventListener('input', () => opts.onInput(el.value));
  return el;
}

/** A codicon as an element (the codicon font is loaded by the page). */
export function icon(name: string): HTMLElement {
  return codicon(name);
}
