import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument } from 'yaml';

/**
 * SKILL.md as the Agent Skills specification (agentskills.io/specification) defines it: YAML
 * frontmatter between two `---` lines, then the Markdown instructions. Every rule of the
 * specification is checked, and each problem names its file and line. Where the reference
 * validator (skills-ref) is looser than the specification, the specification wins: see
 * docs/skills.md and skill-file.test.ts.
 */

export const SKILL_FILE = 'SKILL.md';

export const SKILL_LIMITS = {
  nameChars: 64,
  descriptionChars: 1024,
  compatibilityChars: 500,
  /** A SKILL.md larger than this is refused unread: instructions are meant to be short. */
  fileBytes: 1024 * 1024,
} as const;

/** The only top-level fields the specification defines; anything else belongs under `metadata`. */
export const SKILL_FIELDS = [
  'name',
  'description',
  'license',
  'compatibility',
  'metadata',
  'allowed-tools',
] as const;

/** One thing wrong with a skill, at a line of a file (1-based), or about a whole folder (no line). */
export interface SkillProblem {
  file: string;
  line?: number;
  message: string;
}

/** The frontmatter of a valid SKILL.md. */
export interface SkillManifest {
  name: string;
  description: string;
  license?: string;
  compatibility?: string;
  /** A map from string keys to string values. */
  metadata: Record<string, string>;
  /** `allowed-tools`, split on whitespace (a string) or as listed (a YAML sequence). */
  allowedTools: string[];
}

export interface ParsedSkillFile {
  /** Present only when there are no problems. */
  manifest?: SkillManifest;
  /** The Markdown instructions after the frontmatter, trimmed. */
  body: string;
  problems: SkillProblem[];
}

const DELIMITER = /^---[ \t]*$/;
const NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** `file:line: message` (`folder: message` for a folder), the form every command prints. */
export function formatProblem(problem: SkillProblem): string {
  return `${problem.file}${problem.line ? `:${problem.line}` : ''}: ${problem.message}`;
}

/** Lengths in characters as the specification counts them: Unicode code points, not UTF-16 units. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Parses and validates the text of a SKILL.md found in the folder `folderName` (the name must
 * equal it). `file` is how problems name the file.
 */
export function parseSkillFile(text: string, file: string, folderName: string): ParsedSkillFile {
  const problems: SkillProblem[] = [];
  const report = (line: number, message: string) => problems.push({ file, line, message });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (!DELIMITER.test(lines[0] ?? '')) {
    report(1, "SKILL.md must start with YAML frontmatter: a '---' line, the fields, then another '---' line");
    return { body: '', problems };
  }
  const closing = lines.findIndex((line, index) => index > 0 && DELIMITER.test(line));
  if (closing === -1) {
    report(1, "the frontmatter opened on line 1 is never closed by a '---' line");
    return { body: '', problems };
  }
  const body = lines
    .slice(closing + 1)
    .join('\n')
    .trim();
  const yamlText = lines.slice(1, closing).join('\n');
  const counter = new LineCounter();
  const document = parseDocument(yamlText, { lineCounter: counter, prettyErrors: false });
  // Frontmatter line n is line n + 1 of the file; a position past the end is the closing line.
  const lineAt = (offset: number | undefined) =>
    Math.min((offset === undefined ? 0 : counter.linePos(offset).line) + 1, closing + 1);
  const lineOf = (node: Node | null | undefined) => lineAt(node?.range?.[0] ?? undefined);
  for (const error of document.errors) report(lineAt(error.pos[0]), `invalid YAML: ${error.message}`);
  if (problems.length > 0) return { body, problems };

  const root = document.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
    report(2, 'the frontmatter is empty; name and description are required');
    return { body, problems };
  }
  if (!isMap(root)) {
    report(lineOf(root), 'the frontmatter must be a YAML mapping of fields (name: ..., description: ...)');
    return { body, problems };
  }
  const fields = new Map<string, Pair<unknown, unknown>>();
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const keyLine = lineOf(pair.key as Node);
    if (key === undefined) {
      report(keyLine, 'every frontmatter field must be a plain name');
    } else if (!(SKILL_FIELDS as readonly string[]).includes(key)) {
      report(
        keyLine,
        `unknown field "${key}": the specification allows only ${SKILL_FIELDS.join(', ')}; put other properties under metadata`,
      );
    } else fields.set(key, pair);
  }
  const lineOfField = (key: string) => {
    const pair = fields.get(key);
    return lineOf((pair?.value as Node | null) ?? (pair?.key as Node));
  };
  const readString = (key: string) => stringField(fields.get(key), key, lineOfField(key), report);

  const name = requiredString(fields, 'name', readString, report);
  if (name !== undefined) checkName(name, folderName, lineOfField('name'), report);
  const description = requiredString(fields, 'description', readString, report);
  if (description !== undefined) {
    if (description.trim() === '') report(lineOfField('description'), 'description must not be empty');
    const length = characterCount(description);
    if (length > SKILL_LIMITS.descriptionChars)
      report(
        lineOfField('description'),
        `description is ${length} characters; the limit is ${SKILL_LIMITS.descriptionChars}`,
      );
  }
  const license = fields.has('license') ? readString('license') : undefined;
  const compatibility = fields.has('compatibility') ? readString('compatibility') : undefined;
  if (compatibility !== undefined) {
    const length = characterCount(compatibility);
    if (length === 0 || length > SKILL_LIMITS.compatibilityChars)
      report(
        lineOfField('compatibility'),
        `compatibility must be 1-${SKILL_LIMITS.compatibilityChars} characters; it is ${length}`,
      );
  }
  const metadata = metadataField(fields.get('metadata'), lineOf, report);
  const allowedTools = allowedToolsField(fields.get('allowed-tools'), lineOf, report);

  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0 || name === undefined || description === undefined) return { body, problems };
  return {
    body,
    problems,
    manifest: {
      name,
      description,
      ...(license !== undefined ? { license } : {}),
      ...(compatibility !== undefined ? { compatibility } : {}),
      metadata,
      allowedTools,
    },
  };
}

