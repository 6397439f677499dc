/**
 * The closed sets of names every part shares — engine, worker, CLI, extension host and webviews — as values, with
 * their types derived from them, so that a validator and a type can never disagree. Imports nothing.
 */

// The modalities are not here: each is registered by one line in src/protocol/modalities.ts, with its data.

/**
 * Where an item comes from: a whole image file, a whole text file, one row of a JSONL/CSV file, or an audio clip (a
 * whole file or one window `talk.wav#3` of a long recording).
 */
export const ITEM_KINDS = ['image', 'text', 'row', 'audio'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

/** The long stages that report progress. */
export const STAGES = ['scan', 'pretrain', 'embed', 'train', 'propose', 'export', 'import'] as const;
export type Stage = (typeof STAGES)[number];

/** The tfjs backends that can run, and what a user may ask for. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const BACKEND_PREFERENCES = ['auto', ...BACKEND_NAMES] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

/** Where a label event comes from (the journal's `source`). */
export const LABEL_SOURCES = ['human', 'accepted', 'corrected', 'rejected', 'imported', 'removed', 'undo'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

/** Why an item is suggested for a human label. */
export const SUGGESTION_REASONS = ['uncertain', 'disagreement', 'diverse'] as const;
export type SuggestionReason = (typeof SUGGESTION_REASONS)[number];
