import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenViberError } from '../../core/errors.ts';
import { ensureDir, type OpenViberHome } from '../../core/home.ts';
import { newToken } from '../../core/ids.ts';

/** Shortest operator token accepted from the caller: anything shorter is guessable. */
export const MIN_OPERATOR_TOKEN_LENGTH = 16;

export function operatorTokenPath(home: OpenViberHome): string {
  return join(home.gateway, 'operator-token');
}

/**
 * The operator token: the one given, else the one kept in `gateway/operator-token`, else a new one
 * written there (mode 0600). `generated` is true only when it was created now.
 */
export function resolveOperatorToken(
  home: OpenViberHome,
  given?: string,
): { token: string; generated: boolean } {
  if (given !== undefined) return { token: validate(given, 'the operator token given'), generated: false };
  const path = operatorTokenPath(home);
  if (existsSync(path)) {
    const stored = readFileSync(path, 'utf8').trim();
    if (stored) return { token: validate(stored, path), generated: false };
  }
  ensureDir(home.gateway);
  const token = newToken('ovo');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

function validate(token: string, source: string): string {
  const trimmed = token.trim();
  if (trimmed.length < MIN_OPERATOR_TOKEN_LENGTH || /\s/.test(trimmed)) {
    throw new OpenViberError(
      'validation_failed',
      `${source}: an operator token must be at least ${MIN_OPERATOR_TOKEN_LENGTH} characters with no spaces`,
    );
  }
  return trimmed;
}
