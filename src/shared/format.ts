/**
 * The one set of number and word formatters SelfLabel shows to people: the extension host (notifications, CodeLens,
 * status bar, quick picks), both webviews and, later, the CLI. Pure functions with no imports at all (no node, no
 * vscode, no DOM), so every side bundles the same copy and shows the same text for the same number.
 */

/** A confidence with two decimals, rounded down so that 0.999 shows as 0.99 (never a "1.00" that is not certain). */
export function formatConfidence(c: number): string {
  if (!Number.isFinite(c)) return '';
  return (Math.floor(Math.min(1, Math.max(0, c)) * 100) / 100).toFixed(2);
}

/** "12 s", "3 min 05 s", "2 h 10 min"; "" for an unknown, negative or infinite time. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The length of an audio clip: "0.8 s", "12 s", "1:05"; "" for an unknown or negative length. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 9.95) return `${seconds.toFixed(1)} s`;
  if (seconds < 59.5) return `${Math.round(seconds)} s`;
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Progress as a count: "16/30", or "16" without a total. Stages that split a step into parts report a fractional
 * `done` (16.2857… of 30 training steps); it is shown rounded down, never with its float digits.
 */
export function formatCount(done: number, total?: number): string {
  const d = Number.isFinite(done) ? Math.floor(Math.max(0, done)) : 0;
  return total !== undefined && Number.isFinite(total) ? `${d}/${Math.round(total)}` : `${d}`;
}

/** "97.3%" from 0.973 (`digits` after the point); "n/a" for a value that is not a finite number. */
export function formatPercent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return `${(x * 100).toFixed(digits)}%`;
}

