/**
 * The registered modalities: the ONE line a modality adds (ARCHITECTURE.md, "Adding a modality"). Each entry names
 * the modality, the data its worker jobs take (a type of the modality's own folder, `<name>/data.ts`; it crosses the
 * thread boundary, so it is registered here, in the protocol) and the names of its own jobs (typed with the others in
 * ./jobs.ts `JobTypes`). The rest is derived from it: the `Modality` type and the `MODALITIES` list below,
 * `ModalityData` and `DataOf`, and the registries of the host and worker faces, which src/core/modalities/index.ts
 * finds by the name in `src/core/modalities/<name>/modality.ts`.
 *
 * Below every module but the data types: it imports only those (leaves themselves), so that everything can derive
 * from it without an import cycle (the engine's `Item` names its modality, and the modalities' faces import `Item`:
 * the list of names cannot live above the faces).
 */

declare const contract: unique symbol;
/** What a modality is to the rest of the code: `D` the data its jobs take, `J` the names of its own jobs. Only a type. */
export interface ModalityContract<D extends { kind: string }, J extends string> {
  readonly [contract]?: { data: D; jobs: J };
}
const modality = <D extends { kind: string }, J extends string = never>(): ModalityContract<D, J> => ({});

/** The modalities, one line each, in the order the scan, the settings and the status list them. */
export const MODALITY_CONTRACTS = {
  image: modality<
    import('../core/modalities/image/data').ImageData,
    'decodeImages' | 'finetune' | 'finetuneLogits' | 'studentPlan' | 'calibrateLogits' | 'fitPixels' | 'predictPixels'
  >(),
  text: modality<import('../core/modalities/text/data').TextData, 'fitText' | 'predictText'>(),
  audio: modality<
    import('../core/modalities/audio/data').AudioData,
    'audioFeatures' | 'audioSupervised' | 'fitAudio' | 'fitAudioStudent' | 'judgeAudioStudent' | 'predictAudio' | 'audioPreview'
  >(),
};

type Contracts = typeof MODALITY_CONTRACTS;
type ContractOf<M extends Modality> = NonNullable<Contracts[M][typeof contract]>;

/** What kind of model an item is fed to: one plugin each under src/core/modalities/<name>/. */
export type Modality = keyof Contracts;
/** The data each modality's jobs take, by modality. */
export type ModalityData = { [M in Modality]: ContractOf<M>['data'] };
export type DataOf<M extends Modality> = ModalityData[M];
export type ImageData = DataOf<'image'>;
export type TextData = DataOf<'text'>;
export type AudioData = DataOf<'audio'>;
/** The names of the jobs a modality serves itself (all modalities' when `M` is left out). */
export type OwnJobName<M extends Modality = Modality> = ContractOf<M>['jobs'];

/** Whether `v` names a registered modality. */
export function isModality(v: unknown): v is Modality {
  return typeof v === 'string' && Object.hasOwn(MODALITY_CONTRACTS, v);
}

/** The registered modalities' names, in the order of MODALITY_CONTRACTS. */
export const MODALITIES: readonly Modality[] = Object.keys(MODALITY_CONTRACTS).filter(isModality);

/** Compile-time checks of the list above: each data's `kind` is its modality's name, and no two modalities own one job. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type OwnedTwice = { [M in Modality]: OwnJobName<M> & OwnJobName<Exclude<Modality, M>> }[Modality];
export type ContractChecks = [
  { [M in Modality]: Same<ModalityData[M]['kind'], M> }[Modality] extends true ? true : 'a data kind differs from its name',
  Same<OwnedTwice, never> extends true ? true : 'a job is owned by two modalities',
];
export const CONTRACT_CHECKS: ContractChecks = [true, true];
