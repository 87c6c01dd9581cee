import { styleText } from 'node:util';
import {
  checkSkillHealth,
  type HubEntry,
  type InstallRecord,
  listSkillFiles,
  readInstallRecord,
  type Skill,
  type SkillHealth,
  type SkillScope,
} from '../../agent/skills/index.ts';

/** A skill as `viber skill list|show` prints it (and as their --json gives it). */
export interface SkillRow {
  name: string;
  description: string;
  scope: SkillScope;
  status: SkillHealth['status'];
  healthSummary: string;
  directory: string;
  file: string;
  version?: string;
  source?: string;
  install?: InstallRecord;
}

export function skillRow(skill: Skill, env: NodeJS.ProcessEnv): SkillRow {
  const health = checkSkillHealth(skill.manifest, { env, platform: process.platform });
  const install = readInstallRecord(skill.directory);
  const version = install?.version ?? skill.manifest.metadata.version;
  return {
    name: skill.name,
    description: skill.description,
    scope: skill.scope,
    status: health.status,
    healthSummary: health.summary,
    directory: skill.directory,
    file: skill.file,
    ...(version ? { version } : {}),
    ...(install ? { source: install.source, install } : {}),
  };
}

const STATUS_COLORS = { AVAILABLE: 'green', NOT_AVAILABLE: 'red', UNKNOWN: 'yellow' } as const;
const STATUS_TEXT = { AVAILABLE: 'available', NOT_AVAILABLE: 'not available', UNKNOWN: 'unknown' } as const;

export function statusText(status: SkillRow['status'], width = 0): string {
  return styleText(STATUS_COLORS[status], STATUS_TEXT[status].padEnd(width));
}

export function skillLine(row: SkillRow): string {
  const status = statusText(row.status, 13);
  const version = row.version ? `v${row.version}` : '';
  const why = row.status === 'AVAILABLE' ? '' : `  (${row.healthSummary})`;
  return `${row.name.padEnd(24)} ${row.scope.padEnd(7)} ${status} ${version.padEnd(8)} ${styleText('dim', oneLine(row.description, 70))}${why}`;
}

/** Everything `viber skill show` says about a skill, then its instructions. */
export function describeSkill(row: SkillRow, skill: Skill): string {
  const { manifest } = skill;
  const files = listSkillFiles(skill.directory);
  const metadata = Object.entries(manifest.metadata).map(([key, value]) => `${key}=${value}`);
  const fields: [string, string | undefined][] = [
    ['location', row.file],
    ['scope', row.scope],
    ['status', `${statusText(row.status)} (${row.healthSummary})`],
    ['version', row.version],
    [
      'source',
      row.install
        ? `${row.install.source}${row.install.path ? ` (${row.install.path})` : ''}${row.install.commit ? ` at ${row.install.commit.slice(0, 12)}` : ''}, installed ${row.install.installedAt}`
        : undefined,
    ],
    ['license', manifest.license],
    ['compatibility', manifest.compatibility],
    ['metadata', metadata.length > 0 ? metadata.join(', ') : undefined],
    ['allowed-tools', manifest.allowedTools.length > 0 ? manifest.allowedTools.join(' ') : undefined],
    ['files', files.files.length > 0 ? `${files.files.join(', ')}${files.truncated ? ', …' : ''}` : 'none'],
  ];
  const lines = fields
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([label, value]) => `${styleText('bold', label.padEnd(14))}${value}`);
  return `${styleText('bold', row.name)}\n${row.description}\n\n${lines.join('\n')}\n\n${skill.body}`;
}

export function hubLine(entry: HubEntry): string {
  return `${entry.name.padEnd(24)} ${`v${entry.version}`.padEnd(9)} ${styleText('dim', oneLine(entry.description, 80))}`;
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
