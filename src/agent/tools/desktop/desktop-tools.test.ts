import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../../test/support/in-process/tool-context.ts';
import { decodePng, distinctColours } from '../../../../test/support/png.ts';
import { waitFor } from '../../../../test/support/wait.ts';
import { createAutonomyPolicy } from '../../autonomy-policy.ts';
import {
  createDesktopToolSet,
  DESKTOP_TOOL_CATALOG,
  type DesktopDisplay,
  describeDesktopCall,
  listWindows,
  openDesktop,
  startXvfb,
  type VirtualDisplay,
} from './index.ts';

// The desktop tools against a real X server: an Xvfb of the test's own, real xterm windows.

let xvfb: VirtualDisplay;
let desktop: DesktopDisplay;
const programs: ChildProcess[] = [];

beforeAll(async () => {
  xvfb = await startXvfb('800x600x24');
  desktop = { display: xvfb.display, env: { DISPLAY: xvfb.display, PATH: process.env.PATH } };
});

afterAll(async () => {
  for (const program of programs) program.kill('SIGKILL');
  await xvfb?.stop();
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Opens an xterm titled `title` running bash in `cwd` and waits until it is on the screen. */
async function openXterm(title: string, cwd: string) {
  const program = spawn(
    'xterm',
    ['-title', title, '-geometry', '60x12+30+40', '-e', 'bash', '--norc', '--noprofile'],
    {
      cwd,
      env: { ...desktop.env, HOME: cwd },
      stdio: 'ignore',
    },
  );
  programs.push(program);
  const window = await waitFor(
    async () =>
      (await listWindows(desktop, AbortSignal.timeout(10_000))).find((entry) => entry.title === title),
    { timeoutMs: 15_000, description: `the xterm "${title}" to appear` },
  );
  return { program, window };
}

describe('desktop tools on a real X display', () => {
  const tools = useToolContext();

  it('list windows, focus one, type and press keys into it, and screenshot it as visual evidence', async () => {
    const set = createDesktopToolSet(tools.context, desktop);
    const { window } = await openXterm('desktop-test-term', tools.workspace);

    const listed = await callTool<{ windows: Array<Record<string, unknown>> }>(set, 'desktop_windows', {});
    expect(listed.windows).toContainEqual(
      expect.objectContaining({
        id: window.id,
        title: 'desktop-test-term',
        program: 'xterm',
        className: 'XTerm',
      }),
    );

    expect(await callTool(set, 'desktop_focus', { window: window.id })).toEqual({
      window: window.id,
      focused: true,
    });
    expect(await callTool(set, 'desktop_move', { x: 60, y: 70 })).toEqual({ x: 60, y: 70 });
    expect(await callTool(set, 'desktop_click', { x: 80, y: 90 })).toEqual({
      x: 80,
      y: 90,
      button: 'left',
      count: 1,
    });
    // The click may move the focus; typing goes to the focused window.
    await callTool(set, 'desktop_focus', { window: window.id });
    expect(await callTool(set, 'desktop_type', { text: 'echo typed-by-the-agent > marker.txt' })).toEqual({
      typed: 36,
    });
    expect(await callTool(set, 'desktop_key', { keys: 'Return' })).toEqual({ pressed: 'Return' });
    // The keystrokes reached the program: its shell ran the command.
    await waitFor(
      () => {
        try {
          return readFileSync(join(tools.workspace, 'marker.txt'), 'utf8') === 'typed-by-the-agent\n';
        } catch {
          return false;
        }
      },
      { timeoutMs: 10_000, description: 'the typed command to run in the xterm' },
    );

    const shot = await callTool<{ path: string; width: number; height: number; evidenceId: string }>(
      set,
      'desktop_screenshot',
      { window: window.id },
      'call_shot_window',
    );
    expect(shot).toMatchObject({
      width: window.width,
      height: window.height,
      evidenceId: 'call_shot_window',
    });
    const image = decodePng(readFileSync(shot.path!));
    expect([image.width, image.height]).toEqual([window.width, window.height]);
    expect(distinctColours(image)).toBeGreaterThan(1);
    expect(tools.evidence).toContainEqual(
      expect.objectContaining({
        kind: 'file',
        toolCallId: 'call_shot_window',
        path: shot.path,
        mediaType: 'image/png',
      }),
    );
    expect(tools.data.map((part) => part.type)).toContain('data-screenshot');

    const screen = await callTool<{ path: string; width: number; height: number }>(
      set,
      'desktop_screenshot',
      {},
    );
    expect([screen.width, screen.height]).toEqual([800, 600]);
    expect(distinctColours(decodePng(readFileSync(screen.path!)))).toBeGreaterThan(1);
  });

  it('answers bad input with an error the model can act on, and the next call still works', async () => {
    const set = createDesktopToolSet(tools.context, desktop);
    const { program, window } = await openXterm('desktop-test-closing', tools.workspace);
    program.kill('SIGKILL');
    await waitFor(
      async () =>
        !(await listWindows(desktop, AbortSignal.timeout(10_000))).some((entry) => entry.id === window.id),
      { timeoutMs: 10_000, description: 'the closed xterm to leave the screen' },
    );

    expect((await callTool(set, 'desktop_screenshot', { window: window.id })).error).toBe(
      `screenshot window ${window.id}: no window ${window.id} exists on this desktop (it may have closed); list the open windows with desktop_windows`,
    );
    expect((await callTool(set, 'desktop_focus', { window: '0x7ffff0' })).error).toMatch(
      /no window 0x7ffff0 exists/,
    );
    expect((await callTool(set, 'desktop_focus', { window: 'the editor' })).error).toMatch(
      /"the editor" is not a window id/,
    );
    expect((await callTool(set, 'desktop_key', { keys: 'ctrl+nosuchkey' })).error).toMatch(
      /"nosuchkey" is not a key name X knows/,
    );
    expect((await callTool(set, 'desktop_key', { keys: 'ctrl+s; rm -rf /' })).error).toMatch(
      /^Invalid input for desktop_key: keys:/,
    );
    expect((await callTool(set, 'desktop_click', { x: 5 })).error).toBe(
      'give both x and y, or neither to click where the pointer is',
    );
    expect((await callTool(set, 'desktop_move', { x: -1, y: 5 })).error).toMatch(
      /^Invalid input for desktop_move: x:/,
    );
    expect(await callTool(set, 'desktop_move', { x: 1, y: 2 })).toEqual({ x: 1, y: 2 });
  });

  it('says when the display is gone or the X tools are missing', async () => {
    const gone = createDesktopToolSet(tools.context, {
      display: ':4242',
      env: { DISPLAY: ':4242', PATH: process.env.PATH },
    });
    expect((await callTool(gone, 'desktop_windows', {})).error).toMatch(
      /^list windows: the X display :4242 cannot be reached/,
    );
    expect((await callTool(gone, 'desktop_screenshot', {})).error).toMatch(
      /the X display :4242 cannot be reached/,
    );
    const bare = createDesktopToolSet(tools.context, {
      display: xvfb.display,
      env: { DISPLAY: xvfb.display, PATH: tools.root },
    });
    expect((await callTool(bare, 'desktop_type', { text: 'hello' })).error).toBe(
      'type text: xdotool is not installed on this viber, so the desktop tools cannot run (install the packages docs/desktop.md lists)',
    );
  });
});

describe('openDesktop (viber start --desktop)', () => {
  it('starts an Xvfb on a free display when DISPLAY is not set, and stops it on close', async () => {
    const opened = await openDesktop({ PATH: process.env.PATH });
    expect(opened.status).toMatchObject({ available: true, startedXvfb: true });
    const status = opened.status as { display: string; xvfbPid: number };
    expect(status.display).not.toBe(xvfb.display);
    expect(isRunning(status.xvfbPid)).toBe(true);
    expect(opened.display?.env.DISPLAY).toBe(status.display);
    await opened.close();
    expect(isRunning(status.xvfbPid)).toBe(false);
  });

  it('uses the DISPLAY it is given', async () => {
    const opened = await openDesktop({ PATH: process.env.PATH, DISPLAY: xvfb.display });
    expect(opened.status).toEqual({ available: true, display: xvfb.display, startedXvfb: false });
    await opened.close();
  });

  it('reports the capability unavailable, with the reason, when it cannot work', async () => {
    const tools = await openDesktop({ PATH: '/nonexistent' });
    expect(tools.status).toEqual({
      available: false,
      reason:
        'missing X tools: xdotool, xwininfo, xwd (Debian: apt-get install xvfb xdotool x11-utils x11-apps)',
    });
    const dead = await openDesktop({ PATH: process.env.PATH, DISPLAY: ':4243' });
    expect(dead.status).toMatchObject({ available: false });
    expect((dead.status as { reason: string }).reason).toMatch(/the X display :4243 cannot be reached/);
  });
});

describe('the desktop tools under the autonomy modes', () => {
  it('screenshots and the window list are reads; moving, clicking, typing, keys and focus are writes', () => {
    const policy = createAutonomyPolicy({
      mode: 'agent-decides',
      catalog: DESKTOP_TOOL_CATALOG,
      describeToolCall: (name, input) => describeDesktopCall(name, input) ?? name,
    });
    expect(policy('desktop_screenshot', {})).toEqual({ type: 'not-applicable' });
    expect(policy('desktop_windows', {})).toEqual({ type: 'not-applicable' });
    expect(policy('desktop_type', { text: 'rm -rf ~' })).toEqual({
      type: 'user-approval',
      reason: 'write action needs approval in agent-decides mode: type "rm -rf ~"',
    });
    for (const name of ['desktop_move', 'desktop_click', 'desktop_key', 'desktop_focus']) {
      expect(policy(name, {}).type).toBe('user-approval');
    }
    const ask = createAutonomyPolicy({
      mode: 'always-ask',
      catalog: DESKTOP_TOOL_CATALOG,
      describeToolCall: () => '',
    });
    expect(ask('desktop_screenshot', {}).type).toBe('user-approval');
  });
});
