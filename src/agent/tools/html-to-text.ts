import { decodeEntities } from './html-entities.ts';

/** Elements whose content is never readable text; skipped with everything inside. */
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'noscript']);
const DROPPED = new Set(['nav', 'svg', 'template', 'iframe', 'canvas', 'select', 'object']);
const BLOCKS = new Set([
  'p',
  'div',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'aside',
  'blockquote',
  'table',
  'tr',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'address',
  'details',
  'summary',
]);
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/y;

export interface ReadableText {
  title?: string;
  text: string;
}

/**
 * Turns HTML into readable text: scripts, styles and navigation dropped; headings as `#` lines,
 * paragraphs separated by blank lines, list items as `- ` or `1. `, links followed by their target
 * in parentheses, `<pre>` kept verbatim, entities decoded. A small tokenizer, not a full parser:
 * enough for reading a page, tolerant of broken markup.
 */
export function htmlToText(html: string, baseUrl?: string): ReadableText {
  const out = new TextWriter();
  const lists: Array<{ ordered: boolean; count: number }> = [];
  let title: string | undefined;
  let dropped: { name: string; depth: number } | undefined;
  let preDepth = 0;
  let link: { href: string; start: number } | undefined;
  let index = 0;
  while (index < html.length) {
    const open = html.indexOf('<', index);
    if (open === -1 || open > index) {
      const text = html.slice(index, open === -1 ? html.length : open);
      if (!dropped) out.text(decodeEntities(text), preDepth > 0);
      if (open === -1) break;
    }
    index = open;
    if (html.startsWith('<!--', index)) {
      const end = html.indexOf('-->', index + 4);
      index = end === -1 ? html.length : end + 3;
      continue;
    }
    if (html.startsWith('<!', index) || html.startsWith('<?', index)) {
      const end = html.indexOf('>', index);
      index = end === -1 ? html.length : end + 1;
      continue;
    }
    TAG.lastIndex = index;
    const match = TAG.exec(html);
    if (!match) {
      if (!dropped) out.text('<', preDepth > 0);
      index += 1;
      continue;
    }
    index = TAG.lastIndex;
    const closing = match[1] === '/';
    const name = match[2]!.toLowerCase();
    const attributes = match[3] ?? '';
    const selfClosing = attributes.trimEnd().endsWith('/');
    if (!closing && RAW_TEXT.has(name) && !selfClosing) {
      const end = findClose(html, name, index);
      if (name === 'title' && title === undefined)
        title = collapse(decodeEntities(html.slice(index, end.contentEnd)));
      index = end.after;
      continue;
    }
    if (dropped) {
      if (name === dropped.name && !selfClosing) dropped.depth += closing ? -1 : 1;
      if (dropped.depth === 0) dropped = undefined;
      continue;
    }
    if (!closing && DROPPED.has(name)) {
      if (!selfClosing) dropped = { name, depth: 1 };
      continue;
    }
    if (closing) {
      if (name === 'a' && link) {
        out.linkTarget(link.href, link.start);
        link = undefined;
      } else if (name === 'pre') {
        preDepth = Math.max(0, preDepth - 1);
        out.fence();
      } else if (name === 'ul' || name === 'ol') {
        lists.pop();
        out.block();
      } else if (/^h[1-6]$/.test(name) || BLOCKS.has(name)) out.block();
      continue;
    }
    if (/^h[1-6]$/.test(name)) {
      out.block();
      out.raw(`${'#'.repeat(Number(name[1]))} `);
    } else if (name === 'ul' || name === 'ol') {
      out.block();
      lists.push({ ordered: name === 'ol', count: 0 });
    } else if (name === 'li') {
      const list = lists.at(-1);
      out.line();
      const marker = list?.ordered ? `${++list.count}. ` : '- ';
      out.raw(`${'  '.repeat(Math.max(0, lists.length - 1))}${marker}`);
    } else if (name === 'br') out.line();
    else if (name === 'hr') {
      out.block();
      out.raw('---');
      out.block();
    } else if (name === 'pre') {
      preDepth += 1;
      out.fence();
    } else if (name === 'td' || name === 'th') out.cell();
    else if (name === 'a') {
      const href = attribute(attributes, 'href');
      link = href ? { href: resolveHref(href, baseUrl), start: out.length } : undefined;
    } else if (name === 'img') {
      const alt = attribute(attributes, 'alt');
      if (alt) out.text(`[${alt}]`, false);
    } else if (BLOCKS.has(name)) out.block();
  }
  return { title: title || undefined, text: out.finish() };
}

