/** Links the board follows from model-written Markdown: web, mail and in-page; never `javascript:`. */
export function safeHref(href: string | null | undefined): string | undefined {
  if (!href) return undefined;
  const trimmed = href.trim();
  if (/^(https?:|mailto:)/i.test(trimmed)) return trimmed;
  if (/^(#|\/(?!\/))/.test(trimmed)) return trimmed;
  return undefined;
}

export const isExternal = (href: string): boolean => /^(https?:|mailto:)/i.test(href);
