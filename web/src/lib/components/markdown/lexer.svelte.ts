import type { Token } from 'marked';

/**
 * marked is loaded when Markdown is first needed, in its own chunk, not with the page: the task
 * page asks for it as it starts loading the task (`loadMarkdown`), so it is nearly always here
 * before the conversation is. Until it is, `markdownTokens` answers undefined and Markdown shows
 * its text as plain text; then every Markdown on the page renders at once.
 */
const loaded = $state<{ lex?: (text: string) => Token[] }>({});
let loading: Promise<void> | undefined;

export function loadMarkdown(): Promise<void> {
  loading ??= import('marked').then(
    ({ Lexer }) => {
      loaded.lex = (text) => Lexer.lex(text, { gfm: true, breaks: false });
    },
    (error: unknown) => {
      // A chunk that did not arrive (a dropped connection): the next Markdown asks again.
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/** marked's tokens of `text`, or undefined until marked is loaded (reactive: read in a $derived). */
export function markdownTokens(text: string): Token[] | undefined {
  return loaded.lex?.(text);
}
