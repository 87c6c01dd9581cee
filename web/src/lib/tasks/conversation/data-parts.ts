/** The data parts the agent streams (docs/agent.md): their shapes as the board reads them. */

export interface PlanData {
  steps: { id: string; title: string; status: 'pending' | 'in_progress' | 'done' | 'blocked' }[];
  updatedAt?: string;
}

export type EvidenceData =
  | { kind: 'tool-call'; toolCallId: string; tool: string; input: string; outputExcerpt: string; ok: boolean }
  | { kind: 'file'; toolCallId: string; path: string; sha256: string; bytes: number }
  | { kind: 'url'; toolCallId: string; url: string; status: number };

export interface ReportData {
  status: 'completed' | 'error' | 'stopped';
  summary: string;
  statedByAgent: boolean;
  claims: {
    id: string;
    text: string;
    status: 'verified' | 'unverified';
    citations: string[];
    evidence: EvidenceData[];
    note?: string;
  }[];
  counts: { claims: number; verified: number; unverified: number; evidence: number };
  evidence: EvidenceData[];
}

export interface ArtifactData {
  name: string;
  path: string;
  mediaType?: string;
  bytes?: number;
  sha256?: string;
}

/** The latest `data-<kind>` part over all messages (the plan and report are updated in place). */
export function latestData<T>(messages: { parts: { type: string }[] }[], type: string): T | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const parts = messages[index]!.parts;
    for (let partIndex = parts.length - 1; partIndex >= 0; partIndex--) {
      const part = parts[partIndex] as { type: string; data?: unknown };
      if (part.type === type) return part.data as T;
    }
  }
  return undefined;
}
