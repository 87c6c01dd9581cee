import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ToolContext } from './tool-context.ts';
import { ToolError } from './tool-error.ts';

/** A path a tool may touch: `real` has every symlink resolved and is what the tool operates on. */
export interface SafePath {
  /** As the model gave it, resolved against the working directory (for messages). */
  requested: string;
  real: string;
}

/**
 * Resolves `input` against `context.cwd` and checks that it stays inside the allowed roots after
 * `..` and symlinks are resolved (the realpath of the nearest existing parent plus the missing
 * rest), so neither `../../etc/passwd` nor a symlink pointing out of the workspace gets through.
 * The task's artifacts folder is always allowed: truncated outputs point the model there. A path
 * to be read (`access` 'read') may also be inside a read-only root (a skill's folder).
 */
export async function resolveSafePath(
  context: ToolContext,
  input: string,
  access: 'read' | 'write' = 'write',
): Promise<SafePath> {
  if (input.includes('\0')) throw new ToolError('invalid_input', 'path must not contain a NUL character');
  const requested = resolve(context.cwd, input);
  const real = await realpathOfNearestExisting(requested);
  const roots = await realRoots(context);
  if (!roots.some((root) => isInside(real, root))) {
    const readOnly = await realReadOnlyRoots(context);
    const inside = readOnly.find((root) => isInside(real, root));
    if (inside && access === 'read') {
      await refuseHidden(context, input, real);
      return { requested, real };
    }
    if (inside) {
      throw new ToolError(
        'path_outside_roots',
        `${input} is inside ${inside}, a skill's folder, which tools may read but not change`,
      );
    }
    throw new ToolError(
      'path_outside_roots',
      `${input} resolves to ${real}, which is outside the allowed roots (${roots.join(', ')}); tools may only use paths inside them`,
    );
  }
  await refuseHidden(context, input, real);
  return { requested, real };
}

/** OpenViber's credential folders stay out of reach even when a root contains them (a cwd set
 * to the home itself). */
async function refuseHidden(context: ToolContext, input: string, real: string): Promise<void> {
  for (const hidden of context.hiddenPaths) {
    if (isInside(real, await realpathOfNearestExisting(resolve(hidden)))) {
      throw new ToolError(
        'path_outside_roots',
        `${input} is inside ${hidden}, which holds OpenViber's credentials; tools may not use it`,
      );
    }
  }
}

/** Whether `path` (already real) is inside one of the context's roots. */
export async function isInsideRoots(context: ToolContext, path: string): Promise<boolean> {
  const roots = await realRoots(context);
  return roots.some((root) => isInside(path, root));
}

export function isInside(path: string, root: string): boolean {
  if (path === root) return true;
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

async function realRoots(context: ToolContext): Promise<string[]> {
  const roots = [...context.allowedRoots, context.artifactsDir];
  return Promise.all(roots.map((root) => realpathOfNearestExisting(resolve(root))));
}

async function realReadOnlyRoots(context: ToolContext): Promise<string[]> {
  return Promise.all((context.readOnlyRoots ?? []).map((root) => realpathOfNearestExisting(resolve(root))));
}

async function realpathOfNearestExisting(path: string): Promise<string> {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(await realpath(current), ...missing.reverse());
    } catch (error) {
      if (!isMissing(error)) throw error;
      // A dangling symlink exists but has no realpath; writing through it would land wherever it
      // points, so it is refused rather than treated as a missing file.
      if (await exists(current)) {
        throw new ToolError(
          'path_outside_roots',
          `${current} is a symbolic link whose target does not exist`,
        );
      }
      const parent = dirname(current);
      if (parent === current) return join(current, ...missing.reverse());
      missing.push(current.slice(parent.length).replace(/^[/\\]/, ''));
      current = parent;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
