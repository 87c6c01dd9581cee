/** The data parts the agent streams (docs/agent.md): their shapes as the board reads them. */

export interface PlanData {
  steps: { id: string; title: string; status: 'pending' | 'in_progress' | 'done' | 'blocked' }[];
  updatedAt?: string;
}

export type EvidenceData =
  | { kind: 'tool-call'; toolCallId: string; tool: string; input: string; outputExcerpt: string; ok: boolean }
  | {
      kind: 'file';
      toolCallId: string;
      path: string;
      sha256: string;
      bytes: number;
      /** Set for visual evidence (a screenshot): its media type and the action that took it. */
      mediaType?: string;
      action?: string;
    }
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

/** A `data-screenshot` part without its image (the board loads that from the gateway's route). */
export interface ScreenshotData {
  name: string;
  path: string;
  mediaType: string;
  toolCallId: string;
  action: string;
}

/** The screenshots of a message by the tool call that took them. */
export function screenshotsByCall(parts: { type: string }[]): Map<string, ScreenshotData> {
  const found = new Map<string, ScreenshotData>();
  for (const part of parts as { type: string; data?: ScreenshotData }[]) {
    if (part.type === 'data-screenshot' && part.data) found.set(part.data.toolCallId, part.data);
  }
  return found;
}

/** The artifact name of file evidence that is a screenshot, which the gateway serves; else undefined. */
export function screenshotName(evidence: EvidenceData): string | undefined {
  if (evidence.kind !== 'file' || !evidence.mediaType?.startsWith('image/')) return undefined;
  const name = evidence.path.split(/[\\/]/).at(-1) ?? '';
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/.test(name) ? name : undefined;
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
