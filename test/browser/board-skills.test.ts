import { describe, expect, it } from 'vitest';
import type { ViberView } from '../../src/protocol/index.ts';
import { skillsSection } from '../../web/src/lib/vibers/viber-skills.ts';

// The Skills section's rows, without a browser: the list a viber announced when it connected,
// with the health of its latest heartbeat.

function viber(overrides: Partial<ViberView>): ViberView {
  return {
    id: 'viber_a',
    name: 'box',
    presence: 'online',
    info: null,
    status: null,
    configState: null,
    createdAt: '2030-01-01T00:00:00.000Z',
    connectedAt: '2030-01-01T00:00:01.000Z',
    lastHeartbeatAt: null,
    ...overrides,
  };
}

const info = {
  id: 'viber_a',
  name: 'box',
  version: '0.1.0',
  platform: 'linux-x64',
  capabilities: [],
  runningTasks: [],
  skills: [
    {
      id: 'home:plot',
      name: 'plot',
      description: 'Plot data.',
      available: false,
      status: 'NOT_AVAILABLE' as const,
      healthSummary: 'missing on PATH: gnuplot',
    },
  ],
};

describe('skillsSection', () => {
  it('shows the announced list as it was when nothing newer came', () => {
    expect(skillsSection(viber({ info }))).toEqual({
      rows: [
        {
          id: 'home:plot',
          name: 'plot',
          description: 'Plot data.',
          status: 'NOT_AVAILABLE',
          healthSummary: 'missing on PATH: gnuplot',
        },
      ],
      checkedAt: '2030-01-01T00:00:01.000Z',
      available: 0,
    });
  });

  it("takes each skill's status from the latest heartbeat, and shows a skill added since by its name", () => {
    const status = {
      state: 'idle' as const,
      runningTasks: 0,
      uptimeSeconds: 5,
      skills: {
        checkedAt: '2030-01-01T00:05:00.000Z',
        available: 2,
        notAvailable: 0,
        unknown: 0,
        skills: [
          { id: 'home:plot', status: 'AVAILABLE' as const, healthSummary: 'found gnuplot' },
          { id: 'home:added-later', status: 'AVAILABLE' as const, healthSummary: 'no requirements declared' },
        ],
      },
    };
    expect(skillsSection(viber({ info, status }))).toEqual({
      rows: [
        {
          id: 'home:plot',
          name: 'plot',
          description: 'Plot data.',
          status: 'AVAILABLE',
          healthSummary: 'found gnuplot',
        },
        {
          id: 'home:added-later',
          name: 'added-later',
          description: '',
          status: 'AVAILABLE',
          healthSummary: 'no requirements declared',
        },
      ],
      checkedAt: '2030-01-01T00:05:00.000Z',
      available: 2,
    });
  });

  it('has no rows for a viber that reports no skills', () => {
    expect(skillsSection(viber({})).rows).toEqual([]);
  });
});
