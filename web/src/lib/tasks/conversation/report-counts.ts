import type { TaskReport } from '#lib/protocol.ts';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * The report card's one-line summary, in the same terms as its body. When the agent stated no
 * claims, its final answer stands as one unverified "claim" in the report's counts; the card says
 * "no claims stated" rather than "0 of 1 claim verified", which would read as a claim that failed.
 */
export function reportCountsLine(report: Pick<TaskReport, 'statedByAgent' | 'counts'>): string {
  const { claims, verified, evidence } = report.counts;
  const claimsPart = !report.statedByAgent
    ? 'no claims stated'
    : claims === 0
      ? 'no claims'
      : `${verified} of ${plural(claims, 'claim')} verified`;
  return `${claimsPart} · ${evidence} piece${evidence === 1 ? '' : 's'} of evidence`;
}
