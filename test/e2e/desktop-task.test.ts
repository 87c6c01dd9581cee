import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ViberView } from '../../src/protocol/index.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { toolPartOf, waitForTaskStatus } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-test-server.ts';
import { decodePng, distinctColours } from '../support/png.ts';
import { spawnViber } from '../support/processes.ts';
import { makeTempDir } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { withTimeout } from '../support/wait.ts';

// `viber start --desktop` as a process, with no DISPLAY: it starts its own Xvfb, reports the
// `desktop` capability, and a task driven by the scripted model opens a real xterm with the
// shell, finds it, focuses it, types into it and screenshots it. The screenshot is a PNG artifact
// whose pixels are not blank. Without the flag the tools and the capability do not exist.

useE2eCleanup();

const TITLE = 'viber-desktop-e2e';
const DESKTOP_LINE = /desktop: started Xvfb on (:\d+) \(pid (\d+)\)/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function toolResults(body: ChatRequestBody) {
  return body.messages.filter((message) => message.role === 'tool');
}

/** One call a turn, chosen by how many results came back; the window id read from the list. */
function desktopScript({ body }: { body: ChatRequestBody }): ScriptTurn {
  const results = toolResults(body);
  const call = (id: string, name: string, input: unknown): ScriptTurn => ({
    type: 'tool-calls',
    calls: [{ id, name, input }],
  });
  const listed = JSON.stringify(results[1]?.content ?? '');
  const window = new RegExp(`(0x[0-9a-f]+)\\\\",\\\\"title\\\\":\\\\"${TITLE}`).exec(listed)?.[1] ?? 'none';
  switch (results.length) {
    case 0:
      return call('call_open', 'shell', {
        command: `xterm -title ${TITLE} -geometry 60x12+30+40 -e bash --norc >/dev/null 2>&1 & xdotool search --sync --onlyvisible --name ${TITLE}`,
      });
    case 1:
      return call('call_windows', 'desktop_windows', {});
    case 2:
      return call('call_focus', 'desktop_focus', { window });
    case 3:
      return call('call_type', 'desktop_type', { text: 'echo typed into a real xterm' });
    case 4:
      return call('call_key', 'desktop_key', { keys: 'Return' });
    case 5:
      return call('call_shot', 'desktop_screenshot', { window });
    default:
      return { type: 'text', text: 'The xterm shows what I typed.' };
  }
}

async function viberOf(gateway: GatewayHandle, viberId: string): Promise<ViberView> {
  return (await gateway.rest.getViber(viberId)) as ViberView;
}

