/**
 * End-to-end on a small audio workspace (18 one-second clips synthesised in JS: six each of tone, chirp and noise;
 * test/fixtures/audioSample.ts), in code-server driven by Chromium: set the classes and scan from the palette, open
 * the label grid, check that an audio cell shows its spectrogram and duration, play the focused clip with Space (the
 * <audio> element's currentTime advances; the clip reached the webview as a data: URL, by id), pause it, label seeds
 * with number keys — each label on disk in .selflabel/labels.jsonl at once, the next clip playing by itself (the
 * setting selflabel.autoPlayAudio, on here) — and open a labelled clip in VS Code's
 * media player, where the status bar shows its label.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Frame } from 'playwright-core';
import { Session, recordMetric, waitFor, dependentSteps } from './harness';
import { AUDIO_SAMPLE_CLASSES, writeAudioSample } from '../fixtures/audioSample';

const CLASSES = [...AUDIO_SAMPLE_CLASSES];

interface PlayerState {
  item: string | null;
  paused: boolean;
  time: number;
  src: string;
}

describe('audio: review by ear in the browser', function () {
  this.timeout(240_000);
  let s: Session;
  let truth: Map<string, string>;

  before(async function () {
    this.timeout(240_000);
    const t = performance.now();
    s = await Session.start(
      'audio',
      (dir) => {
        truth = writeAudioSample(dir, { perClass: 6, seed: 3 });
      },
      // Auto-play on (off by default): after a label the next clip plays.
      { 'selflabel.confidenceThreshold': 0, 'selflabel.autoPlayAudio': true },
    );
    recordMetric('audio: workbench ready s', (performance.now() - t) / 1000);
  });

  dependentSteps('audio', () => s);

  const review = () => s.webview('review');
  const player = (r: Frame) =>
    r.locator('[data-testid="player"]').evaluate((el) => {
      const a = el as unknown as { dataset: { item?: string }; paused: boolean; currentTime: number; currentSrc: string };
      return { item: a.dataset.item ?? null, paused: a.paused, time: a.currentTime, src: a.currentSrc.slice(0, 40) };
    }) as Promise<PlayerState>;
  const focusedId = async (r: Frame) => (await r.locator('[data-testid="cell"].focused').first().getAttribute('data-item')) ?? '';

  it('sets the classes and scans the 18 clips from the palette', async () => {
    await s.openSidePanel();
    await s.command('SelfLabel: Set Classes…');
    await s.answerInput(CLASSES.join(', '));
    const file = s.file('.selflabel/classes.json');
    const classes = await waitFor('classes.json', () => fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).classes);
    assert.deepEqual(classes, CLASSES);
    const msg = await s.runStage('scan', () => s.command('SelfLabel: Scan Workspace'));
    assert.match(msg, /\b18\b/);
    assert.deepEqual(s.journal(), []);
  });

  it('the label grid shows each clip as a spectrogram with its duration', async () => {
    const t = performance.now();
    await s.command('SelfLabel: Label Next Uncertain Items');
    const r = await review();
    await r.locator('[data-testid="cell"]').first().waitFor({ timeout: 30_000 });
    const cell = r.locator('[data-testid="cell"].focused').first();
    const shown = await waitFor(
      'the spectrogram of the focused clip',
      async () => {
        const mask = await cell
          .locator('.sl-spec-img')
          .evaluate((el) => (el as unknown as { style: { maskImage: string } }).style.maskImage);
        const dur = (await cell.locator('[data-testid="duration"]').innerText()).trim();
        return mask.startsWith('url("data:image/png;base64,') && dur ? { dur } : undefined;
      },
      30_000,
    );
    assert.equal(shown.dur, '1.0 s');
    assert.match(await r.locator('#sl-help').innerText(), /Space play/);
    recordMetric('audio: label grid with spectrograms s', (performance.now() - t) / 1000);
    await s.screenshot('review-webview-audio', s.webviewElement('review'));
  });

  it('Space plays the focused clip (currentTime advances) and Space again pauses it', async () => {
    const r = await review();
    await r.locator('[data-testid="cell"].focused').first().click();
    const id = await focusedId(r);
    await s.page.keyboard.press(' ');
    const playing = await waitFor(
      'the clip to play',
      async () => {
        const p = await player(r);
        return p.item === id && !p.paused && p.time > 0.05 ? p : undefined;
      },
      15_000,
    );
    assert.match(playing.src, /^data:audio\/wav;base64,/, 'the clip came by id as a data: URL, not a file URL');
    const later = await waitFor(
      'currentTime to advance',
      async () => {
        const p = await player(r);
        return p.time > playing.time || p.paused ? p : undefined;
      },
      5_000,
    );
    assert.ok(later.time > playing.time, `currentTime ${playing.time} → ${later.time}`);
    assert.equal(await r.locator(`[data-testid="cell"][data-item="${id}"]`).getAttribute('data-playing'), later.paused ? 'false' : 'true');
    // The clip is one second long: it may have ended; Space resumes it then, and a second Space pauses.
    if (later.paused) {
      await s.page.keyboard.press(' ');
      await waitFor('the clip to play again', async () => !(await player(r)).paused, 5_000);
    }
    await s.page.keyboard.press(' ');
    const paused = await waitFor('the clip to pause', async () => ((await player(r)).paused ? await player(r) : undefined), 5_000);
    assert.equal(paused.item, id);
    assert.deepEqual(s.journal(), [], 'playing writes nothing');
  });

  it('number keys label clips; each label is on disk at once', async () => {
    const r = await review();
    const perClass = new Map(CLASSES.map((c) => [c, 0]));
    for (let n = 0; n < 18 && [...perClass.values()].some((v) => v < 2); n++) {
      const id = await focusedId(r);
      const label = truth.get(id);
      assert.ok(label, `${id} is a sample clip`);
      const before = s.journal().length;
      await s.page.keyboard.press(String(CLASSES.indexOf(label as (typeof CLASSES)[number]) + 1));
      const events = await s.waitForJournal(`the label of ${id}`, (j) => j.length === before + 1);
      assert.deepEqual([events.at(-1)?.item, events.at(-1)?.label, events.at(-1)?.source], [id, label, 'human']);
      perClass.set(label as (typeof CLASSES)[number], (perClass.get(label as (typeof CLASSES)[number]) ?? 0) + 1);
      await waitFor('the focus to move on', async () => (await focusedId(r)) !== id, 5000);
      if (n === 0) {
        // Auto-play: the clip the focus moved to is loaded and plays (or has already played through).
        const next = await focusedId(r);
        await waitFor(
          'the next clip to play by itself',
          async () => {
            const p = await player(r);
            return p.item === next && (!p.paused || p.time > 0.5);
          },
          10_000,
        );
      }
    }
    assert.ok(
      [...perClass.values()].every((v) => v >= 2),
      `seeds: ${[...perClass].join(' ')}`,
    );
    // Replaying .selflabel/labels.jsonl gives exactly the labels typed, each the clip's true class.
    const labels = s.labels();
    assert.equal(labels.size, s.journal().length);
    for (const [item, l] of labels) assert.equal(l.label, truth.get(item), item);
  });

  it('a labelled clip opened in the media player shows its label in the status bar; Change Label in the editor title relabels it', async () => {
    const [id, { label }] = [...s.labels()][0];
    await s.openFile(id);
    // VS Code's own media player (a custom editor with an <audio> element), not a text editor on a binary file.
    await waitFor(
      'the media preview',
      async () => (await s.page.locator('iframe.webview[src*="extensionId=vscode.media-preview"]').count()) > 0,
      20_000,
    );
    const item = s.page.locator('.statusbar-item', { hasText: label }).first();
    await item.waitFor({ timeout: 20_000 });
    assert.match((await item.innerText()).trim(), new RegExp(`\\b${label}\\b`));
    await s.screenshot('audio-media-preview');
    const other = CLASSES.find((c) => c !== label) ?? CLASSES[0];
    const before = s.journal().length;
    await s.page.locator('.editor-actions .action-label[aria-label^="Change Label"]').first().click();
    const row = s.page.locator('.quick-input-list .monaco-list-row', { hasText: other }).first();
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    const events = await s.waitForJournal(`the new label of ${id}`, (j) => j.length === before + 1);
    assert.deepEqual([events.at(-1)?.item, events.at(-1)?.label], [id, other]);
    await s.page.locator('.statusbar-item', { hasText: other }).first().waitFor({ timeout: 10_000 });
  });
});
