import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenViberHome } from '../core/home.ts';

/** Each file is cut here: the system prompt must leave room for the work. */
const MAX_FILE_CHARS = 16_000;

/** The files the system prompt is built from; any of them may be missing. */
export interface PersonaAndMemory {
  /** config/identity.md: who the viber is, which accounts it acts for. */
  identity: string | undefined;
  /** config/persona.md: tone and working style. */
  persona: string | undefined;
  /** memory/rules.md: rules the operator (or the remember tool) set. */
  rules: string | undefined;
  /** memory/habits.md: learned working habits. */
  habits: string | undefined;
}

export function memoryFiles(home: OpenViberHome): Record<keyof PersonaAndMemory, string> {
  return {
    identity: join(home.config, 'identity.md'),
    persona: join(home.config, 'persona.md'),
    rules: join(home.memory, 'rules.md'),
    habits: join(home.memory, 'habits.md'),
  };
}

/** Read fresh for every task, so what the remember tool wrote in one task is in the next one. */
export function loadPersonaAndMemory(home: OpenViberHome): PersonaAndMemory {
  const files = memoryFiles(home);
  return {
    identity: readOptional(files.identity),
    persona: readOptional(files.persona),
    rules: readOptional(files.rules),
    habits: readOptional(files.habits),
  };
}

function readOptional(path: string): string | undefined {
  // Usually absent: checked first, so a task start does not build an exception per file.
  if (!existsSync(path)) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!text) return undefined;
  if (text.length <= MAX_FILE_CHARS) return text;
  return `${text.slice(0, MAX_FILE_CHARS)}\n[... ${text.length - MAX_FILE_CHARS} more characters in ${path}]`;
}
