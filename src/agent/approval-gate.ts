export interface PendingApproval {
  approvalId: string;
  toolCallId: string;
  toolName: string;
}

export interface ApprovalAnswer extends PendingApproval {
  approved: boolean;
  reason?: string;
}

export type ApprovalWait = 'answered' | 'interrupted';

/**
 * The tool approval requests of a run that wait for the operator. An answer may arrive while
 * the model stream is still running (the request chunk is relayed at once), so answers are kept
 * until the run collects them.
 */
export class ApprovalGate {
  private readonly pending = new Map<string, PendingApproval>();
  private readonly answers = new Map<string, ApprovalAnswer>();
  private wake: ((result: ApprovalWait) => void) | undefined;

  request(approval: PendingApproval): void {
    this.pending.set(approval.approvalId, approval);
  }

  get waiting(): number {
    return this.pending.size - this.answers.size;
  }

  get size(): number {
    return this.pending.size;
  }

  /** False when no such request waits (unknown id, or already answered). */
  answer(approvalId: string, approved: boolean, reason?: string): boolean {
    const request = this.pending.get(approvalId);
    if (!request || this.answers.has(approvalId)) return false;
    this.answers.set(approvalId, { ...request, approved, ...(reason ? { reason } : {}) });
    if (this.waiting === 0) this.wake?.('answered');
    return true;
  }

  /** Resolves when every request has an answer, or when interrupt() is called. */
  wait(): Promise<ApprovalWait> {
    if (this.waiting === 0) return Promise.resolve('answered');
    return new Promise((resolve) => {
      this.wake = (result) => {
        this.wake = undefined;
        resolve(result);
      };
    });
  }

  interrupt(): void {
    this.wake?.('interrupted');
  }

  /** Every answered request, in request order; clears the gate for the next run. */
  takeAnswers(): ApprovalAnswer[] {
    const result = [...this.pending.keys()].flatMap((id) => this.answers.get(id) ?? []);
    this.clear();
    return result;
  }

  /** Every request, answered or not, in request order; clears the gate. */
  takeRequests(): PendingApproval[] {
    const result = [...this.pending.values()];
    this.clear();
    return result;
  }

  private clear(): void {
    this.pending.clear();
    this.answers.clear();
  }
}
