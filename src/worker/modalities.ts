/**
 * The worker faces of the modalities, derived from the registry (src/core/modalities/index.ts): each modality's
 * `worker()` loads its worker.ts (bundled into dist/worker.js only). Nothing here lists the modalities.
 */
import { MODALITIES, isModality, type Modality, type OwnJobName } from '../protocol/modalities';
import type { JobHandlers, JobTypes } from '../protocol/jobs';
import type { ModalityWorker, WorkerSide } from '../core/modalities/types';
import { modalities } from '../core/modalities';

/** Why `side` (what a registration's `worker()` gave) is not modality `name`'s worker side, or undefined if it is. */
export function workerSideProblem(name: string, side: unknown): string | undefined {
  const where = `src/core/modalities/${name}/modality.ts`;
  if (typeof side !== 'object' || side === null || !('face' in side) || !('jobs' in side))
    return `${where}: worker() must give { face, jobs }`;
  const { face, jobs } = side;
  if (typeof face !== 'object' || face === null || !('name' in face) || face.name !== name)
    return `${where}: its worker face is not the "${name}" worker`;
  if (typeof jobs !== 'object' || jobs === null) return `${where}: its worker side has no jobs object`;
  const notHandlers = Object.entries(jobs).filter(([, h]) => typeof h !== 'function');
  if (notHandlers.length) return `${where}: job ${notHandlers.map(([k]) => `"${k}"`).join(', ')} has no handler`;
  return undefined;
}

/** The worker side of modality `m` (its worker face and own jobs), checked to be that modality's. */
export async function workerSideOf<M extends Modality>(m: M): Promise<WorkerSide<M>> {
  const side = await modalities[m].worker();
  const problem = workerSideProblem(m, side);
  if (problem) throw new Error(problem);
  return side;
}

/** The worker face for a job's data, by the data's `kind`; a kind nobody registered is refused with a clear error. */
export async function workerForData(data: unknown): Promise<ModalityWorker> {
  const kind = typeof data === 'object' && data !== null && 'kind' in data ? data.kind : undefined;
  if (!isModality(kind)) throw new Error(`no modality "${String(kind)}" is registered (src/protocol/modalities.ts)`);
  return (await workerSideOf(kind)).face;
}

/** The modalities' own jobs in one registry; a job two modalities both serve is refused. */
export function mergeOwnJobs<H>(sides: readonly { face: { name: string }; jobs: { [job: string]: H } }[]): { [job: string]: H } {
  const jobs: { [job: string]: H } = {};
  const owner = new Map<string, string>();
  for (const side of sides)
    for (const [job, handler] of Object.entries(side.jobs)) {
      const other = owner.get(job);
      if (other !== undefined) throw new Error(`job "${job}" is served by two modalities: ${other} and ${side.face.name}`);
      owner.set(job, side.face.name);
      jobs[job] = handler;
    }
  return jobs;
}

/** The jobs the modalities serve themselves, from every modality's worker side. */
export async function loadModalityJobs(): Promise<JobHandlers<Pick<JobTypes, OwnJobName>>> {
  const sides = await Promise.all(MODALITIES.map((m) => workerSideOf(m)));
  // Each modality's side serves exactly the jobs its contract names (WorkerSide<M>, checked where it is defined), and
  // every modality's side is in `sides`: together they are every own job, each once.
  return mergeOwnJobs(sides) as JobHandlers<Pick<JobTypes, OwnJobName>>;
}
