/**
 * What the text modality's worker jobs take: the items of a pool or folder, read by the host face (`load`) into
 * memory the workers share. A leaf (imports nothing): src/protocol/modalities.ts registers the modality with it.
 */
export interface TextData {
  kind: 'text';
  texts: string[];
}
