import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * An MCP tool result as the model reads it. Text content is joined as it is; an image, audio or a
 * binary resource is written to the task's artifacts folder and named by a line that says what it
 * is and where (the model cannot read base64, and it would blow the output bound); an embedded
 * text resource is shown with its URI; a resource link by its name and URI. `structuredContent`
 * is passed on as it is.
 */
export interface McpToolOutput {
  content: string;
  structuredContent?: Record<string, unknown>;
}

export interface SavedBlob {
  path: string;
  bytes: Buffer;
}

export interface RenderOptions {
  artifactsDir: string;
  /** Names the files: `mcp-<server>-<toolCallId>-<n>.<ext>`. */
  filePrefix: string;
  /** Told of every file written (evidence). */
  onSaved?(blob: SavedBlob): void;
}

type Item = Record<string, unknown>;

export async function renderToolResult(
  result: Record<string, unknown>,
  options: RenderOptions,
): Promise<McpToolOutput> {
  const items = Array.isArray(result.content) ? (result.content as unknown[]) : [];
  const pieces: string[] = [];
  for (const [index, raw] of items.entries()) {
    if (raw === null || typeof raw !== 'object') continue;
    pieces.push(await renderItem(raw as Item, index + 1, options));
  }
  const structured = result.structuredContent;
  const output: McpToolOutput = { content: pieces.join('\n\n') };
  if (structured !== null && typeof structured === 'object' && !Array.isArray(structured)) {
    output.structuredContent = structured as Record<string, unknown>;
    if (pieces.length === 0) output.content = JSON.stringify(structured);
  }
  return output;
}

async function renderItem(item: Item, index: number, options: RenderOptions): Promise<string> {
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : '');
  switch (item.type) {
    case 'text':
      return text('text');
    case 'image':
    case 'audio': {
      const path = await save(text('data'), text('mimeType'), index, options);
      return `[${item.type} ${text('mimeType') || 'of unknown type'}, ${path}]`;
    }
    case 'resource': {
      const resource = (item.resource ?? {}) as Item;
      const uri = typeof resource.uri === 'string' ? resource.uri : '(no uri)';
      const mimeType = typeof resource.mimeType === 'string' ? ` (${resource.mimeType})` : '';
      if (typeof resource.text === 'string') return `[resource ${uri}${mimeType}]\n${resource.text}`;
      if (typeof resource.blob === 'string') {
        const path = await save(resource.blob, String(resource.mimeType ?? ''), index, options);
        return `[resource ${uri}${mimeType}, ${path}]`;
      }
      return `[resource ${uri}${mimeType}]`;
    }
    case 'resource_link': {
      const mimeType = text('mimeType') ? ` (${text('mimeType')})` : '';
      const description = text('description') ? `: ${text('description')}` : '';
      return `[resource link ${text('name') || text('uri')}: ${text('uri')}${mimeType}${description}]`;
    }
    default:
      return `[${String(item.type ?? 'unknown')} content: ${JSON.stringify(item).slice(0, 500)}]`;
  }
}

/** Writes base64 content to the artifacts folder; says what was written and where. */
async function save(
  base64: string,
  mimeType: string,
  index: number,
  options: RenderOptions,
): Promise<string> {
  const bytes = Buffer.from(base64, 'base64');
  const path = join(options.artifactsDir, `${options.filePrefix}-${index}.${extensionOf(mimeType)}`);
  await mkdir(options.artifactsDir, { recursive: true });
  await writeFile(path, bytes);
  options.onSaved?.({ path, bytes });
  return `${bytes.length} bytes saved to ${path}`;
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'audio/wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'application/pdf': 'pdf',
  'application/gzip': 'gz',
  'application/zip': 'zip',
};

function extensionOf(mimeType: string): string {
  return EXTENSIONS[mimeType.toLowerCase()] ?? 'bin';
}
