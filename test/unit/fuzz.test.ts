/**
 * Property-based fuzzing (fast-check) of every parser that reads untrusted bytes or messages:
 *
 *  - probeImage / decodeImage: random bytes and mutated valid PNG/JPEG files (10,000 cases each);
 *  - the CSV parser (10,000 texts with quotes, CR/LF, lone surrogates; any split into chunks gives the same records)
 *    and the JSONL line parser (10,000), plus readRawRows on 300 files of random bytes, read in random chunk sizes;
 *  - the webview message validators parseFromWebview / parseFromHost (random JSON-ish values and mutations of valid
 *    messages, 10,000 each): never throw, accepted item ids never name a path outside the workspace, no prototype
 *    pollution;
 *  - the worker message validator isWorkerMessage (10,000).
 *
 * "No crash" means: the function returns, or throws the module's own clear error type (ItemError for images); any
 * other exception fails the case. "No hang": each case is timed and must finish under CASE_LIMIT_MS. The inputs are
 * kept small so 10,000 cases cost about a second each on an idle core.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { fuzzParams } from './fuzzSeed';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import {
  decodeImage,
  probeImage,
  ItemError,
  parseCsv,
  CsvParser,
  parseJsonlLine,
  readRawRows,
  type CsvRecord,
  type RawRow,
} from '../../src/core/dataset';
import { parseFromHost, parseFromWebview, isItemId } from '../../src/protocol/webview';
import { isWorkerMessage } from '../../src/protocol/worker';

const RUNS = 10_000;
/** readRawRows reads real files (async I/O): fewer cases, each of them read twice. */
const FILE_RUNS = 300;
/** A case slower than this counts as a hang (generous: the CI machine is shared and noisy). */
const CASE_LIMIT_MS = 2_000;
let slowest = { ms: 0, what: '' };

function timed<T>(what: string, fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    if (ms > slowest.ms) slowest = { ms, what };
    if (ms > CASE_LIMIT_MS) assert.fail(`${what} took ${ms.toFixed(0)} ms`);
  }
}

let tmp: string;
before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'selflabel-fuzz-'));
});
after(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

// ───────────────────────────── images ─────────────────────────────

function tinyPng(w: number, h: number, colorType: 0 | 2 | 6): Buffer {
  const p = new PNG({ width: w, height: h, colorType, inputColorType: 6, inputHasAlpha: true } as ConstructorParameters<typeof PNG>[0]);
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 29 + 7) & 255;
  return PNG.sync.write(p, { colorType } as Parameters<typeof PNG.sync.write>[1]);
}
function tinyJpeg(w: number, h: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 255;
  return Buffer.from(jpeg.encode({ width: w, height: h, data }, 75).data);
}

const SEEDS = [tinyPng(4, 3, 2), tinyPng(3, 3, 0), tinyPng(2, 5, 6), tinyJpeg(8, 8), tinyJpeg(5, 3)];

/** Byte-level mutations of a valid file: overwrite, insert, delete, truncate. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(src: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const m of ms) {
    const at = b.length ? m.at % b.length : 0;
    if (m.op === 'set' && b.length) b[at] = m.byte;
    else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
    else if (m.op === 'truncate') b = b.subarray(0, at);
  }
  return b;
}

/** decodeImage returns a consistent image or throws ItemError; probeImage agrees with it on the size. */
function checkImage(buf: Uint8Array): void {
  let info: ReturnType<typeof probeImage> | undefined;
  try {
    info = timed('probeImage', () => probeImage(buf));
  } catch (e) {
    if (!(e instanceof ItemError)) throw e;
    assert.ok(e.reason.length > 0);
  }
  try {
    const img = timed('decodeImage', () => decodeImage(buf, 'fuzz.img'));
    assert.ok(info, 'decodeImage accepted what probeImage refused');
    assert.ok(img.width > 0 && img.height > 0);
    assert.equal(img.data.length, img.width * img.height * img.channels);
    assert.deepEqual([img.width, img.height], [info.width, info.height]);
  } catch (e) {
    if (!(e instanceof ItemError)) throw e;
    assert.equal(e.item, 'fuzz.img');
  }
}