describe('viber start --desktop', () => {
  it('starts Xvfb, offers the desktop tools, and a task types into a real xterm and screenshots it', async () => {
    const model = await startModelServer({ script: desktopScript });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'desktop-viber',
      args: ['--desktop'],
      env: { DISPLAY: undefined },
    });
    const [, display, pid] = await daemon.process.waitForLine(DESKTOP_LINE);
    // A daemon the cleanup SIGKILLs (a failed assertion) cannot stop its Xvfb.
    onCleanup(() => {
      if (isRunning(Number(pid))) process.kill(Number(pid), 'SIGKILL');
    });
    expect(isRunning(Number(pid))).toBe(true);
    const viber = await viberOf(gateway, daemon.viberId);
    expect(viber.info?.capabilities).toContain('desktop');
    expect(viber.info?.unavailableCapabilities).toBeUndefined();

    const task = await gateway.rest.createTask({
      goal: 'Open a terminal on the desktop, type into it and take a screenshot.',
      viberId: daemon.viberId,
      options: { mode: 'always-execute' },
    });
    const reader = await gateway.follow(task.id);
    const message = await withTimeout(reader.finished, 90_000, 'the desktop task to end');
    await waitForTaskStatus(gateway.rest, task.id, 'completed');

    const offered = model.requests[0]?.body.tools?.map((tool) => tool.function.name) ?? [];
    expect(offered).toEqual(
      expect.arrayContaining([
        'desktop_screenshot',
        'desktop_move',
        'desktop_click',
        'desktop_type',
        'desktop_key',
        'desktop_windows',
        'desktop_focus',
      ]),
    );
    const windows = toolPartOf(message, 'desktop_windows')?.output as {
      windows: Array<{ id: string; title: string }>;
    };
    const window = windows.windows.find((entry) => entry.title === TITLE);
    expect(window).toBeDefined();
    expect(toolPartOf(message, 'desktop_focus')?.output).toMatchObject({ window: window?.id, focused: true });
    expect(toolPartOf(message, 'desktop_type')?.output).toMatchObject({ typed: 28 });
    const shot = toolPartOf(message, 'desktop_screenshot')?.output as {
      path: string;
      width: number;
      evidenceId: string;
    };
    expect(shot).toMatchObject({ evidenceId: 'call_shot' });
    expect(shot.path).toContain(join(daemon.home, 'workspace', task.id));
    const image = decodePng(readFileSync(shot.path));
    expect(image.width).toBe(shot.width);
    expect(distinctColours(image)).toBeGreaterThan(1);
    expect(display).toMatch(/^:\d+$/);

    await daemon.process.kill('SIGINT');
    expect(isRunning(Number(pid))).toBe(false);
  });

  it('without the flag: no desktop tools and no desktop capability', async () => {
    const model = await startModelServer({ script: () => ({ type: 'text', text: 'done' }) });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'plain-viber' });
    const viber = await viberOf(gateway, daemon.viberId);
    expect(viber.info?.capabilities).not.toContain('desktop');
    expect(viber.info?.unavailableCapabilities).toBeUndefined();
    const task = await gateway.rest.createTask({ goal: 'Say done.', viberId: daemon.viberId });
    await waitForTaskStatus(gateway.rest, task.id, 'completed');
    const offered = model.requests[0]?.body.tools?.map((tool) => tool.function.name) ?? [];
    expect(offered).toContain('shell');
    expect(offered.filter((name) => name.startsWith('desktop_'))).toEqual([]);
    expect(daemon.process.lines(DESKTOP_LINE)).toEqual([]);
  });

  it('with the flag but no X tools: the capability is reported unavailable with the reason', async () => {
    // A PATH with what the daemon itself runs, and none of the X tools.
    const bin = makeTempDir('bin');
    mkdirSync(bin, { recursive: true });
    for (const program of ['bash', 'sh', 'tmux', 'git'])
      symlinkSync(`/usr/bin/${program}`, join(bin, program));
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: 'http://127.0.0.1:9/v1',
      name: 'no-x-viber',
      args: ['--desktop'],
      env: { PATH: bin, DISPLAY: undefined },
    });
    expect(daemon.process.stderr).toContain('desktop unavailable: missing X tools: xdotool, xwininfo, xwd');
    const viber = await viberOf(gateway, daemon.viberId);
    expect(viber.info?.capabilities).not.toContain('desktop');
    expect(viber.info?.unavailableCapabilities).toEqual([
      {
        name: 'desktop',
        reason:
          'missing X tools: xdotool, xwininfo, xwd (Debian: apt-get install xvfb xdotool x11-utils x11-apps)',
      },
    ]);
  });

  it('with --vnc and no VNC server installed: the desktop works, the live view is reported unavailable', async () => {
    // The X tools, but not X0tigervnc.
    const bin = makeTempDir('bin-no-vnc');
    mkdirSync(bin, { recursive: true });
    for (const program of ['bash', 'sh', 'tmux', 'git', 'Xvfb', 'xdotool', 'xwininfo', 'xwd'])
      symlinkSync(`/usr/bin/${program}`, join(bin, program));
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: 'http://127.0.0.1:9/v1',
      name: 'no-vnc-viber',
      args: ['--desktop', '--vnc'],
      env: { PATH: bin, DISPLAY: undefined },
    });
    const [, , pid] = await daemon.process.waitForLine(DESKTOP_LINE);
    onCleanup(() => {
      if (isRunning(Number(pid))) process.kill(Number(pid), 'SIGKILL');
    });
    expect(daemon.process.stderr).toContain(
      'live desktop view unavailable: X0tigervnc is not installed (Debian: apt-get install tigervnc-scraping-server)',
    );
    const viber = await viberOf(gateway, daemon.viberId);
    expect(viber.info?.capabilities).toContain('desktop');
    expect(viber.info?.unavailableCapabilities).toEqual([
      {
        name: 'desktop-view',
        reason: 'X0tigervnc is not installed (Debian: apt-get install tigervnc-scraping-server)',
      },
    ]);
  });
});

describe('viber up --desktop --vnc', () => {
  it('starts the local viber with the desktop and its live view', async () => {
    const home = makeTempDir('up-desktop');
    const up = spawnViber(['up', '--port', '0', '--desktop', '--vnc'], {
      name: 'up-desktop',
      env: { OPENVIBER_HOME: home, DISPLAY: undefined },
    });
    const [, url] = await up.waitForLine(/gateway\s+(http:\/\/127\.0\.0\.1:\d+)/, { timeoutMs: 30_000 });
    const [, token] = await up.waitForLine(/operator token\s+(\S+)/);
    const [, viberId] = await up.waitForLine(/local viber\s+(viber_\S+)/);
    const [, , pid] = await up.waitForLine(DESKTOP_LINE);
    onCleanup(() => {
      if (isRunning(Number(pid))) process.kill(Number(pid), 'SIGKILL');
    });
    await up.waitForLine(/daemon .*desktop: live view through the gateway \(VNC on \S+, pid \d+\)/);
    const viber = await fetch(`${url}/api/vibers/${viberId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await viber.json()) as ViberView).info?.capabilities).toEqual(
      expect.arrayContaining(['desktop', 'desktop-view']),
    );
    expect((await up.kill('SIGINT', 15_000)).code).toBe(0);
    expect(isRunning(Number(pid))).toBe(false);
  });

  it('refuses --vnc without --desktop', async () => {
    const refused = spawnViber(['up', '--port', '0', '--vnc'], {
      name: 'up-vnc-alone',
      env: { OPENVIBER_HOME: makeTempDir('up-vnc') },
    });
    const { code } = await refused.exited;
    expect(code).toBe(2);
    expect(refused.stderr).toContain('--vnc shows the desktop: give --desktop with it');
    const start = spawnViber(['start', '--vnc'], {
      name: 'start-vnc-alone',
      env: { OPENVIBER_HOME: makeTempDir('start-vnc') },
    });
    expect((await start.exited).code).toBe(2);
    expect(start.stderr).toContain('--vnc shows the desktop: give --desktop with it');
  });
});
