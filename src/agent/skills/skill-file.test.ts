import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate as referenceValidate } from 'skills-ref';
import { describe, expect, it } from 'vitest';
import { makeTempDir, useTempDirs } from '../../../test/support/temp-dirs.ts';
import { loadSkill } from './load-skill.ts';
import { characterCount, formatProblem, parseSkillFile } from './skill-file.ts';

// SKILL.md per the Agent Skills specification: every rule, each problem with its file and line.

useTempDirs();

const parse = (text: string, folder = 'pdf-tools') => parseSkillFile(text, 'pdf-tools/SKILL.md', folder);
const problemsOf = (text: string, folder?: string) =>
  parse(text, folder).problems.map((problem) => `${problem.line}: ${problem.message}`);

describe('parseSkillFile', () => {
  it('reads every field of the specification and the body', () => {
    const parsed = parse(
      [
        '---',
        'name: pdf-tools',
        'description: >-',
        '  Extract text from PDFs.',
        '  Use when the user mentions PDFs.',
        'license: Apache-2.0',
        'compatibility: Requires poppler-utils',
        'metadata:',
        '  author: example-org',
        '  version: "1.0"',
        'allowed-tools: Bash(pdftotext:*) Read',
        '---',
        '',
        '# PDF tools',
        'Run scripts/extract.sh.',
        '',
      ].join('\n'),
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.manifest).toEqual({
      name: 'pdf-tools',
      description: 'Extract text from PDFs. Use when the user mentions PDFs.',
      license: 'Apache-2.0',
      compatibility: 'Requires poppler-utils',
      metadata: { author: 'example-org', version: '1.0' },
      allowedTools: ['Bash(pdftotext:*)', 'Read'],
    });
    expect(parsed.body).toBe('# PDF tools\nRun scripts/extract.sh.');
  });

  it('takes allowed-tools as a YAML list too, and CRLF line endings and a BOM', () => {
    const parsed = parse(
      '\uFEFF---\r\nname: pdf-tools\r\ndescription: d\r\nallowed-tools:\r\n  - Read\r\n  - Bash(git:*)\r\n---\r\nbody\r\n',
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.manifest?.allowedTools).toEqual(['Read', 'Bash(git:*)']);
    expect(parsed.body).toBe('body');
  });

  it('refuses malformed frontmatter, naming the line', () => {
    expect(problemsOf('# no frontmatter\n')).toEqual([
      "1: SKILL.md must start with YAML frontmatter: a '---' line, the fields, then another '---' line",
    ]);
    expect(problemsOf('---\nname: pdf-tools\ndescription: d\n')).toEqual([
      "1: the frontmatter opened on line 1 is never closed by a '---' line",
    ]);
    // An unquoted colon inside a value is not YAML (other tools sometimes accept it).
    expect(problemsOf('---\nname: pdf-tools\ndescription: Use when: PDFs\n---\n')).toEqual([
      '3: invalid YAML: Nested mappings are not allowed in compact mappings',
    ]);
    expect(problemsOf('---\nname: pdf-tools\ndescription: "open\n---\n')).toEqual([
      '3: invalid YAML: Missing closing "quote',
    ]);
    expect(problemsOf('---\nname: pdf-tools\ndescription: a\nname: pdf-tools\n---\n')).toEqual([
      '4: invalid YAML: Map keys must be unique',
    ]);
    expect(problemsOf('---\n- name\n- description\n---\n')).toEqual([
      '2: the frontmatter must be a YAML mapping of fields (name: ..., description: ...)',
    ]);
    expect(problemsOf('---\n---\nbody\n')).toEqual([
      '2: the frontmatter is empty; name and description are required',
    ]);
  });

  it('enforces the name rules and the folder match', () => {
    const nameProblems = (name: string, folder = name) =>
      problemsOf(`---\nname: ${name}\ndescription: d\n---\n`, folder);
    expect(nameProblems('PDF-Processing')).toEqual([
      '2: name "PDF-Processing" is not a valid skill name: uppercase letters are not allowed',
    ]);
    expect(nameProblems('-pdf')).toEqual([
      '2: name "-pdf" is not a valid skill name: it must not start or end with a hyphen',
    ]);
    expect(nameProblems('pdf-')).toEqual([
      '2: name "pdf-" is not a valid skill name: it must not start or end with a hyphen',
    ]);
    expect(nameProblems('pdf--processing')).toEqual([
      '2: name "pdf--processing" is not a valid skill name: it must not contain consecutive hyphens',
    ]);
    expect(nameProblems('pdf_tools')).toEqual([
      '2: name "pdf_tools" is not a valid skill name: only lowercase letters a-z, digits and hyphens are allowed',
    ]);
    expect(nameProblems('a'.repeat(65))).toEqual([
      `2: name must be 1-64 characters; "${'a'.repeat(65)}" is 65`,
    ]);
    expect(nameProblems('a'.repeat(64))).toEqual([]);
    expect(nameProblems('pdf-tools', 'pdf')).toEqual([
      '2: name "pdf-tools" must equal the name of its folder, "pdf"',
    ]);
    expect(problemsOf('---\nname: 2024\ndescription: d\n---\n')).toEqual([
      '2: name must be a string, not number 2024',
    ]);
    expect(problemsOf('---\ndescription: d\n---\n')).toEqual(['2: missing required field "name"']);
  });

  it('enforces the description: present, not empty, at most 1024 characters', () => {
    expect(problemsOf('---\nname: pdf-tools\n---\n')).toEqual(['2: missing required field "description"']);
    expect(problemsOf('---\nname: pdf-tools\ndescription:\n---\n')).toEqual([
      '3: description has no value; it must be a string',
    ]);
    expect(problemsOf('---\nname: pdf-tools\ndescription: "  "\n---\n')).toEqual([
      '3: description must not be empty',
    ]);
    expect(problemsOf(`---\nname: pdf-tools\ndescription: ${'d'.repeat(1025)}\n---\n`)).toEqual([
      '3: description is 1025 characters; the limit is 1024',
    ]);
    expect(problemsOf(`---\nname: pdf-tools\ndescription: ${'d'.repeat(1024)}\n---\n`)).toEqual([]);
    // Characters are code points: 1024 emoji (2048 UTF-16 units) are within the limit.
    expect(problemsOf(`---\nname: pdf-tools\ndescription: ${'📄'.repeat(1024)}\n---\n`)).toEqual([]);
    expect(characterCount('📄📄')).toBe(2);
  });

  it('refuses unknown top-level fields, and checks compatibility, license, metadata and allowed-tools', () => {
    expect(problemsOf('---\nname: pdf-tools\ndescription: d\nversion: 1\nauthor: me\n---\n')).toEqual([
      '4: unknown field "version": the specification allows only name, description, license, compatibility, metadata, allowed-tools; put other properties under metadata',
      '5: unknown field "author": the specification allows only name, description, license, compatibility, metadata, allowed-tools; put other properties under metadata',
    ]);
    expect(
      problemsOf(`---\nname: pdf-tools\ndescription: d\ncompatibility: ${'c'.repeat(501)}\n---\n`),
    ).toEqual(['4: compatibility must be 1-500 characters; it is 501']);
    expect(problemsOf('---\nname: pdf-tools\ndescription: d\ncompatibility: ""\n---\n')).toEqual([
      '4: compatibility must be 1-500 characters; it is 0',
    ]);
    expect(problemsOf('---\nname: pdf-tools\ndescription: d\nlicense: [MIT]\n---\n')).toEqual([
      '4: license must be a string, not a YAML list',
    ]);
    expect(
      problemsOf('---\nname: pdf-tools\ndescription: d\nmetadata:\n  version: 1.0\n  ok: "yes"\n---\n'),
    ).toEqual(['5: metadata value of "version" must be a string; quote it: version: "1.0"']);
    expect(problemsOf('---\nname: pdf-tools\ndescription: d\nmetadata: plain\n---\n')).toEqual([
      '4: metadata must be a mapping of string keys to string values',
    ]);
    expect(problemsOf('---\nname: pdf-tools\ndescription: d\nallowed-tools: {a: b}\n---\n')).toEqual([
      '4: allowed-tools must be a space-delimited string or a YAML list of strings',
    ]);
  });

  it('formats a problem as file:line: message', () => {
    const [problem] = parse('---\nname: pdf-tools\n---\n').problems;
    expect(formatProblem(problem!)).toBe('pdf-tools/SKILL.md:2: missing required field "description"');
  });
});

