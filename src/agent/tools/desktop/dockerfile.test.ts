import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../../test/support/processes.ts';
import { DESKTOP_PACKAGES } from './index.ts';
import { VNC_SERVER_PACKAGE } from './vnc-server.ts';

// The viber image cannot be built here (no container engine), so its Dockerfile is read as
// instructions and held to what the tests run: the packages docs/desktop.md lists (the ones CI
// installs for the desktop tests), a pinned Node major, a non-root user, `viber start --desktop`.

interface Instruction {
  keyword: string;
  args: string;
}

function instructionsOf(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The packages of every `apt-get install` in the text, options left out. */
function aptPackages(text: string): string[] {
  return [...text.matchAll(/apt-get install ([^&|;`\n]+)/g)].flatMap((match) =>
    match[1]!
      .trim()
      .split(/\s+/)
      .filter((word) => !word.startsWith('-') && word !== '<pkgs>'),
  );
}

const dockerfile = instructionsOf(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const of = (keyword: string) => dockerfile.filter((instruction) => instruction.keyword === keyword);

describe('the viber image (Dockerfile)', () => {
  it('starts from Debian Node pinned to major 24', () => {
    expect(of('FROM').map((instruction) => instruction.args)).toEqual(['node:24-bookworm-slim']);
  });

  it('installs the packages the desktop tests install, and Chromium, tmux and git', () => {
    const installed = aptPackages(
      of('RUN')
        .map((instruction) => instruction.args)
        .join('\n'),
    );
    // The install line of docs/desktop.md (a line of its own), the one CI runs.
    const docs = readFileSync(join(REPO_ROOT, 'docs/desktop.md'), 'utf8');
    const documented = aptPackages(docs.match(/^apt-get install .*$/m)?.[0] ?? '');
    expect(documented.length).toBeGreaterThan(0);
    expect(new Set(documented)).toEqual(new Set([...DESKTOP_PACKAGES, 'xterm']));
    expect(installed).toEqual(
      expect.arrayContaining([...documented, VNC_SERVER_PACKAGE, 'chromium', 'tmux', 'git']),
    );
    // The live view's package, as docs/desktop.md's second install line names it.
    expect(docs).toContain(`apt-get install -y --no-install-recommends ${VNC_SERVER_PACKAGE}\n`);
    expect(of('RUN').some((instruction) => instruction.args.includes('--no-install-recommends'))).toBe(true);
  });

  it('runs as a user that is not root', () => {
    const users = of('USER').map((instruction) => instruction.args);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
    // The switch comes after the last package install (which needs root) and before the entrypoint.
    const position = (keyword: string) =>
      dockerfile.map((instruction) => instruction.keyword).lastIndexOf(keyword);
    expect(position('USER')).toBeGreaterThan(position('RUN'));
    expect(position('USER')).toBeLessThan(position('ENTRYPOINT'));
  });

  it('runs `viber start --desktop` with the gateway and token from the environment, none baked in', () => {
    const [entrypoint] = of('ENTRYPOINT');
    expect(JSON.parse(entrypoint!.args)).toEqual([
      'node',
      '/opt/openviber/bin/viber.js',
      'start',
      '--desktop',
    ]);
    const env = of('ENV')
      .map((instruction) => instruction.args)
      .join(' ');
    expect(env).not.toMatch(/TOKEN|OPENVIBER_SERVER|API_KEY/);
    const copied = of('COPY').map((instruction) => instruction.args.split(/\s+/).at(-2));
    expect(copied).toEqual(expect.arrayContaining(['bin', 'src', 'skills']));
  });
});
