import type { Page } from 'playwright-core';

/** The attribute a snapshot puts on each interactive element: its reference (e1, e2, ...). */
export const REF_ATTRIBUTE = 'data-viber-ref';
const MAX_TEXT_CHARS = 20_000;
const MAX_ELEMENTS = 300;

export interface SnapshotElement {
  ref: string;
  role: string;
  name: string;
  value?: string;
  href?: string;
  disabled?: boolean;
}

export interface PageSnapshot {
  url: string;
  title: string;
  text: string;
  elements: SnapshotElement[];
  nextRef: number;
  note?: string;
}

/**
 * Walks the page's DOM: its readable text and its visible interactive elements, each marked with
 * a reference. An element keeps its reference across snapshots; new ones are numbered from
 * `firstRef`, so a reference from an earlier page never names an element of a later one.
 */
export async function snapshotPage(page: Page, firstRef: number): Promise<PageSnapshot> {
  const walked = await page.evaluate(
    ({ attribute, first, maxText, maxElements }) => {
      const selector = [
        'a[href]',
        'button',
        'input:not([type=hidden])',
        'select',
        'textarea',
        'summary',
        '[role=button]',
        '[role=link]',
        '[role=checkbox]',
        '[role=tab]',
        '[role=menuitem]',
        '[contenteditable=""]',
        '[contenteditable=true]',
      ].join(',');
      let next = first;
      const elements: Array<Record<string, unknown>> = [];
      const visible = (element: Element) => {
        const box = element.getBoundingClientRect();
        const style = getComputedStyle(element);
        return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
      };
      const labelOf = (element: HTMLElement): string => {
        const aria = element.getAttribute('aria-label');
        if (aria) return aria;
        const labelledBy = element.getAttribute('aria-labelledby');
        if (labelledBy) {
          const text = labelledBy
            .split(/\s+/)
            .map((id) => document.getElementById(id)?.textContent ?? '')
            .join(' ')
            .trim();
          if (text) return text;
        }
        const labels = (element as HTMLInputElement).labels;
        // The label's own text, without the text of the control inside it (a select's options).
        if (labels && labels.length > 0)
          return Array.from(labels, (label) =>
            Array.from(label.childNodes, (child) =>
              child === element ? '' : (child.textContent ?? ''),
            ).join(' '),
          ).join(' ');
        const placeholder = element.getAttribute('placeholder');
        if (placeholder) return placeholder;
        if (element instanceof HTMLInputElement && ['submit', 'button', 'reset'].includes(element.type))
          return element.value;
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
        const text = element.innerText || element.getAttribute('title') || element.getAttribute('name') || '';
        return text;
      };
      const roleOf = (element: HTMLElement): string => {
        const role = element.getAttribute('role');
        if (role) return role;
        const tag = element.tagName.toLowerCase();
        if (tag === 'a') return 'link';
        if (tag === 'select') return 'combobox';
        if (tag === 'textarea') return 'textbox';
        if (tag === 'summary') return 'button';
        if (tag === 'input') {
          const type = (element as HTMLInputElement).type;
          if (['submit', 'button', 'reset', 'image'].includes(type)) return 'button';
          if (type === 'checkbox' || type === 'radio') return type;
          return 'textbox';
        }
        if (element.isContentEditable) return 'textbox';
        return tag;
      };
      let omitted = 0;
      for (const node of Array.from(document.querySelectorAll(selector))) {
        const element = node as HTMLElement;
        if (!visible(element)) continue;
        if (elements.length >= maxElements) {
          omitted += 1;
          continue;
        }
        let ref = element.getAttribute(attribute);
        if (!ref) {
          ref = `e${next++}`;
          element.setAttribute(attribute, ref);
        }
        const item: Record<string, unknown> = {
          ref,
          role: roleOf(element),
          name: labelOf(element).replace(/\s+/g, ' ').trim().slice(0, 200),
        };
        if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
          if (
            element instanceof HTMLInputElement &&
            (element.type === 'checkbox' || element.type === 'radio')
          )
            item.value = element.checked ? 'checked' : 'unchecked';
          else if (!(element instanceof HTMLInputElement && element.type === 'password'))
            item.value = element.value;
        } else if (element instanceof HTMLSelectElement) {
          item.value = Array.from(element.selectedOptions, (option) => option.label).join(', ');
          item.options = Array.from(element.options, (option) => option.label).slice(0, 50);
        }
        if (element instanceof HTMLAnchorElement) item.href = element.href;
        if ((element as HTMLButtonElement).disabled) item.disabled = true;
        elements.push(item);
      }
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
      const text = (document.body?.innerText ?? '').replace(/\n{3,}/g, '\n\n').trim();
      return {
        title: document.title,
        text: text.length > maxText ? `${text.slice(0, maxText)}\n[… cut at ${maxText} characters]` : text,
        elements,
        next,
        omitted,
      };
    },
    { attribute: REF_ATTRIBUTE, first: firstRef, maxText: MAX_TEXT_CHARS, maxElements: MAX_ELEMENTS },
  );
  return {
    url: page.url(),
    title: walked.title,
    text: walked.text,
    elements: walked.elements as unknown as SnapshotElement[],
    nextRef: walked.next,
    ...(walked.omitted > 0
      ? { note: `${walked.omitted} more interactive elements are not listed (over ${MAX_ELEMENTS}).` }
      : {}),
  };
}

/** One line per element, e.g. `[e3] button "Send"` or `[e4] textbox "Email" = "a@b.c"`. */
export function formatElements(elements: SnapshotElement[]): string {
  return elements
    .map((element) => {
      const parts = [`[${element.ref}]`, element.role, JSON.stringify(element.name)];
      if (element.value !== undefined) parts.push(`= ${JSON.stringify(element.value)}`);
      const options = (element as SnapshotElement & { options?: string[] }).options;
      if (options) parts.push(`options: ${options.map((option) => JSON.stringify(option)).join(', ')}`);
      if (element.href) parts.push(`-> ${element.href}`);
      if (element.disabled) parts.push('(disabled)');
      return parts.join(' ');
    })
    .join('\n');
}
