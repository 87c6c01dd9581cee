import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DaemonFixture,
  startFixture,
  TEST_VIBER_ID,
} from '../../test/support/in-process/daemon-fixture.ts';
import { tempHome } from '../../test/support/in-process/temp-home.ts';
import { writeSkill } from '../../test/support/skills.ts';
import { makeTempDir, removeTempDirs } from '../../test/support/temp-dirs.ts';
import { skillsDir } from '../core/home.ts';

// What a daemon tells the gateway of its skills: the list in `connected`, the health in each
// heartbeat, the `skills` check of config:ack, and all of it checked again on config:push.

let fixture: DaemonFixture | undefined;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = undefined;
  removeTempDirs();
});

describe('the daemon and its skills', () => {
  it('reports them in connected and heartbeats, and checks them again on config:push', async () => {
    const home = tempHome('daemon-skills');
    const bin = makeTempDir('bin');
    const bundled = makeTempDir('bundled');
    writeSkill(bundled, 'shipped', { description: 'Comes with OpenViber.' });
    writeSkill(skillsDir(home), 'needs-tool', { frontmatter: 'metadata:\n  requires-bins: viber-test-tool' });
    fixture = await startFixture({ home, bundledSkillsDir: bundled, env: { PATH: bin } });
    const connection = await fixture.gateway.connection(1);
    const connected = await connection.waitFor('connected');
    expect(connected.viber.skills).toEqual([
      {
        id: 'home:needs-tool',
        name: 'needs-tool',
        description: 'The needs-tool skill. Use it in tests.',
        available: false,
        status: 'NOT_AVAILABLE',
        healthSummary: 'missing on PATH: viber-test-tool',
      },
      {
        id: 'bundled:shipped',
        name: 'shipped',
        description: 'Comes with OpenViber.',
        available: true,
        status: 'AVAILABLE',
        healthSummary: 'no requirements declared',
      },
    ]);
    connection.welcome(TEST_VIBER_ID, 100);
    const beat = await connection.waitFor('heartbeat');
    expect(beat.status.skills).toMatchObject({
      available: 1,
      notAvailable: 1,
      unknown: 0,
      skills: [
        { id: 'home:needs-tool', status: 'NOT_AVAILABLE', healthSummary: 'missing on PATH: viber-test-tool' },
        { id: 'bundled:shipped', status: 'AVAILABLE', healthSummary: 'no requirements declared' },
      ],
    });

    // Heartbeats every minute from now: the one after config:push cannot be a regular one.
    connection.welcome(TEST_VIBER_ID, 60_000);
    // The program is installed and a skill added: config:push finds both.
    writeFileSync(join(bin, 'viber-test-tool'), '#!/bin/sh\n');
    chmodSync(join(bin, 'viber-test-tool'), 0o755);
    writeSkill(skillsDir(home), 'added-later');
    const before = connection.ofType('heartbeat').length;
    connection.send({ type: 'config:push' });
    const ack = await connection.waitFor('config:ack');
    expect(ack.validations.find((validation) => validation.category === 'skills')).toMatchObject({
      status: 'verified',
      message: '3 of 3 skill(s) available',
    });
    // Sent at once (a regular one is a minute away), with the new health.
    const next = await connection.waitFor(
      'heartbeat',
      (heartbeat) =>
        connection.ofType('heartbeat').indexOf(heartbeat) >= before &&
        heartbeat.status.skills?.available === 3,
    );
    expect(next.status.skills).toMatchObject({ available: 3, notAvailable: 0, unknown: 0 });
    expect(fixture.daemon.info().skills?.map((skill) => [skill.id, skill.status])).toEqual([
      ['home:added-later', 'AVAILABLE'],
      ['home:needs-tool', 'AVAILABLE'],
      ['bundled:shipped', 'AVAILABLE'],
    ]);
  });

  it('says nothing of skills when it has none, and reports the config check as verified', async () => {
    fixture = await startFixture();
    const connection = await fixture.gateway.connection(1);
    expect((await connection.waitFor('connected')).viber.skills).toBeUndefined();
    connection.send({ type: 'config:push' });
    const ack = await connection.waitFor('config:ack');
    expect(ack.validations.find((validation) => validation.category === 'skills')).toMatchObject({
      status: 'verified',
      message: 'no skills installed',
    });
  });
});
