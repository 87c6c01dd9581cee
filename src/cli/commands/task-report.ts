import { styleText } from 'node:util';
import type { GatewayClient } from '../../client/index.ts';
import { type Evidence, ScreenshotParamsSchema, type TaskReport } from '../../protocol/index.ts';

/**
 * `viber task report` as text: the board's report card in a terminal. The claims with the proofs
 * they cite, then every piece of evidence the task recorded (cited or not), as the board's
 * "All evidence" lists it: its kind, what it is, and for a screenshot its path on the viber and
 * the gateway URL of the image.
 */
export function describeReport(report: TaskReport, client: GatewayClient): string {
  const { verified, unverified, evidence } = report.counts;
  const tally = report.statedByAgent
    ? `${styleText('green', `${verified} verified`)}, ${styleText(unverified ? 'yellow' : 'dim', `${unverified} unverified`)}`
    : styleText('yellow', 'no claims stated');
  const lines = [
    `${styleText('bold', 'report')} ${report.taskId}  ${tally}, ${evidence} piece${evidence === 1 ? '' : 's'} of evidence`,
  ];
  if (!report.statedByAgent) {
    lines.push(
      styleText(
        'dim',
        report.claims.length > 0
          ? '  The agent stated no claims with evidence: its final answer stands unverified.'
          : '  The task ended before the agent gave an answer or stated claims.',
      ),
    );
  } else if (report.summary) lines.push(`  ${report.summary}`);
  for (const claim of report.statedByAgent ? report.claims : []) {
    const mark = claim.status === 'verified' ? styleText('green', '✓') : styleText('yellow', '?');
    lines.push(`  ${mark} ${claim.text}${claim.note ? styleText('dim', ` (${claim.note})`) : ''}`);
    for (const item of claim.evidence) {
      lines.push(
        ...describeEvidence(item, client, report.taskId).map((line) => styleText('dim', `      ${line}`)),
      );
    }
  }
  if (report.evidence.length > 0) {
    lines.push(`  ${styleText('bold', 'evidence')}`);
    for (const item of report.evidence) {
      lines.push(
        ...describeEvidence(item, client, report.taskId).map(
          (line, index) => `    ${index ? '  ' : '- '}${line}`,
        ),
      );
    }
  }
  return lines.join('\n');
}

/** One piece of evidence: its first line names the kind and what it is; a screenshot adds its URL. */
function describeEvidence(evidence: Evidence, client: GatewayClient, taskId: string): string[] {
  const call = `(${evidence.toolCallId})`;
  if (evidence.kind === 'tool-call') {
    const output = evidence.outputExcerpt.replace(/\s+/g, ' ').trim().slice(0, 80);
    return [
      `tool-call ${evidence.tool} ${evidence.input} → ${evidence.ok ? '' : 'failed: '}${output} ${call}`,
    ];
  }
  if (evidence.kind === 'url') return [`url ${evidence.url} (${evidence.status}) ${call}`];
  const image = screenshotUrl(client, taskId, evidence);
  const digest = `sha256:${evidence.sha256.slice(0, 12)}`;
  if (!image) return [`file ${evidence.path} ${digest} ${call}`];
  return [
    `screenshot ${evidence.path} (on the viber) ${digest}`,
    ...(evidence.action ? [`  taken by ${evidence.action} ${call}`] : []),
    `  ${image}`,
  ];
}

/**
 * Where the gateway serves a screenshot the evidence names (GET /api/tasks/:id/screenshots/:name,
 * with the operator's credentials), or undefined when the evidence is not an image.
 */
function screenshotUrl(client: GatewayClient, taskId: string, evidence: Evidence): string | undefined {
  if (evidence.kind !== 'file' || !evidence.mediaType?.startsWith('image/')) return undefined;
  const name = evidence.path.split(/[\\/]/).at(-1) ?? '';
  if (!ScreenshotParamsSchema.shape.name.safeParse(name).success) return undefined;
  return client.url('tasks.screenshot', { params: { id: taskId, name } });
}
