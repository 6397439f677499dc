/**
 * Tests of the review grid's host-side thumbnails (src/extension/thumbnails.ts, the image plugin's `thumbnail`): small images come back inlined as
 * data: URLs in one answer, big ones as their webview URL, anything else (text items, unknown ids, files that are
 * gone, symlinks out of the workspace) is left out.
 * Run: node --import tsx --test src/extension/test/thumbnails.test.ts
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Item } from '../../core/types';
import { fileUrl, readMedia, readThumbnails } from '../thumbnails';
import { isMediaClip, isThumbnailsResult } from '../../protocol/webview';
import { encodeWav16, THUMB_HEIGHT, THUMB_WIDTH } from '../../core/modalities/audio/preview';
import { imageMime } from '../../core/modalities/image/thumbnail';
import * as previews from '../../core/modalities/preview';

const PNG_1x1 = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010800000000376ef9240000000a49444154789c636000000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

test('thumbnails: small images inlined, big ones by URL, the rest left out', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-thumbs-'));
  const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-thumbs-out-'));
  t.after(async () => {
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });
  await fs.mkdir(path.join(root, 'a b'));
  await fs.writeFile(path.join(root, 'a b', 'one#1.png'), PNG_1x1);
  await fs.writeFile(path.join(root, 'big.jpg'), Buffer.alloc(2000, 1));
  await fs.writeFile(path.join(root, 'note.txt'), 'hello');
  await fs.writeFile(path.join(outside, 'secret.png'), PNG_1x1);
  await fs.symlink(path.join(outside, 'secret.png'), path.join(root, 'link.png'));
  const item = (p: string, kind: Item['kind'], size: number): Item => ({
    id: p,
    path: p,
    kind,
    modality: kind === 'image' ? 'image' : 'text',
    hash: 'h',
    size,
    mtimeMs: 0,
  });
  const items = new Map<string, Item>([
    ['a b/one#1.png', item('a b/one#1.png', 'image', PNG_1x1.length)],
    ['big.jpg', item('big.jpg', 'image', 2000)],
    ['note.txt', item('note.txt', 'text', 5)],
    ['link.png', item('link.png', 'image', PNG_1x1.length)],
    ['gone.png', item('gone.png', 'image', 10)],
  ]);
  const base = 'https://file+.vscode-resource.vscode-cdn.net/ws';
  const got = await readThumbnails(
    root,
    ['a b/one#1.png', 'big.jpg', 'note.txt', 'link.png', 'gone.png', 'unknown.png', 'a b/one#1.png'],
    (id) => items.get(id),
    base,
    previews,
    1000,
  );
  assert.deepEqual(got, [
    { id: 'a b/one#1.png', src: `data:image/png;base64,${PNG_1x1.toString('base64')}` },
    { id: 'big.jpg', src: `${base}/big.jpg` },
  ]);
  // Without a webview URL only inlined ones come back.
  const inlineOnly = await readThumbnails(root, ['a b/one#1.png', 'big.jpg'], (id) => items.get(id), null, previews, 1000);
  assert.deepEqual(
    inlineOnly.map((x) => x.id),
    ['a b/one#1.png'],
  );
  // A file that grew past the limit since the scan is not inlined.
  await fs.writeFile(path.join(root, 'a b', 'one#1.png'), Buffer.alloc(5000, 2));
  const grown = await readThumbnails(root, ['a b/one#1.png'], (id) => items.get(id), base, previews, 1000);
  assert.deepEqual(grown, [{ id: 'a b/one#1.png', src: `${base}/a%20b/one%231.png` }]);
});

test('thumbnail helpers: MIME types by extension, URL-encoded path segments', () => {
  assert.equal(imageMime('x/y.PNG'), 'image/png');
  assert.equal(imageMime('y.jpeg'), 'image/jpeg');
  assert.equal(imageMime('y.txt'), undefined);
  assert.equal(imageMime('noext'), undefined);
  assert.equal(fileUrl('https://h/ws/', 'a b/c?.png'), 'https://h/ws/a%20b/c%3F.png');
});

test('audio: a spectrogram thumbnail with the duration, and the clip of its window to play by id', async (t) => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-audio-preview-'));
  t.after(() => fs.rm(root, { recursive: true, force: true }));
  // 2 s at 16 kHz: 440 Hz for the first second, 2000 Hz for the second.
  const rate = 16000;
  const x = new Float32Array(2 * rate);
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * Math.sin((2 * Math.PI * (i < rate ? 440 : 2000) * i) / rate);
  await fs.writeFile(path.join(root, 'tone.wav'), encodeWav16(x, rate));
  await fs.writeFile(path.join(root, 'quiet.wav'), encodeWav16(new Float32Array(rate), rate));
  const audio = (id: string, extra: Partial<Item>): Item => ({
    id,
    path: id.replace(/#\d+$/, ''),
    kind: 'audio',
    modality: 'audio',
    hash: 'h',
    size: 64044,
    mtimeMs: 0,
    ...extra,
  });
  const items = new Map<string, Item>([
    ['tone.wav', audio('tone.wav', { duration: 2, start: 0 })],
    ['tone.wav#2', audio('tone.wav#2', { duration: 1, start: 1 })],
    ['quiet.wav', audio('quiet.wav', { duration: 1, start: 0 })],
  ]);
  const thumbs = await readThumbnails(root, ['tone.wav', 'quiet.wav'], (id) => items.get(id), null, previews);
  assert.equal(thumbs.length, 1, 'a silent clip has no picture');
  assert.equal(thumbs[0].id, 'tone.wav');
  assert.equal(thumbs[0].duration, 2);
  assert.match(thumbs[0].src, /^data:image\/png;base64,/);
  assert.ok(isThumbnailsResult({ thumbnails: thumbs }));
  const png = Buffer.from(thumbs[0].src.split(',')[1], 'base64');
  assert.equal(png.readUInt32BE(16), THUMB_WIDTH);
  assert.equal(png.readUInt32BE(20), THUMB_HEIGHT);

  // The window #2 plays its own second only: 16,000 samples of 2000 Hz (≈ 4000 zero crossings, not 880).
  const clip = await readMedia(root, 'tone.wav#2', (id) => items.get(id), previews);
  assert.ok(isMediaClip(clip), 'the answer passes the webview-side guard');
  assert.equal(clip.item, 'tone.wav#2');
  assert.ok(Math.abs(clip.duration - 1) < 0.01, `duration ${clip.duration}`);
  const wav = Buffer.from(clip.src.split(',')[1], 'base64');
  assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
  assert.equal(wav.readUInt32LE(24), 16000);
  assert.equal(wav.readUInt16LE(22), 1);
  const n = wav.readUInt32LE(40) / 2;
  assert.ok(Math.abs(n - rate) < 20, `${n} samples`);
  let crossings = 0;
  for (let i = 1; i < n; i++) if (wav.readInt16LE(44 + 2 * i) >= 0 !== wav.readInt16LE(44 + 2 * (i - 1)) >= 0) crossings++;
  assert.ok(crossings > 3500 && crossings < 4500, `${crossings} zero crossings`);

  // Bad asks are errors a user can read, never a path: unknown id, silent clip, an image is not playable.
  await assert.rejects(
    readMedia(root, 'nope.wav', (id) => items.get(id), previews),
    /not an item/,
  );
  await assert.rejects(
    readMedia(root, 'quiet.wav', (id) => items.get(id), previews),
    /silent/,
  );
  await fs.writeFile(path.join(root, 'p.png'), PNG_1x1);
  const img: Item = { id: 'p.png', path: 'p.png', kind: 'image', modality: 'image', hash: 'h', size: PNG_1x1.length, mtimeMs: 0 };
  await assert.rejects(
    readMedia(root, 'p.png', () => img, previews),
    /not something the grid can play/,
  );
  // The webview-side guard refuses anything but a base64 data:audio URL.
  assert.equal(isMediaClip({ item: 'a.wav', src: 'file:///etc/passwd', duration: 1 }), false);
  assert.equal(isMediaClip({ item: 'a.wav', src: 'data:text/html;base64,PHNjcmlwdD4=', duration: 1 }), false);
  assert.equal(isMediaClip({ item: 'a.wav', src: 'data:audio/wav;base64,UklGRg==', duration: 1 }), true);
});
