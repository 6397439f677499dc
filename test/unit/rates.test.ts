/** stageItemsPerSecond (src/core/backend/rates.ts): the wall-clock rate of a stage of runs, parallel or one after another. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { stageItemsPerSecond } from '../../src/core/backend/rates';

test('two tasks one after the other give the rate of one, not the sum of both', () => {
  // 500 items/s for 10 s, then 500 items/s for 10 s: 10,000 items in 20 s.
  assert.equal(
    stageItemsPerSecond(
      [
        { itemsPerSecond: 500, seconds: 10 },
        { itemsPerSecond: 500, seconds: 10 },
      ],
      20,
    ),
    500,
  );
});

test('two tasks at the same time give the sum of their rates', () => {
  assert.equal(
    stageItemsPerSecond(
      [
        { itemsPerSecond: 400, seconds: 10 },
        { itemsPerSecond: 600, seconds: 10 },
      ],
      10,
    ),
    1000,
  );
});

test('an uneven pair counts the idle tail of the faster worker', () => {
  // 400/s for 10 s and 600/s for 5 s in parallel: 7,000 items over 10 s of stage.
  assert.equal(
    stageItemsPerSecond(
      [
        { itemsPerSecond: 400, seconds: 10 },
        { itemsPerSecond: 600, seconds: 5 },
      ],
      10,
    ),
    700,
  );
});

test('no time, no runs, or broken figures give 0 or are skipped, never NaN', () => {
  assert.equal(stageItemsPerSecond([], 10), 0);
  assert.equal(stageItemsPerSecond([{ itemsPerSecond: 100, seconds: 1 }], 0), 0);
  assert.equal(
    stageItemsPerSecond(
      [
        { itemsPerSecond: NaN, seconds: 1 },
        { itemsPerSecond: 100, seconds: 2 },
      ],
      2,
    ),
    100,
  );
});
