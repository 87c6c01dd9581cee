import type { ToolModelMessage, UIMessageChunk } from 'ai';
import type { ApprovalAnswer, PendingApproval } from './approval-gate.ts';

export const DEFAULT_DENIAL = 'The operator denied this action.';
export const STEER_DENIAL =
  'Not run: the operator sent a new message before answering; follow that message instead.';

/** What the operator's answers add: response chunks for watchers, one tool message for the model. */
export function answerParts(answers: ApprovalAnswer[]): {
  chunks: UIMessageChunk[];
  message: ToolModelMessage;
} {
  const decided = answers.map((answer) => ({
    ...answer,
    reason: answer.reason ?? (answer.approved ? undefined : DEFAULT_DENIAL),
  }));
  return {
    chunks: decided.map((answer) => ({
      type: 'tool-approval-response',
      approvalId: answer.approvalId,
      approved: answer.approved,
      ...(answer.reason ? { reason: answer.reason } : {}),
    })),
    // The next streamText call reads these: approved calls run, denied ones become execution-denied.
    message: {
      role: 'tool',
      content: decided.map((answer) => ({
        type: 'tool-approval-response',
        approvalId: answer.approvalId,
        approved: answer.approved,
        ...(answer.reason ? { reason: answer.reason } : {}),
      })),
    },
  };
}

/**
 * A steer supersedes every action still waiting: none runs. The tool message carries the denied
 * results itself, because no streamText continuation will produce them.
 */
export function steerDenialParts(requests: PendingApproval[]): {
  chunks: UIMessageChunk[];
  message: ToolModelMessage;
} {
  return {
    chunks: requests.flatMap((request): UIMessageChunk[] => [
      {
        type: 'tool-approval-response',
        approvalId: request.approvalId,
        approved: false,
        reason: STEER_DENIAL,
      },
      { type: 'tool-output-denied', toolCallId: request.toolCallId },
    ]),
    message: {
      role: 'tool',
      content: requests.flatMap((request) => [
        {
          type: 'tool-approval-response' as const,
          approvalId: request.approvalId,
          approved: false,
          reason: STEER_DENIAL,
        },
        {
          type: 'tool-result' as const,
          toolCallId: request.toolCallId,
          toolName: request.toolName,
          output: { type: 'execution-denied' as const, reason: STEER_DENIAL },
        },
      ]),
    },
  };
}