type Report = (line: number, message: string) => void;

function requiredString(
  fields: Map<string, unknown>,
  key: string,
  read: (key: string) => string | undefined,
  report: Report,
): string | undefined {
  if (!fields.has(key)) {
    report(2, `missing required field "${key}"`);
    return undefined;
  }
  return read(key);
}

/** A field whose value must be a string (a YAML scalar that is not a number, boolean or null). */
function stringField(
  pair: Pair<unknown, unknown> | undefined,
  key: string,
  line: number,
  report: Report,
): string | undefined {
  const value = pair?.value;
  if (isScalar(value) && typeof value.value === 'string') return value.value;
  if (isScalar(value) && value.value === null) {
    report(line, `${key} has no value; it must be a string`);
  } else if (isScalar(value)) {
    report(line, `${key} must be a string, not ${typeof value.value} ${String(value.source ?? value.value)}`);
  } else {
    report(line, `${key} must be a string, not a YAML ${isSeq(value) ? 'list' : 'mapping'}`);
  }
  return undefined;
}

function checkName(name: string, folderName: string, line: number, report: Report): void {
  const length = characterCount(name);
  if (length < 1 || length > SKILL_LIMITS.nameChars) {
    report(line, `name must be 1-${SKILL_LIMITS.nameChars} characters; "${name}" is ${length}`);
  }
  if (length > 0 && !NAME_PATTERN.test(name)) {
    const why =
      name !== name.toLowerCase()
        ? 'uppercase letters are not allowed'
        : name.startsWith('-') || name.endsWith('-')
          ? 'it must not start or end with a hyphen'
          : name.includes('--')
            ? 'it must not contain consecutive hyphens'
            : 'only lowercase letters a-z, digits and hyphens are allowed';
    report(line, `name "${name}" is not a valid skill name: ${why}`);
  }
  if (name !== folderName) {
    report(line, `name "${name}" must equal the name of its folder, "${folderName}"`);
  }
}

function metadataField(
  pair: Pair<unknown, unknown> | undefined,
  lineOf: (node: Node | null | undefined) => number,
  report: Report,
): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (!pair) return metadata;
  const value = pair.value as Node | null;
  if (!isMap(value)) {
    report(lineOf(value ?? (pair.key as Node)), 'metadata must be a mapping of string keys to string values');
    return metadata;
  }
  for (const item of value.items) {
    const key = isScalar(item.key) ? item.key.value : undefined;
    const entry = item.value as Node | null;
    if (typeof key !== 'string') {
      report(lineOf(item.key as Node), 'metadata keys must be strings');
    } else if (isScalar(entry) && typeof entry.value === 'string') {
      metadata[key] = entry.value;
    } else {
      const shown = isScalar(entry) ? String(entry.source ?? entry.value) : '';
      report(
        lineOf(entry ?? (item.key as Node)),
        isScalar(entry)
          ? `metadata value of "${key}" must be a string; quote it: ${key}: "${shown}"`
          : `metadata value of "${key}" must be a string, not a YAML ${isSeq(entry) ? 'list' : 'mapping'}`,
      );
    }
  }
  return metadata;
}

function allowedToolsField(
  pair: Pair<unknown, unknown> | undefined,
  lineOf: (node: Node | null | undefined) => number,
  report: Report,
): string[] {
  if (!pair) return [];
  const value = pair.value as Node | null;
  if (isScalar(value) && typeof value.value === 'string') return value.value.split(/\s+/).filter(Boolean);
  if (isSeq(value)) {
    const tools: string[] = [];
    for (const item of value.items) {
      if (isScalar(item) && typeof item.value === 'string') tools.push(item.value);
      else report(lineOf(item as Node), 'every entry of allowed-tools must be a string');
    }
    return tools;
  }
  report(
    lineOf(value ?? (pair.key as Node)),
    'allowed-tools must be a space-delimited string or a YAML list of strings',
  );
  return [];
}
