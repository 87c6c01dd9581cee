import { type ExecFileException, execFile } from 'node:child_process';
import { ToolError } from '../tool-error.ts';

/** The X display the desktop tools act on, with the variables X programs need to reach it. */
export interface DesktopDisplay {
  /** `:0`, `:99`, ... */
  display: string;
  /** The environment of every X program the tools run (DISPLAY, XAUTHORITY when set, PATH). */
  env: NodeJS.ProcessEnv;
}

/** The X programs the desktop tools run; each must be on PATH for the capability to be available. */
export const DESKTOP_BINARIES = ['xdotool', 'xwininfo', 'xwd'] as const;

/** The Debian packages that bring them and the virtual display (docs/desktop.md, the Dockerfile). */
export const DESKTOP_PACKAGES = ['xvfb', 'xdotool', 'x11-utils', 'x11-apps'] as const;

const X_COMMAND_TIMEOUT_MS = 15_000;
/** A 4K screen at 32 bits per pixel is 33 MB of XWD. */
const MAX_X_OUTPUT_BYTES = 128 * 1024 * 1024;

export interface XCommandOptions {
  signal: AbortSignal;
  /** What the call was doing, for the error message ("focus window 0x20000c"). */
  action: string;
}

/**
 * Runs one X program against the display and returns its standard output. Every failure becomes
 * a ToolError the model can act on: the program missing, the display gone, the program's own
 * complaint (its first lines of standard error), a timeout.
 */
export function runX(
  desktop: DesktopDisplay,
  program: string,
  args: string[],
  options: XCommandOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      {
        env: desktop.env,
        encoding: 'buffer',
        timeout: X_COMMAND_TIMEOUT_MS,
        maxBuffer: MAX_X_OUTPUT_BYTES,
        signal: options.signal,
      },
      (error, stdout, stderr) => {
        const complaint = firstLines(stderr.toString('utf8'));
        if (!error) {
          // xdotool reports an unknown key name on stderr and still exits 0.
          const unknownKey = /No such key name '([^']*)'/.exec(complaint);
          if (unknownKey) {
            reject(
              new ToolError(
                'invalid_input',
                `${options.action}: "${unknownKey[1]}" is not a key name X knows (use X keysym names such as Return, Escape, Tab, BackSpace, ctrl, alt, shift, super, F5, a)`,
              ),
            );
            return;
          }
          resolve(stdout);
          return;
        }
        reject(describeFailure(desktop, program, options, error, complaint));
      },
    );
  });
}

function describeFailure(
  desktop: DesktopDisplay,
  program: string,
  options: XCommandOptions,
  error: ExecFileException,
  complaint: string,
): ToolError {
  if (options.signal.aborted)
    return new ToolError('aborted', `${options.action} was aborted: the task was stopped`);
  if (error.code === 'ENOENT') {
    return new ToolError(
      'not_configured',
      `${options.action}: ${program} is not installed on this viber, so the desktop tools cannot run (install the packages docs/desktop.md lists)`,
    );
  }
  if (error.killed && error.signal === 'SIGTERM' && !complaint) {
    return new ToolError(
      'failed',
      `${options.action}: ${program} did not finish within ${X_COMMAND_TIMEOUT_MS / 1000} s`,
    );
  }
  if (/(Can't open|cannot open|unable to open) display|Error: Can't open display/i.test(complaint)) {
    return new ToolError(
      'not_configured',
      `${options.action}: the X display ${desktop.display} cannot be reached (it may have stopped): ${complaint}`,
    );
  }
  if (/BadWindow|No such window|BadDrawable|BadMatch/i.test(complaint)) {
    return new ToolError(
      'not_found',
      `${options.action}: that window does not exist (it may have closed); list the open windows with desktop_windows`,
    );
  }
  return new ToolError('failed', `${options.action}: ${program} failed: ${complaint || error.message}`);
}

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 3).join(' ').slice(0, 400);
}
