/**
 * Tests of the review grid's host-side thumbnails (src/extension/thumbnails.ts): small images come back inlined as
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
import { fileUrl, imageMime, readThumbnails } from '../thumbnails';

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
    1000,
  );
  assert.deepEqual(got, [
    { id: 'a b/one#1.png', src: `data:image/png;base64,${PNG_1x1.toString('base64')}` },
    { id: 'big.jpg', src: `${base}/big.jpg` },
  ]);
  // Without a webview URL only inlined ones come back.
  const inlineOnly = await readThumbnails(root, ['a b/one#1.png', 'big.jpg'], (id) => items.get(id), null, 1000);
  assert.deepEqual(
    inlineOnly.map((x) => x.id),
    ['a b/one#1.png'],
  );
  // A file that grew past the limit since the scan is not inlined.
  await fs.writeFile(path.join(root, 'a b', 'one#1.png'), Buffer.alloc(5000, 2));
  const grown = await readThumbnails(root, ['a b/one#1.png'], (id) => items.get(id), base, 1000);
  assert.deepEqual(grown, [{ id: 'a b/one#1.png', src: `${base}/a%20b/one%231.png` }]);
});

test('thumbnail helpers: MIME types by extension, URL-encoded path segments', () => {
  assert.equal(imageMime('x/y.PNG'), 'image/png');
  assert.equal(imageMime('y.jpeg'), 'image/jpeg');
  assert.equal(imageMime('y.txt'), undefined);
  assert.equal(imageMime('noext'), undefined);
  assert.equal(fileUrl('https://h/ws/', 'a b/c?.png'), 'https://h/ws/a%20b/c%3F.png');
});