test('probeImage/decodeImage on random bytes: a result or an ItemError, never another crash', () => {
  const prefix = fc.constantFrom(
    Buffer.alloc(0),
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from([0xff, 0xd8, 0xff]),
  );
  fc.assert(
    fc.property(prefix, fc.uint8Array({ maxLength: 200 }), (p, rest) => {
      checkImage(Buffer.concat([p, rest]));
    }),
    fuzzParams(RUNS),
  );
});

test('probeImage/decodeImage on mutated valid PNG and JPEG files: a result or an ItemError', () => {
  for (const s of SEEDS) checkImage(s); // the seeds themselves decode
  for (const s of SEEDS) assert.doesNotThrow(() => decodeImage(s, 'seed'));
  fc.assert(
    fc.property(fc.nat(SEEDS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
      checkImage(mutate(SEEDS[i], ms));
    }),
    fuzzParams(RUNS),
  );
});

// ───────────────────────────── CSV and JSONL ─────────────────────────────

/** Text made of CSV-significant characters, ordinary ones, non-ASCII and lone surrogates (invalid UTF-16). */
const csvText = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('"', ',', '\n', '\r', '\r\n', 'a', 'b', ' ') },
    { weight: 1, arbitrary: fc.constantFrom('é', '😀', '\ufeff', '\u0000', '\ud800', '\udfff', '\ufffd') },
  ),
  maxLength: 60,
});

function recordsEqual(a: CsvRecord[], b: CsvRecord[]): void {
  assert.deepEqual(
    a.map((r) => [r.fields, r.line, r.error ?? null, r.blank]),
    b.map((r) => [r.fields, r.line, r.error ?? null, r.blank]),
  );
}

test('CSV parser: never throws, line numbers never go back, any split into chunks gives the same records', () => {
  fc.assert(
    fc.property(csvText, fc.array(fc.nat(), { maxLength: 5 }), (text, cuts) => {
      const whole = timed('parseCsv', () => parseCsv(text));
      for (let i = 1; i < whole.length; i++) assert.ok(whole[i].line >= whole[i - 1].line, 'line numbers go forward');
      for (const r of whole) for (const f of r.fields) assert.equal(typeof f, 'string');
      // The same text pushed in pieces (splits may fall inside a quoted field or between CR and LF).
      const points = [...new Set(cuts.map((c) => (text.length ? c % (text.length + 1) : 0)))].sort((x, y) => x - y);
      const pieces: CsvRecord[] = [];
      const parser = new CsvParser((r) => pieces.push(r));
      let from = 0;
      for (const p of points) {
        parser.push(text.slice(from, p));
        from = p;
      }
      parser.push(text.slice(from));
      parser.end();
      recordsEqual(pieces, whole);
    }),
    fuzzParams(RUNS),
  );
});

test('JSONL line parser: a JSON object or a reason, never a throw', () => {
  const mutatedJson = fc
    .tuple(
      fc.jsonValue({ maxDepth: 3 }),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('"', '{', '}', ',', ':', '\\', '\u0000', '\ud800', '')), { maxLength: 3 }),
    )
    .map(([v, edits]) => {
      let s = JSON.stringify(v) ?? '';
      for (const [at, ch] of edits) {
        const i = s.length ? at % s.length : 0;
        s = s.slice(0, i) + ch + s.slice(i + 1);
      }
      return s;
    });
  fc.assert(
    fc.property(fc.oneof(mutatedJson, csvText, fc.string()), (line) => {
      const r = timed('parseJsonlLine', () => parseJsonlLine(line));
      if ('value' in r) {
        assert.ok(r.value !== null && typeof r.value === 'object' && !Array.isArray(r.value));
      } else {
        assert.ok(typeof r.reason === 'string' && r.reason.length > 0 && r.reason.length < 200);
      }
    }),
    fuzzParams(RUNS),
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

/** Bytes of a row file: JSON-ish and CSV-ish pieces, raw invalid UTF-8 and line breaks. */
const rowFileBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom('{"text":"a"}', '{"text":"é 😀"}', '{"text":', '[1]', 'text,id', '"q""x"', ',', '\n', '\r\n', '\r', '"', ' '),
      fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b).toString('latin1')),
    ),
    { maxLength: 30 },
  )
  .map((parts) =>
    Buffer.concat(parts.map((p) => (/^[\x00-\x7f]*$/.test(p) || /[é😀]/.test(p) ? Buffer.from(p) : Buffer.from(p, 'latin1')))),
  );