function findClose(html: string, name: string, from: number): { contentEnd: number; after: number } {
  const pattern = new RegExp(`</${name}`, 'gi');
  pattern.lastIndex = from;
  const close = pattern.exec(html)?.index ?? -1;
  if (close === -1) return { contentEnd: html.length, after: html.length };
  const end = html.indexOf('>', close);
  return { contentEnd: close, after: end === -1 ? html.length : end + 1 };
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(
    attributes,
  );
  const value = match?.[1] ?? match?.[2] ?? match?.[3];
  return value === undefined ? undefined : decodeEntities(value).trim();
}

function resolveHref(href: string, baseUrl: string | undefined): string {
  if (/^(javascript|data):/i.test(href)) return '';
  try {
    return baseUrl ? new URL(href, baseUrl).href : href;
  } catch {
    return href;
  }
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Accumulates text with collapsed whitespace and explicit line and block breaks. Pieces go into an
 * array and only the tail state is tracked, so a multi-megabyte page converts in linear time.
 */
class TextWriter {
  private readonly pieces: string[] = [];
  private pendingSpace = false;
  private trailingNewlines = 0;
  private lastChar = '';

  /** A position to read back from (for link text). */
  get length(): number {
    return this.pieces.length;
  }

  text(value: string, preformatted: boolean): void {
    if (preformatted) {
      this.append(value);
      this.pendingSpace = false;
      return;
    }
    if (value.length === 0) return;
    const collapsed = value.replace(/\s+/g, ' ');
    if (collapsed.startsWith(' ')) this.pendingSpace = true;
    const word = collapsed.trim();
    if (word.length === 0) return;
    if (this.pendingSpace && this.lastChar !== '' && !/\s/.test(this.lastChar)) this.append(' ');
    this.append(word);
    this.pendingSpace = collapsed.endsWith(' ');
  }

  raw(value: string): void {
    this.append(value);
    this.pendingSpace = false;
  }

  /** Ends the current line. */
  line(): void {
    this.breakWith(1);
  }

  /** Ends the current paragraph: a blank line. */
  block(): void {
    this.breakWith(2);
  }

  cell(): void {
    if (this.lastChar !== '' && this.lastChar !== '\n') this.raw(' | ');
  }

  fence(): void {
    this.line();
    this.raw('```\n');
  }

  /** Appends ` (target)` after a link's text unless the text already is the target. */
  linkTarget(href: string, start: number): void {
    if (!href || href.startsWith('#')) return;
    const text = this.pieces.slice(start).join('').trim();
    if (text === href || text === href.replace(/\/$/, '')) return;
    this.raw(text ? ` (${href})` : href);
  }

  finish(): string {
    return this.pieces
      .join('')
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  }

  private append(value: string): void {
    if (value.length === 0) return;
    this.pieces.push(value);
    let newlines = 0;
    while (newlines < value.length && value[value.length - 1 - newlines] === '\n') newlines += 1;
    this.trailingNewlines = newlines === value.length ? this.trailingNewlines + newlines : newlines;
    this.lastChar = value[value.length - 1]!;
  }

  /** Trailing spaces before a break are left for finish() to trim. */
  private breakWith(newlines: number): void {
    if (this.lastChar === '') return;
    if (this.trailingNewlines < newlines) this.append('\n'.repeat(newlines - this.trailingNewlines));
    this.pendingSpace = false;
  }
}
