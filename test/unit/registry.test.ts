/**
 * The modalities' registry (ARCHITECTURE.md, "Adding a modality"): one line per modality in
 * src/protocol/modalities.ts, everything else derived — the lists agree (names, host faces, worker faces, the jobs
 * each owns, the product's job registry); a fake modality's folder (test/fixtures/modality/fake) goes through the
 * same checks and merge a new folder goes through; what is wrong in a folder is refused with a message naming it; and
 * what the compiler refuses (checked by `npm run typecheck` through the @ts-expect-error lines).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MODALITIES, MODALITY_CONTRACTS, isModality, type Modality } from '../../src/protocol/modalities';
import type { JobName } from '../../src/protocol/jobs';
import { modalities, modalityPlugins, registrationOf, registrationProblem } from '../../src/core/modalities';
import { defineModality, type ModalityPlugin } from '../../src/core/modalities/types';
import { mergeOwnJobs, workerForData, workerSideOf, workerSideProblem } from '../../src/worker/modalities';
import { loadProductJobs } from '../../src/worker/jobs';
import * as fake from '../fixtures/modality/fake/modality';

/** The jobs every modality goes through (src/worker/jobs.ts), as the product serves them. */
const CORE_JOBS: JobName[] = ['pretrain', 'embed', 'fit', 'graph', 'predict', 'mapPca', 'mapUmap'];

test('the derived lists agree: names, registrations, host and worker faces, own jobs, the product registry', async () => {
  assert.deepEqual([...MODALITIES], Object.keys(MODALITY_CONTRACTS));
  assert.deepEqual([...MODALITIES], ['image', 'text', 'audio'], 'the order of the contracts (scan, settings, status)');
  assert.deepEqual(Object.keys(modalities), [...MODALITIES]);
  assert.deepEqual(Object.keys(modalityPlugins), [...MODALITIES]);
  const sides = [];
  for (const m of MODALITIES) {
    assert.equal(modalities[m].name, m);
    assert.equal(modalities[m].host, modalityPlugins[m]);
    assert.equal(modalityPlugins[m].name, m);
    const side = await workerSideOf(m);
    assert.equal(side.face.name, m);
    assert.deepEqual([...side.face.pretextTasks], [...modalityPlugins[m].pretextTasks], `${m}: host and worker tasks`);
    assert.ok(Object.keys(side.jobs).length > 0, `${m} owns jobs`);
    sides.push(side);
  }
  // Every product job is a core job or owned by exactly one modality, and the product serves nothing else.
  const own = mergeOwnJobs(sides);
  const product = await loadProductJobs();
  assert.deepEqual(Object.keys(product).sort(), [...CORE_JOBS, ...Object.keys(own)].sort());
  for (const job of CORE_JOBS) assert.ok(!(job in own), `${job} is a core job, owned by no modality`);
  // Pretrain and embed reach the face of the data's modality, and refuse a kind nobody registered.
  assert.equal((await workerForData({ kind: 'text', texts: [] })).name, 'text');
  await assert.rejects(workerForData({ kind: 'fake' }), /no modality "fake" is registered \(src\/protocol\/modalities\.ts\)/);
  await assert.rejects(workerForData(undefined), /no modality "undefined" is registered/);
  assert.equal(isModality('audio'), true);
  assert.equal(isModality('toString'), false, 'only own names, not the prototype’s');
});

test('a fake modality folder goes through the checks and the merge of a new folder, and serves its jobs', async () => {
  assert.equal(registrationProblem('fake', fake), undefined);
  const side = await fake.modality.worker();
  assert.equal(workerSideProblem('fake', side), undefined);
  const productSides = await Promise.all(MODALITIES.map((m) => workerSideOf(m)));
  const jobs = mergeOwnJobs<unknown>([...productSides, side]);
  assert.equal(jobs.fakeDouble, side.jobs.fakeDouble, 'its own job is in the merged registry');
  assert.equal(jobs.decodeImages, productSides[0].jobs.decodeImages, 'beside the others');
  assert.deepEqual(await side.jobs.fakeDouble({ values: [1, 2] }), { result: { values: [2, 4] } });
  const { data } = await fake.modality.host.load(undefined, '/', [{ id: 'a.fake' }, { id: 'b.fake' }]);
  assert.deepEqual(await side.face.embed(data), { embeddings: Float32Array.from([0, 1]), dim: 1 });
  assert.deepEqual([...side.face.pretextTasks], [...fake.modality.host.pretextTasks]);
  // The same fake, wrong in each way a new folder can be wrong, is refused with a message naming the folder.
  assert.match(registrationProblem('speech', fake) ?? '', /src\/core\/modalities\/speech\/modality\.ts registers "fake", not "speech"/);
  assert.match(registrationProblem('fake', { fakeModality: fake.modality }) ?? '', /exports no "modality"/);
  assert.match(
    registrationProblem('fake', { modality: { ...fake.modality, host: modalityPlugins.text } }) ?? '',
    /host face is not the "fake" plugin/,
  );
  assert.match(registrationProblem('fake', { modality: { name: 'fake', host: fake.modality.host } }) ?? '', /not a defineModality/);
  assert.match(
    registrationProblem('fake', { modality: { ...fake.modality, worker: 'worker.ts' } }) ?? '',
    /"worker" must load the worker face/,
  );
  assert.match(workerSideProblem('fake', { face: productSides[1].face, jobs: {} }) ?? '', /worker face is not the "fake" worker/);
  assert.match(workerSideProblem('fake', { face: side.face, jobs: { fakeDouble: 'x' } }) ?? '', /job "fakeDouble" has no handler/);
  assert.throws(
    () => mergeOwnJobs<unknown>([...productSides, side, { ...side, face: { name: 'fake2' } }]),
    /job "fakeDouble" is served by two modalities: fake and fake2/,
  );
  assert.throws(
    () =>
      registrationOf('image', () => {
        throw new Error('Cannot find module');
      }),
    /modality "image" is registered but src\/core\/modalities\/image\/modality\.ts cannot be loaded: Cannot find module/,
  );
  assert.throws(() => registrationOf('image', () => fake), /registers "fake", not "image"/);
});

test('what the compiler refuses (npm run typecheck)', () => {
  // @ts-expect-error: a name not in src/protocol/modalities.ts is not a Modality
  const speech: Modality = 'speech';
  // @ts-expect-error: a registration whose host face is another modality's
  const mixed = defineModality({ name: 'audio', host: modalityPlugins.text, worker: modalities.audio.worker });
  // @ts-expect-error: a registration whose worker side is another modality's
  const crossed = defineModality({ name: 'text', host: modalityPlugins.text, worker: modalities.audio.worker });
  // @ts-expect-error: a registry without audio
  const partial: { [M in Modality]: ModalityPlugin<M> } = { image: modalityPlugins.image, text: modalityPlugins.text };
  assert.ok(speech && mixed && crossed && partial);
});
