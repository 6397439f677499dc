/**
 * The label store: `.selflabel/classes.json` + the append-only journal `.selflabel/labels.jsonl`, with undo,
 * compaction, and CSV import / csv-jsonl-folders export. Plain Node, no VS Code.
 */
export {
  LabelStore,
  StoreError,
  ClassesInUseError,
  validateClasses,
  classNameProblem,
  STORE_DIR,
  GITIGNORE,
  GITATTRIBUTES,
  MAX_CLASS_NAME,
} from './labelStore';
export type { RecordInput, SchemaChange, UndoStep } from './labelStore';
export { LabelState, validateEvent, isBatchLine, LABEL_SOURCES, SETTING_SOURCES } from './state';
export {
  importCsv,
  importParquet,
  importFolders,
  exportLabels,
  recoverInterruptedExport,
  recoverPendingExports,
  csvSafe,
  csvUnsafe,
  EXPORT_MARKER,
} from './importExport';
export { itemIdProblem, assertItemId, MAX_ITEM_ID_LENGTH } from './itemId';
export type { ImportResult, ExportOptions, ExportResult } from './importExport';
export { acquireLock, atomicWriteFile, writeError, LOCK_STALE_MS } from './fsutil';
