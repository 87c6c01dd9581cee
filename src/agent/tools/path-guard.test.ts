import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { resolveSafePath } from './path-guard.ts';

describe('resolveSafePath', () => {
  const t = useToolContext();

  it('resolves relative paths against cwd, existing or not', async () => {
    await mkdir(join(t.workspace, 'src'));
    expect((await resolveSafePath(t.context, 'src')).real).toBe(join(t.workspace, 'src'));
    expect((await resolveSafePath(t.context, 'src/new/deep.txt')).real).toBe(
      join(t.workspace, 'src/new/deep.txt'),
    );
    expect((await resolveSafePath(t.context, './src/../src/a.txt')).real).toBe(
      join(t.workspace, 'src/a.txt'),
    );
    expect((await resolveSafePath(t.context, t.workspace)).real).toBe(t.workspace);
  });

  it('refuses .. escapes and absolute paths outside the roots', async () => {
    await expect(resolveSafePath(t.context, '../outside/x')).rejects.toThrow(/outside the allowed roots/);
    await expect(resolveSafePath(t.context, '/etc/passwd')).rejects.toThrow(/outside the allowed roots/);
    await expect(resolveSafePath(t.context, `${t.workspace}-evil/file`)).rejects.toThrow(
      /outside the allowed roots/,
    );
  });

  it('refuses symlinks that lead outside, including to a missing file through a linked folder', async () => {
    await writeFile(join(t.outside, 'secret.txt'), 'secret');
    await symlink(join(t.outside, 'secret.txt'), join(t.workspace, 'link.txt'));
    await symlink(t.outside, join(t.workspace, 'linkdir'));
    await expect(resolveSafePath(t.context, 'link.txt')).rejects.toThrow(/outside the allowed roots/);
    await expect(resolveSafePath(t.context, 'linkdir/new/file.txt')).rejects.toThrow(
      /outside the allowed roots/,
    );
  });

  it('refuses a dangling symlink, which would write wherever it points', async () => {
    await symlink(join(t.outside, 'not-yet.txt'), join(t.workspace, 'dangling.txt'));
    await expect(resolveSafePath(t.context, 'dangling.txt')).rejects.toThrow(
      /symbolic link whose target does not exist/,
    );
  });

  it('allows symlinks that stay inside and the artifacts folder', async () => {
    await writeFile(join(t.workspace, 'real.txt'), 'x');
    await symlink(join(t.workspace, 'real.txt'), join(t.workspace, 'alias.txt'));
    expect((await resolveSafePath(t.context, 'alias.txt')).real).toBe(join(t.workspace, 'real.txt'));
    const artifact = join(t.context.artifactsDir, 'shell-call-output.txt');
    expect((await resolveSafePath(t.context, artifact)).real).toBe(artifact);
  });

  it('rejects NUL bytes', async () => {
    await expect(resolveSafePath(t.context, 'a\0b')).rejects.toThrow(/NUL/);
  });
});
