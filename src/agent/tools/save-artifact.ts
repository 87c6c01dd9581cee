import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTool, inputText } from './define-tool.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `Save a named text artifact for the operator: a report, a summary, a generated config, a data extract. It is kept with the task and shown to whoever watches it.
- name is a file name such as "summary.md" or "results.csv" (letters, digits, ".", "_", "-"); saving the same name again replaces it.
- Use write_file for files that belong in the workspace.`;

export const ArtifactNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
    'name must be a plain file name (letters, digits, ".", "_", "-"; at most 100 characters; no folders)',
  );

export const SaveArtifactInputSchema = z.object({
  name: ArtifactNameSchema.describe('File name of the artifact, e.g. "summary.md"'),
  content: z.string().describe('The text to save'),
  mediaType: z.string().max(100).optional().describe('e.g. text/markdown (default: from the name)'),
});

export interface SaveArtifactResult {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

const MEDIA_TYPES: Record<string, string> = {
  md: 'text/markdown',
  json: 'application/json',
  csv: 'text/csv',
  html: 'text/html',
  txt: 'text/plain',
  log: 'text/plain',
  yaml: 'application/yaml',
  yml: 'application/yaml',
};

export const saveArtifactTool = defineTool<typeof SaveArtifactInputSchema, SaveArtifactResult>({
  name: 'save_artifact',
  kind: 'meta',
  summary: 'Save a named text artifact with the task (streamed as data-artifact)',
  description: DESCRIPTION,
  inputSchema: SaveArtifactInputSchema,
  describe: (input) => `save artifact ${inputText(input, 'name')}`,
  async execute(input, run) {
    const bytes = Buffer.byteLength(input.content);
    if (bytes > TOOL_LIMITS.maxWriteBytes) {
      throw new ToolError(
        'too_large',
        `content is ${bytes} bytes, over the ${TOOL_LIMITS.maxWriteBytes}-byte limit`,
      );
    }
    const path = join(run.context.artifactsDir, input.name);
    await mkdir(run.context.artifactsDir, { recursive: true });
    await writeFile(path, input.content, { signal: run.signal });
    const fact = run.recordFile(path, input.content);
    const mediaType =
      input.mediaType ?? MEDIA_TYPES[input.name.split('.').pop()?.toLowerCase() ?? ''] ?? 'text/plain';
    run.context.writeData({
      type: 'data-artifact',
      id: input.name,
      data: { name: input.name, path, mediaType, ...fact },
    });
    return { name: input.name, path, ...fact };
  },
});