/**
 * "1 proposal", "2 proposals", "0 proposals" (the count, a space, the noun); `many` for irregular plurals
 * ("1 class", "3 classes" needs `plural(3, 'class', 'classes')`).
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The noun alone, for a count shown elsewhere: `noun(1, 'item')` = "item", `noun(2, 'item')` = "items". */
export function noun(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/**
 * The expected precision of a proposal set: "n/a" when there is nothing to be precise about (0 proposals), else a
 * percent ("96.5%").
 */
export function formatPrecision(precision: number | null | undefined, proposals: number): string {
  return proposals > 0 ? formatPercent(precision) : 'n/a';
}

/**
 * Why a trained model's confidence is capped (TrainSummary.chosen.cap), in words: what the CLI and the side panel say.
 */
export function capReason(cap: { value: number; pushed?: { rows: number; right: number } }): string {
  const why = cap.pushed
    ? `after self-training, ${cap.pushed.right} of the ${cap.pushed.rows} held-out label(s) it made confident were right`
    : 'no held-out label reached the proposals’ threshold';
  return `confidence capped at ${formatPercent(cap.value)}: ${why}`;
}

/**
 * What `propose` says when no unlabelled item reaches the threshold: the surest one under it (ProposalSet.below) and
 * the next step, so that "0 proposals" is not a dead end. Undefined when there are proposals or nothing is left to label.
 */
export function noProposalsHint(
  set: { threshold: number; proposals: readonly unknown[]; below?: readonly { item: string; label: string; confidence: number }[] },
  unlabelled: number,
): string | undefined {
  if (set.proposals.length > 0 || unlabelled <= 0) return undefined;
  const top = set.below?.[0];
  const surest = top
    ? `the surest of the ${unlabelled} unlabelled item(s) is ${top.item} (${top.label}, ${formatPercent(top.confidence)})`
    : `none of the ${unlabelled} unlabelled item(s) has a class left to propose`;
  return `no item reaches ${formatPercent(set.threshold)}: ${surest}. Next: label the items the model is least sure about (suggest), then train again; or propose with a lower --threshold`;
}

/** A candidate's self-training check as the train summary carries it (src/core/train/crossval.ts SelfTrainingCheck). */
interface CandidateCheck {
  kept: boolean;
  withAccuracy: number;
  withoutAccuracy: number;
}

/**
 * A head's candidates with their held-out accuracy (TrainSummary.chosen.candidates), and for those that were fitted
 * with accepted labels whether the self-training check kept them: "linear-lsa 72.5% (accepted labels kept: 72.5% with
 * them, 70.0% without), spread-nb 65.0%". What the CLI and the bench print.
 */
/**
 * The pool's class priors a train estimated, when they re-weighted its predictions: "pool class priors (from the
 * held-out labels’ confusions) re-weight the predictions: actions 41%, apps 17%, …", largest first (the `top` ones).
 */
export function formatPriors(
  priors:
    | {
        estimate: number[];
        applied: boolean;
        method?: string;
        classes?: string[];
        sample?: { labels: number; accuracy: number | null; via?: string };
      }
    | undefined,
  top = Infinity,
): string | undefined {
  if (!priors?.applied || !priors.classes || priors.classes.length !== priors.estimate.length) return undefined;
  // EM is trusted for a model right often enough on the held-out labels; when some of them do not sample the pool
  // (asked for the model's doubt, corrected), on how many of the others — or, for a model scored on the held-out
  // fifth only, the head it beat there.
  const s = priors.sample;
  const on =
    s && s.accuracy !== null ? `${formatPercent(s.accuracy, 0)} of the ${plural(s.labels, 'held-out label')} that sample the pool` : '';
  const judged = !on
    ? ''
    : s!.via
      ? ` of a model that beat ${s!.via} on the same held-out labels, ${s!.via} being right on ${on}`
      : ` of a model right on ${on}`;
  const how = priors.method === 'bbse' ? 'from the held-out labels’ confusions' : `by EM on the predictions${judged}`;
  const parts = priors.estimate
    .map((q, c) => ({ q, name: priors.classes![c] }))
    .sort((a, b) => b.q - a.q)
    .map((x) => `${x.name} ${formatPercent(x.q, 0)}`);
  const shown = parts.length > top ? [...parts.slice(0, top), '…'] : parts;
  return `pool class priors (${how}) re-weight the predictions: ${shown.join(', ')}`;
}

/**
 * What a fine-tuned network trained on (FinetuneRecord.trainedOn): the human labels apart from the proposals taken as
 * labels (accepted, or the last round's confident ones when self-training), then the teacher's confident guesses.
 * Records before session 29 have no `human` count: their rows are all called labels.
 */
export function formatTrainedOn(t: { labels: number; pseudo: number; human?: number }): string {
  const guesses = plural(t.pseudo, 'confident prediction');
  if (t.human === undefined || t.human >= t.labels) return `${plural(t.labels, 'label')} + ${guesses}`;
  return `${plural(t.human, 'human label')}, ${plural(t.labels - t.human, 'proposal')} taken as labels + ${guesses}`;
}

/**
 * Why an ensemble was chosen below one of its parts' held-out score (chosen.ensembleKept), or undefined: the part's
 * lead on the same labels is within chance.
 */
export function formatEnsembleKept(chosen: {
  name: string;
  heldOut: number;
  ensembleKept?: { over: string; wins: number; losses: number; p: number };
}): string | undefined {
  const k = chosen.ensembleKept;
  if (!k) return undefined;
  return (
    `${chosen.name} kept over ${k.over}: of the ${chosen.heldOut} held-out labels, ${k.over} got ${k.wins} right that ${chosen.name} ` +
    `missed and ${k.losses} wrong that it got right, within chance (sign test p = ${k.p.toFixed(2)})`
  );
}

export function formatCandidates(candidates: { name: string; accuracy: number | null; selfTraining?: CandidateCheck }[]): string {
  return candidates
    .map((c) => {
      const st = c.selfTraining;
      const check = st
        ? ` (accepted labels ${st.kept ? 'kept' : 'dropped'}: ${formatPercent(st.withAccuracy)} with them, ${formatPercent(st.withoutAccuracy)} without)`
        : '';
      return `${c.name} ${formatPercent(c.accuracy)}${check}`;
    })
    .join(', ');
}

/**
 * When the chosen model (or a member of the chosen ensemble, `members`) left the accepted labels out because they
 * lowered its score on the held-out human labels, what the side panel says; "" otherwise.
 */
export function droppedAcceptedNote(chosen: {
  name: string;
  members?: string[];
  candidates: { name: string; selfTraining?: CandidateCheck }[];
}): string {
  const parts = chosen.members ?? [chosen.name];
  const dropped = chosen.candidates.filter((c) => parts.includes(c.name) && c.selfTraining && !c.selfTraining.kept);
  if (!dropped.length) return '';
  const why = dropped
    .map(
      (c) =>
        `${c.name} ${formatPercent(c.selfTraining!.withAccuracy)} with them, ${formatPercent(c.selfTraining!.withoutAccuracy)} without`,
    )
    .join('; ');
  return `accepted labels left out: they lowered the score on the held-out human labels (${why})`;
}
