/**
 * End-to-end: an untrusted workspace becomes trusted during the session. code-server runs with workspace trust
 * enabled (`Session.start(..., { workspaceTrust: true })`), on a copy of the `untrusted` fixture (classes spam/ham,
 * one label on hello.txt; without its .vscode/settings.json, whose restricted settings would make the scan find
 * nothing once trusted). In Restricted Mode SelfLabel shows what .selflabel holds and refuses to label; the user
 * clicks the refusal's (of a scan) "Manage Workspace Trust" button and "Trust" in VS Code's Workspace Trust editor; then — in
 * the same window and the same extension host, no reload — scanning and labelling work and the label is on disk.
 * Last, a reload: the trust is remembered and the side panel (already open) stays open (Session.openSidePanel must
 * not toggle it closed).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { ROOT, Session, waitFor, dependentSteps } from './harness';
import { findExtensionHost, isExtensionHost, processTree } from './hostKill';

const FIXTURE = path.join(ROOT, 'test/fixtures/workspaces/untrusted');

describe('workspace trust granted during the session', function () {
  this.timeout(300_000);
  let s: Session;
  let hostPid: number | undefined;

  before(async function () {
    this.timeout(240_000);
    s = await Session.start(
      'trust',
      (dir) => {
        fs.cpSync(FIXTURE, dir, { recursive: true });
        fs.rmSync(path.join(dir, '.vscode'), { recursive: true, force: true });
      },
      {},
      { workspaceTrust: true },
    );
  });

  dependentSteps('trust', () => s);

  const csPid = () => (s.cs as unknown as { pid: number }).pid;
  const counts = async (f: Frame) => (await f.locator('[data-testid="counts"]').innerText()).replace(/\s+/g, ' ').trim();

  it('opens in Restricted Mode: the side panel shows the stored label and offers to manage trust', async () => {
    const f = await s.openSidePanel();
    await f.locator('[data-testid="manage-trust"]').waitFor({ state: 'visible', timeout: 60_000 });
    // The class list counts the journal's label (ham: hello.txt); nothing is scanned, so no items yet.
    await waitFor(
      'the class counts',
      async () =>
        /\b1\s*$/.test(
          (
            await f
              .locator('[data-testid="class-ham"]')
              .innerText()
              .catch(() => '')
          ).trim(),
        ),
      30_000,
    );
    assert.match(await counts(f), /^0 items/);
    hostPid = await waitFor('the extension host process', () => findExtensionHost(csPid()), 30_000);
    // A mark on the page: a reload would drop it.
    await s.page.evaluate(() => ((globalThis as { __selflabelNoReload?: boolean }).__selflabelNoReload = true));
  });

  it('scanning is refused with a message and a Manage Workspace Trust button; nothing is written', async () => {
    const before = fs.readdirSync(s.file('.selflabel')).map((f) => [f, fs.readFileSync(s.file(`.selflabel/${f}`), 'utf8')]);
    await s.command('SelfLabel: Scan Workspace');
    const msg = await s.notification(/not trusted/);
    assert.match(msg, /scanning is disabled because this workspace is not trusted/);
    assert.deepEqual(
      fs.readdirSync(s.file('.selflabel')).map((f) => [f, fs.readFileSync(s.file(`.selflabel/${f}`), 'utf8')]),
      before,
    );
  });

  it('the notification\'s button opens the Workspace Trust editor, and "Trust" trusts the folder', async () => {
    const toast = s.page.locator('.notifications-toasts .notification-toast', { hasText: /not trusted/ }).first();
    await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first().click();
    // The "Trust" button (not "Trust Parent"): its accessible name is "Trust, Keyboard Shortcut: Ctrl+Enter".
    const trust = s.page
      .locator('.workspace-trust-editor')
      .getByRole('button', { name: /^Trust(,|$)/ })
      .first();
    await trust.waitFor({ state: 'visible', timeout: 30_000 });
    await trust.click();
    // The editor says so once the folder is trusted.
    await s.page
      .locator('.workspace-trust-editor .workspace-trust-description', { hasText: 'trust has been granted' })
      .first()
      .waitFor({ timeout: 30_000 });
  });

  it('without a reload, the side panel unlocks: no trust button, the next step is offered', async () => {
    const f = await s.openSidePanel();
    await waitFor(
      'the side panel to drop "Manage Workspace Trust"',
      async () =>
        !(await f
          .locator('[data-testid="manage-trust"]')
          .isVisible()
          .catch(() => false)),
      30_000,
    );
    assert.equal(
      await s.page.evaluate(() => (globalThis as { __selflabelNoReload?: boolean }).__selflabelNoReload),
      true,
      'the page was not reloaded',
    );
    // The extension host found at the start is still running. The old check compared it with "the newest
    // extension-host process under code-server", which once (1 of 5 runs, load ~27) named another pid while the UI
    // was in the right state; the artifacts did not show a second host being launched. If the host had really been
    // restarted, this check still fails, and the message lists the processes.
    assert.ok(
      hostPid !== undefined && isExtensionHost(hostPid),
      `the same extension host (${hostPid}) is still running:\n${processTree(csPid())}`,
    );
  });

  it('scan and label now work, and the label lands in .selflabel/labels.jsonl', async () => {
    await s.clearNotifications();
    const summary = await s.runStage('scan', () => s.command('SelfLabel: Scan Workspace'));
    assert.match(summary, /\b2\b/, `the scan found hello.txt and offer.txt: ${summary}`);
    const before = s.journal().length;
    await s.openFile('offer.txt');
    await s.command('SelfLabel: Change Label…');
    await s.answerInput('spam');
    const events = await s.waitForJournal('the label of offer.txt', (j) => j.length === before + 1, 30_000);
    assert.deepEqual([events.at(-1)?.item, events.at(-1)?.label, events.at(-1)?.source], ['offer.txt', 'spam', 'human']);
    assert.equal(s.labels().get('offer.txt')?.label, 'spam');
    const f = await s.openSidePanel();
    await waitFor('the side panel to count 2 items, 2 labelled', async () => /^2 items · 2 labelled/.test(await counts(f)), 30_000);
    assert.ok(
      hostPid !== undefined && isExtensionHost(hostPid),
      `still the same extension host (${hostPid}): no reload was needed\n${processTree(csPid())}`,
    );
  });

  it('after a reload the folder is still trusted, and the side panel that was open stays open', async () => {
    await s.page.reload({ waitUntil: 'domcontentloaded', timeout: 120_000 });
    await s.page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await waitFor(
      'a new extension host',
      () => {
        const pid = findExtensionHost(csPid());
        return pid !== undefined && pid !== hostPid ? pid : undefined;
      },
      60_000,
    );
    // Twice: showing an open panel again must not close it. After the reload the side view's webview can take more
    // than 30 s to come back on a loaded machine (2 of 5 runs at load ~30): wait on it, up to 120 s, not on a clock.
    await s.openSidePanel(120_000);
    await s.openSidePanel(120_000);
    // Wait on the whole state at once, never on time, and find the panel afresh on every look. The old test waited for
    // the counts and then read the trust button and the view's visibility ONCE: but the counts do not depend on trust
    // (Restricted Mode shows them too), so a side state pushed before the new extension host knew the folder was
    // trusted passed the first wait and failed the one-shot reads a moment before the UI settled — the failure's
    // screenshot showed the right state. The frame found before the reload settled can also be replaced while the
    // workbench restores its layout, so it is looked up again on each probe.
    let last = '';
    await waitFor(
      'the side panel: ready, "2 items · 2 labelled", trusted (no trust button), still showing',
      async () => {
        const f = await s.webview('side', 5_000).catch(() => undefined);
        if (!f) return ((last = 'no side panel frame'), false);
        const ready =
          (await f
            .locator('#sl-side[data-ready="true"]')
            .count()
            .catch(() => 0)) > 0;
        const c = await counts(f).catch(() => '');
        const trustButton = await f
          .locator('[data-testid="manage-trust"]')
          .isVisible()
          .catch(() => true);
        // The view container, not the iframe: after a reload the restored iframe need not match the pre-reload selector.
        const showing = await s.sidePanelShowing();
        last = JSON.stringify({ ready, counts: c, trustButton, showing });
        return ready && /^2 items · 2 labelled/.test(c) && !trustButton && showing;
      },
      120_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last seen ${last}`);
    });
  });
});
