import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ReportClaim, TaskReport } from '../protocol/index.ts';
import type { EvidenceLog } from './evidence-log.ts';

/** What the model states through the `report` tool: claims, each citing tool call ids. */
export const ReportStatementSchema = z.strictObject({
  summary: z.string().max(4_000).describe('Two or three sentences: what was done and what is left.'),
  claims: z
    .array(
      z.strictObject({
        text: z.string().min(1).max(2_000).describe('One checkable statement, e.g. "tests pass".'),
        evidence: z
          .array(z.string().min(1).max(200))
          .max(50)
          .describe('The evidenceId (tool call id) of every tool call that proves the claim.'),
      }),
    )
    .max(100),
});
export type ReportStatement = z.infer<typeof ReportStatementSchema>;

export type { ReportClaim, TaskReport } from '../protocol/index.ts';

export function verifyClaims(statement: ReportStatement, log: EvidenceLog): ReportClaim[] {
  return statement.claims.map((claim, index) => {
    const citations = [...new Set(claim.evidence.map((id) => id.trim()).filter(Boolean))];
    const unknown = citations.filter((id) => log.forCall(id).length === 0);
    const evidence = citations.flatMap((id) => log.forCall(id));
    const proven = evidence.some((item) => item.kind !== 'tool-call' || item.ok);
    const notes: string[] = [];
    if (citations.length === 0) notes.push('cites no evidence');
    else if (evidence.length > 0 && !proven) notes.push('every cited tool call failed');
    if (unknown.length > 0) notes.push(`no recorded tool call with id ${unknown.join(', ')}`);
    return {
      id: `claim-${index + 1}`,
      text: claim.text,
      status: proven ? 'verified' : 'unverified',
      citations,
      evidence,
      ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    };
  });
}

export function buildReport(options: {
  taskId: string;
  status: TaskReport['status'];
  statement: ReportStatement | undefined;
  log: EvidenceLog;
  /** The agent's final text, used when it stated no claims. */
  finalText: string;
  now: Date;
}): TaskReport {
  const { statement, log } = options;
  const claims = statement ? verifyClaims(statement, log) : fallbackClaims(options.finalText);
  const verified = claims.filter((claim) => claim.status === 'verified').length;
  const evidence = log.all();
  return {
    version: 1,
    taskId: options.taskId,
    status: options.status,
    createdAt: options.now.toISOString(),
    summary: statement?.summary ?? options.finalText.slice(0, 4_000),
    statedByAgent: statement !== undefined,
    claims,
    counts: {
      claims: claims.length,
      verified,
      unverified: claims.length - verified,
      evidence: evidence.length,
    },
    evidence,
  };
}

/** Without a statement, the final answer is one claim that nothing links to proof. */
function fallbackClaims(finalText: string): ReportClaim[] {
  const text = finalText.trim();
  if (!text) return [];
  return [
    {
      id: 'claim-1',
      text: text.length > 2_000 ? `${text.slice(0, 1_999)}…` : text,
      status: 'unverified',
      citations: [],
      evidence: [],
      note: 'the agent did not state its claims with evidence (no report tool call)',
    },
  ];
}

/** Writes the report atomically, so a reader never sees half a file. */
export async function saveReport(path: string, report: TaskReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(report, null, 2)}\n`);
  await rename(temporary, path);
}
