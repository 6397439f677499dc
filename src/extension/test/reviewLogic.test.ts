/** Inline review logic: the "Change…" picker's highlighted row, and the proposal opened after accept / reject. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { changePicks, nextProposalAfter } from '../reviewLogic';

const classes = ['cat', 'dog', 'bird'];

test('Change… highlights the proposed class, not the first one', () => {
  const r = changePicks(classes, {
    proposal: { label: 'bird', confidence: 0.91, alternatives: [{ label: 'dog', confidence: 0.06 }] },
    status: { status: 'proposed', label: 'bird' },
  });
  assert.equal(r.active, 2);
  assert.equal(r.picks[r.active].label, 'bird');
  assert.match(r.picks[2].description, /^3 · proposed 0\.91$/);
  assert.match(r.picks[1].description, /model: 0\.06/);
  assert.doesNotMatch(r.picks[2].description, /current/, 'a proposal is not the current label');
});

test('Change… on a labelled item highlights its current label; on an unlabelled one the first class', () => {
  const labelled = changePicks(classes, { status: { status: 'corrected', label: 'dog' } });
  assert.equal(labelled.active, 1);
  assert.match(labelled.picks[1].description, /current \(corrected\)/);
  assert.equal(changePicks(classes, { status: { status: 'unlabelled' } }).active, 0);
});

test('classes past 9 get no number in the picker, and still list', () => {
  const many = Array.from({ length: 12 }, (_, i) => `c${i}`);
  const r = changePicks(many, { proposal: { label: 'c11', confidence: 0.5 }, status: { status: 'proposed', label: 'c11' } });
  assert.equal(r.picks.length, 12);
  assert.equal(r.active, 11);
  assert.match(r.picks[8].description, /^9$/);
  assert.doesNotMatch(r.picks[9].description, /^10/);
});

test('after accept / reject: the next open proposal in file order, the same file first, wrapping round', () => {
  const items: Record<string, { path: string; line?: number }> = {
    'a.jsonl#1': { path: 'a.jsonl', line: 1 },
    'a.jsonl#2': { path: 'a.jsonl', line: 2 },
    'a.jsonl#10': { path: 'a.jsonl', line: 10 },
    'b.txt': { path: 'b.txt' },
    'c.png': { path: 'c.png' },
  };
  const at = (id: string) => items[id];
  const open = ['c.png', 'a.jsonl#10', 'b.txt', 'a.jsonl#1'];
  // a.jsonl#2 was just accepted (no longer open): the next row is #10 (by line, not by id text).
  assert.equal(nextProposalAfter('a.jsonl#2', open, at), 'a.jsonl#10');
  assert.equal(nextProposalAfter('a.jsonl#10', open, at), 'b.txt');
  assert.equal(nextProposalAfter('c.png', open, at), 'a.jsonl#1', 'wraps round');
  assert.equal(nextProposalAfter('b.txt', ['b.txt'], at), undefined, 'none left');
  assert.equal(nextProposalAfter('gone', ['b.txt'], at), 'b.txt', 'an unknown item: the first open one');
});
