import { type Tool, tool, zodSchema } from 'ai';
import type { EvidenceLog } from './evidence-log.ts';
import { type ReportStatement, ReportStatementSchema, verifyClaims } from './report.ts';

export const REPORT_TOOL_NAME = 'report';

const DESCRIPTION = [
  'State the outcome of the task as claims, each linked to proof, before your final answer.',
  'Every tool result carries an `evidenceId`: cite the evidenceIds of the tool calls that prove each claim',
  '(the command that ran the tests, the write that created the file, the fetch of the URL).',
  'A claim that cites nothing, or only failed calls, is shown to the operator as UNVERIFIED.',
  'Call it again to replace the statement (for example after verifying more).',
].join(' ');

/** Shared by every task: the SDK converts it to JSON Schema once, not at every task's first call. */
const INPUT_SCHEMA = zodSchema(ReportStatementSchema);

/**
 * The agent's own `report` tool: the model states its claims; the answer tells it at once which
 * claims are verified, so it can gather missing proof before it finishes. The last statement wins.
 */
export function createReportTool(log: EvidenceLog, onStatement: (statement: ReportStatement) => void): Tool {
  return tool({
    description: DESCRIPTION,
    inputSchema: INPUT_SCHEMA,
    execute: async (statement: ReportStatement) => {
      onStatement(statement);
      const claims = verifyClaims(statement, log);
      const verified = claims.filter((claim) => claim.status === 'verified').length;
      return {
        recorded: true,
        verified,
        unverified: claims.length - verified,
        claims: claims.map((claim) => ({
          text: claim.text,
          status: claim.status,
          ...(claim.note ? { note: claim.note } : {}),
        })),
      };
    },
  });
}
