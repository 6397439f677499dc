/**
 * Checkpoints on disk without tfjs-node: a tf.LayersModel is saved in the standard tfjs "layers-model" format —
 * `model.json` + `weights.bin` for the model named 'model' (the encoder), `<name>.json` + `<name>.weights.bin` for
 * others (pretext heads) — through tf.io.withSaveHandler, and loaded back through tf.io.fromMemory. Each file is
 * written atomically (temp file, fsync, rename), weights first; loading checks the weights' size against the
 * manifest, so a damaged pair is reported, not silently used.
 *
 * Also: `state.json` helpers (the resumable training state of a pretext task) and atomic JSON/bytes writes.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../util/files';

export { writeFileAtomic };

/** Reads a JSON file; undefined if it does not exist. A damaged file is an error naming the file. */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`Damaged checkpoint file ${file}: not valid JSON. Delete the folder to start over.`);
  }
}

interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

function concatWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out;
}

/** File names of model `name` in a checkpoint folder. */
export function modelFiles(name: string): { json: string; weights: string } {
  return name === 'model' ? { json: 'model.json', weights: 'weights.bin' } : { json: `${name}.json`, weights: `${name}.weights.bin` };
}

/** Saves `model` into `dir` under `name` (see modelFiles). */
export async function saveModel(model: tf.LayersModel, dir: string, name: string): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts || !artifacts.weightSpecs || !artifacts.weightData) throw new Error(`Could not serialise model ${name}`);
  const files = modelFiles(name);
  await writeFileAtomic(path.join(dir, files.weights), concatWeightData(artifacts.weightData as ArrayBuffer | ArrayBuffer[]));
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [files.weights], weights: artifacts.weightSpecs }],
  };
  await writeFileAtomic(path.join(dir, files.json), JSON.stringify(json));
}

/** True if model `name` exists in `dir`. */
export async function hasModel(dir: string, name: string): Promise<boolean> {
  try {
    await fs.access(path.join(dir, modelFiles(name).json));
    return true;
  } catch {
    return false;
  }
}

/** Loads a model saved by `saveModel`. Throws a readable error when it is missing or damaged. */
export async function loadModel(dir: string, name: string): Promise<tf.LayersModel> {
  const file = path.join(dir, modelFiles(name).json);
  const json = await readJsonFile<ModelJson>(file);
  if (!json) throw new Error(`No model "${name}" in ${dir}: run pretraining first.`);
  if (json.format !== 'layers-model' || !Array.isArray(json.weightsManifest) || !json.weightsManifest.length) {
    throw new Error(`Damaged checkpoint ${file}: not a layers-model.`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      if (p.includes('/') || p.includes('\\')) throw new Error(`Damaged checkpoint ${file}: bad weights path ${p}`);
      parts.push(new Uint8Array(await fs.readFile(path.join(dir, p))));
    }
    specs.push(...group.weights);
  }
  const total = parts.reduce((s, b) => s + b.byteLength, 0);
  const expected = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (total !== expected) throw new Error(`Damaged checkpoint ${file}: weights are ${total} bytes, expected ${expected}.`);
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.byteLength;
  }
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: data.buffer }));
}
