import type { SkillStatus, ViberView } from '#lib/protocol.ts';

/** One row of a viber's Skills section. */
export interface SkillRow {
  id: string;
  name: string;
  description: string;
  status: SkillStatus;
  healthSummary: string;
}

export interface SkillsSection {
  rows: SkillRow[];
  /** When the statuses were checked: the latest heartbeat's check, else the connection. */
  checkedAt: string | null;
  available: number;
}

/**
 * The skills a viber announced in `connected`, with the health its latest heartbeat carries (a
 * config push checks them again, so the heartbeat may be newer). A skill the heartbeat names that
 * the list does not (added since the viber connected) is shown by its name.
 */
export function skillsSection(viber: ViberView): SkillsSection {
  const announced = viber.info?.skills ?? [];
  const health = viber.status?.skills;
  const latest = new Map((health?.skills ?? []).map((skill) => [skill.id, skill]));
  const rows: SkillRow[] = announced.map((skill) => {
    const now = latest.get(skill.id);
    return {
      id: skill.id,
      name: skill.name,
      description: skill.description,
      status: now?.status ?? skill.status,
      healthSummary: (now ? now.healthSummary : skill.healthSummary) ?? '',
    };
  });
  const known = new Set(rows.map((row) => row.id));
  for (const skill of health?.skills ?? []) {
    if (known.has(skill.id)) continue;
    rows.push({
      id: skill.id,
      name: skill.id.slice(skill.id.indexOf(':') + 1),
      description: '',
      status: skill.status,
      healthSummary: skill.healthSummary ?? '',
    });
  }
  return {
    rows,
    checkedAt: health?.checkedAt ?? viber.connectedAt,
    available: rows.filter((row) => row.status === 'AVAILABLE').length,
  };
}

export const SKILL_STATUS_LABELS: Record<SkillStatus, string> = {
  AVAILABLE: 'Available',
  NOT_AVAILABLE: 'Not available',
  UNKNOWN: 'Unknown',
};