function rowKey(r: RawRow): string {
  return JSON.stringify(
    r.kind === 'bad' ? [r.row, r.line, 'bad', r.reason] : r.kind === 'json' ? [r.row, r.line, r.value] : [r.row, r.line, r.fields],
  );
}

test('readRawRows on random bytes (JSONL and CSV): rows or clear errors, the same rows for any chunk size', async () => {
  const file = path.join(tmp, 'rows');
  let n = 0;
  let fileErrors = 0;
  await fc.assert(
    fc.asyncProperty(
      rowFileBytes,
      fc.constantFrom('jsonl' as const, 'csv' as const),
      fc.integer({ min: 1, max: 16 }),
      async (bytes, format, chunk) => {
        await fs.writeFile(file, bytes);
        const read = async (chunkBytes?: number) => {
          const rows: string[] = [];
          try {
            const stats = await readRawRows(file, format, (r) => rows.push(rowKey(r)), { chunkBytes });
            assert.equal(stats.bytes, bytes.length);
            return { rows, error: undefined as string | undefined };
          } catch (e) {
            if (!(e instanceof ItemError)) throw e;
            return { rows, error: e.reason };
          }
        };
        const whole = await read();
        const pieces = await read(chunk);
        if (whole.error) fileErrors++;
        assert.equal(pieces.error === undefined, whole.error === undefined, `chunk size ${chunk} changes whether the file is readable`);
        if (!whole.error) assert.deepEqual(pieces.rows, whole.rows);
        n++;
      },
    ),
    fuzzParams(FILE_RUNS),
  );
  assert.equal(n, FILE_RUNS);
  assert.ok(fileErrors > 0, 'some files were unreadable as a whole (invalid UTF-8 CSV)');
});

// ───────────────────────────── webview messages ─────────────────────────────

const VALID_FROM_WEBVIEW: unknown[] = [
  { kind: 'request', id: 1, method: 'run', params: { stage: 'scan' } },
  { kind: 'request', id: 2, method: 'command', params: { command: 'export' } },
  { kind: 'request', id: 3, method: 'accept', params: { items: ['a.png', 'rows/x.csv#3'] } },
  { kind: 'request', id: 4, method: 'reject', params: { item: 'a.png' } },
  { kind: 'request', id: 5, method: 'correct', params: { item: 'a.png', label: 'cat' } },
  { kind: 'request', id: 6, method: 'label', params: { item: 'dir/b.txt', label: 'dog' } },
  { kind: 'request', id: 7, method: 'undo', params: {} },
  { kind: 'request', id: 8, method: 'open', params: { item: 'a.png' } },
  { kind: 'request', id: 9, method: 'setMode', params: { mode: 'label' } },
  { kind: 'notify', method: 'ready', params: { view: 'side' } },
  { kind: 'notify', method: 'cancel', params: {} },
  { kind: 'notify', method: 'focus', params: { item: null } },
];
const VALID_FROM_HOST: unknown[] = [
  { kind: 'response', id: 1, ok: true, result: { started: true } },
  { kind: 'response', id: 2, ok: false, error: 'busy' },
  { kind: 'notify', method: 'progress', params: { stage: 'train', done: 3, total: 10, fraction: 0.3 } },
  { kind: 'notify', method: 'progress', params: null },
  { kind: 'notify', method: 'updates', params: { updates: [{ id: 'a.png', status: 'accepted', label: 'cat' }] } },
  {
    kind: 'notify',
    method: 'review',
    params: {
      mode: 'review',
      classes: ['a'],
      items: [{ id: 'x', kind: 'image', path: 'x', status: 'proposed', confidence: 0.9 }],
      imageBase: null,
      threshold: 0.9,
      trusted: true,
      empty: null,
    },
  },
];

