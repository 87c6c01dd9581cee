import { styleText } from 'node:util';
import type { ViberView } from '../../protocol/index.ts';
import { mcpServerLine, reportedMcpServers } from './mcp-lines.ts';

const PRESENCE_COLORS = { online: 'green', busy: 'cyan', offline: 'gray' } as const;
const VALIDATION_COLORS = { verified: 'green', failed: 'red', unchecked: 'dim' } as const;

/** `viber vibers show`: one viber for a person to read; `--json` prints the whole record instead. */
export function describeViber(viber: ViberView): string {
  const field = (name: string, value: string) => `  ${name.padEnd(13)} ${value}`;
  const lines = [
    `${styleText('bold', viber.name)}  ${styleText('dim', viber.id)}`,
    field('presence', styleText(PRESENCE_COLORS[viber.presence], viber.presence)),
  ];
  if (viber.connectedAt) lines.push(field('connected', viber.connectedAt));
  if (viber.lastHeartbeatAt) lines.push(field('last beat', viber.lastHeartbeatAt));
  lines.push(field('registered', viber.createdAt));
  if (viber.info) {
    lines.push(field('platform', `${viber.info.platform}, daemon v${viber.info.version}`));
    lines.push(field('capabilities', viber.info.capabilities.join(', ') || 'none'));
    for (const missing of viber.info.unavailableCapabilities ?? [])
      lines.push(field('', styleText('yellow', `${missing.name} unavailable: ${missing.reason}`)));
  } else {
    lines.push(field('platform', styleText('dim', 'not reported yet (it has never connected)')));
  }
  if (viber.status) {
    const { state, runningTasks, uptimeSeconds, memoryRssBytes } = viber.status;
    const memory = memoryRssBytes ? `, ${Math.round(memoryRssBytes / 1024 / 1024)} MB` : '';
    lines.push(
      field(
        'health',
        `${state}, ${runningTasks} running task(s), up ${formatUptime(uptimeSeconds)}${memory}`,
      ),
    );
  }
  const skills = viber.info?.skills ?? [];
  if (skills.length) lines.push(field('skills', skills.map((skill) => skill.name).join(', ')));
  for (const server of reportedMcpServers(viber)) lines.push(`  ${mcpServerLine(server)}`);
  if (viber.configState) {
    lines.push(
      field('config', `${viber.configState.configVersion} (pulled ${viber.configState.lastConfigPullAt})`),
    );
    for (const check of viber.configState.validations) {
      const status = styleText(VALIDATION_COLORS[check.status], check.status);
      lines.push(`    ${check.category.padEnd(12)} ${status}${check.message ? `  ${check.message}` : ''}`);
    }
  }
  return lines.join('\n');
}

function formatUptime(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}
