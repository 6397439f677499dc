/**
 * Integration: opening a folder that already has `.selflabel/classes.json` activates SelfLabel by itself
 * (activation event `workspaceContains:.selflabel/classes.json`), without any command being run.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { extension, selflabelFile, waitFor } from '../../helpers';

describe('activation on a configured workspace', () => {
  it('the fixture really has .selflabel/classes.json', () => {
    assert.ok(fs.existsSync(selflabelFile('classes.json')));
  });

  it('activates on its own', async () => {
    await waitFor('SelfLabel to activate', () => extension().isActive, 15_000);
  });
});
