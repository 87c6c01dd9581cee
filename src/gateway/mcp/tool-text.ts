import type {
  GatewayMcpPendingApproval,
  TaskMessageView,
  TaskReport,
  TaskView,
  ViberView,
} from '../../protocol/index.ts';
import { brief, clip } from './stream-text.ts';

// The text half of each tool's answer, for the model: the structured half carries every field,
// this says what matters in a few lines and which tool to call next.

export function taskText(task: TaskView): string {
  const lines = [`Task ${task.id} on viber ${task.viberId}: ${task.status}${stopNote(task)}.`];
  lines.push(`Goal: ${clip(task.goal, 300)}`);
  if (task.status === 'completed' && task.result) lines.push(`Answer:\n${task.result.text}`);
  if (task.error) lines.push(`${task.status === 'stopped' ? 'Stopped' : 'Error'}: ${task.error}`);
  if (task.usage) lines.push(`Tokens: ${task.usage.totalTokens}${cost(task.usage.costUsd)}.`);
  return lines.join('\n');
}

const stopNote = (task: TaskView) =>
  task.stopRequested && task.status === 'running' ? ', stop requested' : '';
const cost = (usd: number | undefined) => (usd === undefined ? '' : ` ($${usd.toFixed(4)})`);

export function approvalsText(approvals: readonly GatewayMcpPendingApproval[]): string {
  if (approvals.length === 0) return '';
  const lines = approvals.map(
    (approval) =>
      `- approvalId ${approval.approvalId}: ${approval.toolName ?? 'a tool call'} ${brief(approval.input)}`,
  );
  return `Waiting for your approval (answer with answer_approval):\n${lines.join('\n')}`;
}

export function messagesText(messages: readonly TaskMessageView[]): string {
  if (messages.length === 0) return '';
  const lines = messages.map(
    (message) =>
      `- ${message.injectionMode}${message.deliveredAt ? '' : ' (not delivered yet)'}: ${clip(message.message, 200)}`,
  );
  return `Follow-up messages:\n${lines.join('\n')}`;
}

export function vibersText(vibers: readonly ViberView[], nextCursor: string | null): string {
  if (vibers.length === 0) return 'No viber matches.';
  const lines = vibers.map((viber) => {
    const platform = viber.info ? `, ${viber.info.platform}` : '';
    return `- ${viber.name} (${viber.id}): ${viber.presence}${platform}`;
  });
  const more = nextCursor ? `\nMore vibers: call list_vibers with cursor "${nextCursor}".` : '';
  return `${vibers.length} viber${vibers.length === 1 ? '' : 's'}:\n${lines.join('\n')}${more}`;
}

export function reportText(report: TaskReport): string {
  const { counts } = report;
  const lines = [
    `Report of task ${report.taskId} (${report.status}): ${counts.verified} of ${counts.claims} claims verified, ${counts.evidence} pieces of evidence.`,
    report.summary,
  ];
  for (const claim of report.claims) {
    const proof = claim.evidence.map(evidenceText).join('; ');
    const why =
      claim.status === 'verified'
        ? proof
          ? ` (evidence: ${proof})`
          : ''
        : claim.note
          ? ` (${claim.note})`
          : '';
    lines.push(`- ${claim.status}: ${claim.text}${why}`);
  }
  if (!report.statedByAgent) lines.push('The agent stated no claims: its final text stands unverified.');
  return lines.join('\n');
}

function evidenceText(evidence: TaskReport['evidence'][number]): string {
  switch (evidence.kind) {
    case 'tool-call':
      return `${evidence.tool} ${clip(evidence.input, 120)} ${evidence.ok ? 'succeeded' : 'failed'}`;
    case 'file':
      return `file ${evidence.path} (${evidence.bytes} bytes, sha256 ${evidence.sha256.slice(0, 12)}…)`;
    case 'url':
      return `${evidence.url} answered ${evidence.status}`;
  }
}

/** Paragraphs, leaving out the empty ones. */
export function paragraphs(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('\n\n');
}
