import { createHash } from 'node:crypto';

/**
 * A short reference to one approval of one task, for buttons and for `/approve <ref>` typed in a
 * chat: approval ids are the agent's and may be long (a Telegram button carries 64 bytes). Eight
 * hex digits of a hash, looked up among the approvals the chat's tasks wait on, never stored.
 */
export function approvalRef(taskId: string, approvalId: string): string {
  return createHash('sha256').update(`${taskId}\n${approvalId}`).digest('hex').slice(0, 8);
}

/** `/approve <ref>` or `/deny <ref> [reason]` (a bot mention after the command is allowed). */
export function parseApprovalCommand(
  text: string,
): { approved: boolean; ref: string; reason?: string } | undefined {
  const match = /^\/(approve|deny)(?:@\w+)?\s+([0-9a-f]{8})\b\s*(.*)$/is.exec(text.trim());
  if (!match) return undefined;
  const reason = match[3]?.trim();
  return {
    approved: match[1]!.toLowerCase() === 'approve',
    ref: match[2]!.toLowerCase(),
    ...(reason ? { reason } : {}),
  };
}
