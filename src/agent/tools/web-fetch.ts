import { z } from 'zod';
import { defineTool, inputText, type ToolRun } from './define-tool.ts';
import { htmlToText } from './html-to-text.ts';
import { decodeBody, fetchFailure, parseHttpUrl, readBodyLimited } from './http-body.ts';
import { looksBinary } from './text-file.ts';
import { ToolError } from './tool-error.ts';
import { TOOL_LIMITS } from './tool-limits.ts';

const DESCRIPTION = `Fetch a web page or file over http(s) and return it as readable text.
- HTML is converted to text: headings as "#" lines, paragraphs, list items, and link targets in parentheses; scripts, styles and navigation are dropped. Use format "html" for the raw markup.
- Plain text and JSON are returned as they are; binary content is not returned.
- Redirects are followed. The request times out after ${TOOL_LIMITS.webFetchTimeoutMs / 1000} s; bodies over ${TOOL_LIMITS.webFetchMaxBytes / 1024 / 1024} MB are cut. Long text is cut and saved to a file whose path the result names.`;

export const WebFetchInputSchema = z.object({
  url: z
    .string()
    .refine((value) => parseHttpUrl(value) !== undefined, 'url must be an absolute http:// or https:// URL')
    .describe('The URL to fetch'),
  format: z
    .enum(['text', 'html'])
    .optional()
    .describe('text (default): HTML converted to text; html: raw markup'),
});
export type WebFetchInput = z.infer<typeof WebFetchInputSchema>;

export interface WebFetchResult {
  url: string;
  finalUrl: string;
  status: number;
  contentType: string;
  title?: string;
  text: string;
  note?: string;
}

const TEXTUAL = /^(text\/|application\/(json|xml|javascript|x-javascript|ld\+json|[\w.+-]+\+(json|xml)))/i;

export const webFetchTool = defineTool<typeof WebFetchInputSchema, WebFetchResult>({
  name: 'web_fetch',
  kind: 'network',
  summary: 'Fetch a URL; HTML converted to readable text',
  description: DESCRIPTION,
  inputSchema: WebFetchInputSchema,
  describe: (input) => `fetch ${inputText(input, 'url')}`,
  isOk: (output) => output.status < 400,
  excerpt: (output) => `${output.status} ${output.finalUrl}\n${output.text.slice(0, 300)}`,
  execute: fetchPage,
});

async function fetchPage(input: WebFetchInput, run: ToolRun): Promise<WebFetchResult> {
  const timeout = AbortSignal.timeout(TOOL_LIMITS.webFetchTimeoutMs);
  let response: Response;
  try {
    response = await fetch(input.url, {
      signal: AbortSignal.any([run.signal, timeout]),
      redirect: 'follow',
      headers: {
        'user-agent': 'OpenViber/0.1 (web_fetch)',
        accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5',
      },
    });
  } catch (error) {
    if (timeout.aborted && !run.signal.aborted) {
      throw new ToolError(
        'http_error',
        `fetching ${input.url} timed out after ${TOOL_LIMITS.webFetchTimeoutMs / 1000} s`,
      );
    }
    throw new ToolError('http_error', `fetching ${input.url} failed: ${fetchFailure(error)}`);
  }
  const finalUrl = response.url || input.url;
  run.recordUrl(finalUrl, response.status);
  const contentType = response.headers.get('content-type') ?? '';
  const body = await readBodyLimited(response, TOOL_LIMITS.webFetchMaxBytes);
  const result: WebFetchResult = { url: input.url, finalUrl, status: response.status, contentType, text: '' };
  const notes: string[] = [];
  if (body.cut) notes.push(`The body was cut at ${TOOL_LIMITS.webFetchMaxBytes} bytes.`);
  if (!TEXTUAL.test(contentType) && looksBinary(body.bytes.subarray(0, 8192))) {
    notes.push(`Binary content (${contentType || 'unknown type'}, ${body.bytes.length} bytes) is not shown.`);
  } else {
    const decoded = decodeBody(body.bytes, contentType);
    const isHtml = /html/i.test(contentType) || (!contentType && /^\s*<(!doctype html|html)/i.test(decoded));
    if (isHtml && input.format !== 'html') {
      const readable = htmlToText(decoded, finalUrl);
      result.title = readable.title;
      result.text = readable.text;
    } else {
      result.text = decoded;
    }
  }
  if (response.status >= 400) notes.push(`The server answered HTTP ${response.status}.`);
  if (notes.length > 0) result.note = notes.join(' ');
  return result;
}
