/** Where SelfLabel keeps its files inside a workspace (see ARCHITECTURE.md, "Data on disk"). */
import * as path from 'node:path';

export const STORE_DIR = '.selflabel';

export function workspacePaths(root: string) {
  const dir = path.join(root, STORE_DIR);
  const cache = path.join(dir, 'cache');
  const models = path.join(dir, 'models');
  return {
    root,
    dir,
    classes: path.join(dir, 'classes.json'),
    labels: path.join(dir, 'labels.jsonl'),
    config: path.join(dir, 'config.json'),
    cache,
    models,
    scanCache: path.join(cache, 'scan.json'),
    items: path.join(cache, 'items.json'),
    pixels: (size: number, channels: number) => path.join(cache, `pixels-${size}x${size}x${channels}`),
    embeddings: (task: string) => path.join(cache, `emb-${task}`),
    graph: (k: number) => path.join(cache, `knn-${k}`),
    checkpoint: (task: string) => path.join(models, task),
    classifier: path.join(models, 'classifier.json'),
    predictions: path.join(models, 'predictions'),
    proposals: path.join(models, 'proposals.json'),
    history: path.join(models, 'history.json'),
    asked: path.join(models, 'asked.json'),
  };
}
export type WorkspacePaths = ReturnType<typeof workspacePaths>;
