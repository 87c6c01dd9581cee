import { describe, expect, it } from 'vitest';
import { decodeEntities } from './html-entities.ts';
import { htmlToText } from './html-to-text.ts';

describe('htmlToText', () => {
  it('keeps headings, paragraphs, lists and link targets; drops script, style and nav', () => {
    const html = `<!doctype html><html><head><title>My &amp; Page</title>
      <style>body { color: red }</style><script>var x = "<p>not text</p>";</script></head>
      <body><nav><ul><li><a href="/home">Home</a></li><nav>inner</nav></ul></nav>
      <h1>Main   title</h1>
      <p>First <b>bold</b> paragraph
         spanning lines, see <a href="/docs/intro">the docs</a>.</p>
      <!-- a comment <p>hidden</p> -->
      <ul><li>one</li><li>two <a href="https://example.org/">https://example.org/</a></li></ul>
      <ol><li>first</li><li>second</li></ol>
      <h2>Code</h2><pre>  indented
    code &lt;here&gt;</pre>
      <p>Caf&eacute; &#8212; &#x1F600; &nbsp;end<br>next line</p>
      <table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>
      <a href="javascript:alert(1)">js link</a> <img src="x.png" alt="a picture">
      </body></html>`;
    const { title, text } = htmlToText(html, 'https://site.test/base/page.html');
    expect(title).toBe('My & Page');
    expect(text).toBe(
      [
        '# Main title',
        '',
        'First bold paragraph spanning lines, see the docs (https://site.test/docs/intro).',
        '',
        '- one',
        '- two https://example.org/',
        '',
        '1. first',
        '2. second',
        '',
        '## Code',
        '',
        '```',
        '  indented',
        '    code <here>',
        '```',
        '',
        'Café — 😀 end',
        'next line',
        '',
        'a | b',
        '',
        '1 | 2',
        '',
        'js link [a picture]',
      ].join('\n'),
    );
  });

  it('tolerates broken markup and stray angle brackets', () => {
    expect(htmlToText('<p>a < b and c > d<p>unclosed <div>x').text).toBe('a < b and c > d\n\nunclosed\n\nx');
    expect(htmlToText('<script>never closed').text).toBe('');
    expect(htmlToText('').text).toBe('');
  });

  it('converts a large page', () => {
    const html = '<div><p>para <a href="/x">link</a></p><script>s</script></div>'.repeat(50_000);
    const { text } = htmlToText(html, 'http://h.test/');
    expect(text.split('\n\n')).toHaveLength(50_000);
  });
});

describe('decodeEntities', () => {
  it('decodes named and numeric references and leaves unknown ones', () => {
    expect(decodeEntities('&lt;a&gt; &quot;x&quot; &#39;y&#39; &#x41; &unknown; &#xD800; &amp;amp;')).toBe(
      '<a> "x" \'y\' A &unknown; &#xD800; &amp;',
    );
  });
});