/** Hostile strings: path traversal, absolute paths, control characters, prototype keys. */
const hostile = fc.constantFrom(
  '..',
  '../x',
  'a/../../etc/passwd',
  '/etc/passwd',
  'C:\\x',
  'C:x',
  'a\\..\\b',
  'a//b',
  'a/./b',
  '',
  '\u0000',
  'a\nb',
  '__proto__',
  'constructor',
  '#1',
  '..#3',
  'a/..#2',
  '.',
  '%2e%2e/x',
);
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.anything({ maxDepth: 2, withNullPrototype: true, withBigInt: true }), hostile);

/** Replaces a value at a random path of a message, deletes it, or adds a prototype key. */
function mutateMessage(msg: unknown, picks: number[], value: unknown, op: number): unknown {
  const copy = JSON.parse(JSON.stringify(msg)) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (let depth = 0; depth < picks.length; depth++) {
    const keys = Object.keys(node);
    if (!keys.length) break;
    const k = keys[picks[depth] % keys.length];
    const child = node[k];
    if (depth === picks.length - 1 || child === null || typeof child !== 'object') {
      if (op === 0) node[k] = value;
      else if (op === 1) delete node[k];
      else Object.defineProperty(node, '__proto__', { value, enumerable: true, configurable: true, writable: true });
      return copy;
    }
    node = child as Record<string, unknown>;
  }
  return copy;
}

/**
 * The validators must refuse, never throw — including for objects without a usable toString, e.g. the plain JSON
 * message {"kind":{"toString":1}} (an earlier version built its reasons with String(value) and threw on those).
 */
let knownStringBug = 0;
function parseOrKnownBug<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    knownStringBug++;
    throw e;
  }
}

/**
 * An id that cannot name anything outside the workspace: relative, POSIX, no '..' or empty segment, no control
 * characters. ('.' segments, as in "a/./b", are accepted by isItemId: they stay inside the workspace and never match
 * a scanned item id, whose paths are normalised.)
 */
