/**
 * A scripted job that runs until its signal stops it: what the tests' fake job runners return for a long job (the
 * scratch network's full train, a part of the neighbour graph) whose stopping is what they check.
 */
import { AbortError } from '../../src/core/util/progress';

/** A promise that never resolves and rejects with AbortError once `signal` aborts (at once if it has); `onStop` runs first. */
export function untilAborted(signal: AbortSignal | undefined, onStop: () => void): Promise<never> {
  return new Promise((_, reject) => {
    const stop = () => {
      onStop();
      reject(new AbortError());
    };
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}
