/** Errors of the loop that a person can act on, each with a code the doors switch on (never a regex on the text). */

export const PROJECT_ERROR_CODES = [
  /** The workspace folder does not exist. */
  'workspace-not-found',
  /** No items of the workspace's modality: scan first, or check include/exclude. */
  'no-items',
  /** No pretrained encoder yet. */
  'not-pretrained',
  /** No trained model yet. */
  'not-trained',
  /** The encoders changed since the model was trained. */
  'model-stale',
  /** Another long stage is running. */
  'busy',
  /** Fewer than two classes, or a class that is not in the schema. */
  'classes',
  /** Too few human labels for a class. */
  'too-few-labels',
  /** An item id that is not in the last scan. */
  'unknown-item',
  /** No pending proposal for an item. */
  'no-proposal',
  /** Items could not be read since they were scanned. */
  'unreadable',
  /** The project was opened without a job runner (read and label only): training stages need one. */
  'no-runner',
] as const;
export type ProjectErrorCode = (typeof PROJECT_ERROR_CODES)[number];

export class ProjectError extends Error {
  override name = 'ProjectError';
  constructor(
    readonly code: ProjectErrorCode,
    message: string,
  ) {
    super(message);
  }
}