function safeId(id: string): boolean {
  const file = id.replace(/#\d+$/, '');
  if (file.startsWith('/') || file.includes('\\') || /^[a-zA-Z]:/.test(file) || /[\u0000-\u001f]/.test(id)) return false;
  if (file.split('/').some((s) => s === '..' || s === '')) return false;
  const resolved = path.posix.resolve('/ws', file);
  return resolved === '/ws' || resolved.startsWith('/ws/');
}

/** The item ids an accepted message makes the host act on. */
function idsOf(m: unknown): string[] {
  const p = (m as { params?: { item?: unknown; items?: unknown } }).params;
  const out: string[] = [];
  if (typeof p?.item === 'string') out.push(p.item);
  if (Array.isArray(p?.items)) out.push(...(p.items as string[]));
  return out;
}

test('parseFromWebview: random values and mutated valid messages never throw; accepted ids stay inside the workspace', () => {
  for (const m of VALID_FROM_WEBVIEW) assert.ok(parseFromWebview(m).ok, JSON.stringify(m));
  const input = fc.oneof(
    anyValue,
    fc
      .tuple(fc.constantFrom(...VALID_FROM_WEBVIEW), fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), anyValue, fc.nat(2))
      .map(([m, p, v, op]) => mutateMessage(m, p, v, op)),
  );
  let accepted = 0;
  fc.assert(
    fc.property(input, (raw) => {
      const r = parseOrKnownBug(() => timed('parseFromWebview', () => parseFromWebview(raw)));
      if (!r) return;
      assert.equal(typeof r.ok, 'boolean');
      if (!r.ok) {
        assert.ok(typeof r.reason === 'string' && r.reason.length > 0);
        return;
      }
      accepted++;
      assert.ok(r.message.kind === 'request' || r.message.kind === 'notify');
      for (const id of idsOf(r.message)) assert.ok(safeId(id), `accepted unsafe item id ${JSON.stringify(id)}`);
      assert.ok(parseFromWebview(r.message).ok, 'a parsed message parses again');
    }),
    fuzzParams(RUNS),
  );
  assert.ok(accepted > 100, `some mutated messages stay valid (${accepted})`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('isItemId refuses every id that names a path outside the workspace', () => {
  const seg = fc.constantFrom('a', 'b.txt', '..', '.', '', 'é', ' ', 'C:', '\\', '%2e');
  fc.assert(
    fc.property(fc.array(seg, { minLength: 1, maxLength: 5 }), fc.option(fc.nat(99)), (segs, row) => {
      const id = segs.join('/') + (row === null ? '' : `#${row}`);
      if (isItemId(id)) assert.ok(safeId(id), `isItemId accepted ${JSON.stringify(id)}`);
      if (isItemId(id)) {
        const resolved = path.posix.resolve('/ws', id.replace(/#\d+$/, ''));
        assert.ok(resolved === '/ws' || resolved.startsWith('/ws/'), `${id} resolves to ${resolved}`);
      }
    }),
    fuzzParams(RUNS),
  );
});

test('parseFromHost: random values and mutated valid messages never throw', () => {
  for (const m of VALID_FROM_HOST) assert.ok(parseFromHost(m).ok, JSON.stringify(m));
  const input = fc.oneof(
    anyValue,
    fc
      .tuple(fc.constantFrom(...VALID_FROM_HOST), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), anyValue, fc.nat(2))
      .map(([m, p, v, op]) => mutateMessage(m, p, v, op)),
  );
  fc.assert(
    fc.property(input, (raw) => {
      const r = parseOrKnownBug(() => timed('parseFromHost', () => parseFromHost(raw)));
      if (!r) return;
      if (r.ok) assert.ok(r.message.kind === 'response' || r.message.kind === 'notify');
      else assert.ok(r.reason.length > 0);
    }),
    fuzzParams(RUNS),
  );
});

// ───────────────────────────── worker messages ─────────────────────────────

const VALID_WORKER: unknown[] = [
  { type: 'run', id: 1, job: 'pretrain', params: { a: 1 } },
  { type: 'cancel', id: 1 },
  { type: 'ready', backend: { name: 'wasm', simd: true } },
  { type: 'progress', id: 2, progress: { stage: 'pretrain', done: 1, total: 5, loss: 0.3 } },
  { type: 'result', id: 2, result: [1, 2] },
  { type: 'error', id: null, error: { message: 'x', name: 'Error' } },
];

test('isWorkerMessage: random values and mutated valid messages give a boolean; accepted ones have a sane shape', () => {
  for (const m of VALID_WORKER) assert.ok(isWorkerMessage(m));
  const input = fc.oneof(
    anyValue,
    fc
      .tuple(fc.constantFrom(...VALID_WORKER), fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), anyValue, fc.nat(2))
      .map(([m, p, v, op]) => mutateMessage(m, p, v, op)),
  );
  let accepted = 0;
  fc.assert(
    fc.property(input, (raw) => {
      const ok = timed('isWorkerMessage', () => isWorkerMessage(raw));
      assert.equal(typeof ok, 'boolean');
      if (!ok) return;
      accepted++;
      const m = raw as { type: string; id?: unknown };
      assert.ok(['run', 'cancel', 'ready', 'progress', 'result', 'error'].includes(m.type));
      if (m.type !== 'ready' && !(m.type === 'error' && m.id === null)) assert.ok(Number.isSafeInteger(m.id) && (m.id as number) >= 0);
    }),
    fuzzParams(RUNS),
  );
  assert.ok(accepted > 100);
});

test('the webview validators refuse (not throw on) JSON messages whose kind or method is an object without toString', {}, () => {
  const hostile = [
    { kind: { toString: 1 } },
    { kind: 'request', id: 1, method: { toString: 1 }, params: {} },
    { kind: 'notify', method: { toString: 1, valueOf: 1 }, params: {} },
    JSON.parse('{"kind":{"toString":{}}}') as unknown,
  ];
  for (const m of hostile) {
    assert.doesNotThrow(() => parseFromWebview(m), `parseFromWebview(${JSON.stringify(m)})`);
    assert.doesNotThrow(() => parseFromHost(m), `parseFromHost(${JSON.stringify(m)})`);
  }
});

test('fuzz timing', (t) => {
  t.diagnostic(`slowest single case: ${slowest.what} ${slowest.ms.toFixed(1)} ms (limit ${CASE_LIMIT_MS} ms)`);
  assert.equal(knownStringBug, 0, 'a validator threw');
  assert.ok(slowest.ms < CASE_LIMIT_MS);
});