describe('where skills-ref (the reference library) and the specification differ, OpenViber follows the specification', () => {
  function skillFolder(folder: string, skillMd: string, fileName = 'SKILL.md'): string {
    const path = join(makeTempDir('skill-ref'), folder);
    mkdirSync(path);
    writeFileSync(join(path, fileName), skillMd);
    return path;
  }
  async function both(path: string) {
    const loaded = loadSkill(path, 'home');
    return {
      skillsRef: await referenceValidate(path),
      openViber: loaded.ok ? [] : loaded.problems.map((problem) => problem.message),
    };
  }

  it('an empty description: skills-ref reads YAML null as the text "null" and passes it', async () => {
    const result = await both(
      skillFolder('empty-description', '---\nname: empty-description\ndescription:\n---\n'),
    );
    expect(result.skillsRef).toEqual([]);
    expect(result.openViber).toEqual(['description has no value; it must be a string']);
  });

  it('lengths: skills-ref counts UTF-16 units, so 600 emoji count as 1200; the limit is in characters', async () => {
    const emoji = '😀'.repeat(600);
    const result = await both(skillFolder('emoji', `---\nname: emoji\ndescription: ${emoji}\n---\n`));
    expect(result.skillsRef).toEqual(['Description exceeds 1024 character limit (1200 chars)']);
    expect(result.openViber).toEqual([]);
  });

  it('an empty compatibility: the specification says 1-500 characters, skills-ref only checks the maximum', async () => {
    const result = await both(
      skillFolder('no-compat', '---\nname: no-compat\ndescription: d\ncompatibility: ""\n---\n'),
    );
    expect(result.skillsRef).toEqual([]);
    expect(result.openViber).toEqual(['compatibility must be 1-500 characters; it is 0']);
  });

  it('names: the specification allows a-z, digits and hyphens; skills-ref allows any Unicode letter', async () => {
    const result = await both(skillFolder('café', '---\nname: café\ndescription: d\n---\n'));
    expect(result.skillsRef).toEqual([]);
    expect(result.openViber).toEqual([
      'name "café" is not a valid skill name: only lowercase letters a-z, digits and hyphens are allowed',
    ]);
  });

  it('metadata values: the specification says strings; skills-ref turns a number into text', async () => {
    const result = await both(
      skillFolder('numbers', '---\nname: numbers\ndescription: d\nmetadata:\n  version: 1.0\n---\n'),
    );
    expect(result.skillsRef).toEqual([]);
    expect(result.openViber).toEqual([
      'metadata value of "version" must be a string; quote it: version: "1.0"',
    ]);
  });

  it('the file name: skills-ref also accepts skill.md; the specification names SKILL.md', async () => {
    const result = await both(skillFolder('lower', '---\nname: lower\ndescription: d\n---\n', 'skill.md'));
    expect(result.skillsRef).toEqual([]);
    expect(result.openViber).toEqual(['has skill.md; the file must be named exactly SKILL.md']);
  });

  it('both refuse unknown top-level fields and a name that is not its folder', async () => {
    const result = await both(skillFolder('agree', '---\nname: other\ndescription: d\ntags: [a]\n---\n'));
    expect(result.skillsRef).toEqual([
      'Unexpected fields in frontmatter: tags. Only allowed-tools, compatibility, description, license, metadata, name are allowed.',
      "Directory name 'agree' must match skill name 'other'",
    ]);
    expect(result.openViber).toEqual([
      'name "other" must equal the name of its folder, "agree"',
      'unknown field "tags": the specification allows only name, description, license, compatibility, metadata, allowed-tools; put other properties under metadata',
    ]);
  });
});
