/**
 * Labelling needs to know the workspace's items: an item id is only accepted if the scan found it. A workspace
 * that was never scanned (no `.selflabel/cache/items.json`) is scanned on demand, once; a later scan is the
 * user's to run (new files are then "unknown item … run scan").
 */
import * as fs from 'node:fs/promises';
import { workspacePaths } from '../paths';

interface Scannable {
  readonly root: string;
  scan(): Promise<unknown>;
}

/** Scans the project unless a scan result is already on disk. */
export async function ensureScanned(project: Scannable): Promise<void> {
  const items = workspacePaths(project.root).items;
  if (
    await fs.stat(items).then(
      () => true,
      () => false,
    )
  ) {
    return;
  }
  await project.scan();
}
