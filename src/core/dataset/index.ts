/**
 * The dataset layer: scanning a workspace into items (`scanWorkspace`), decoding images, reading text files and
 * JSONL/CSV rows. Plain Node, no VS Code. See scan.ts, image.ts, rows.ts, load.ts.
 */
export {
  scanWorkspace,
  fileKindOf,
  ALWAYS_EXCLUDED_DIRS,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_ROW_FILE_BYTES,
  IMAGE_EXTENSIONS,
  TEXT_EXTENSIONS,
} from './scan';
export type { ScanWorkspaceOptions } from './scan';
export { decodeImage, probeImage, toTensorData, toUint8, MAX_IMAGE_PIXELS } from '../modalities/image/decode';
export type { DecodedImage, ImageInfo } from '../modalities/image/decode';
export { ItemError, abortError } from './errors';
export {
  CsvParser,
  parseCsv,
  csvField,
  csvLine,
  csvTextColumn,
  parseJsonlLine,
  jsonRowText,
  csvRowText,
  readRawRows,
  rowFormatOf,
} from './rows';
export type { CsvRecord, RawRow, RowFormat, RowFileStats } from './rows';
export { loadTexts, loadImage } from './load';
export type { LoadTextsOptions } from './load';
export { contentHash, preview, decodeTextFile, PREVIEW_CHARS } from './text';
