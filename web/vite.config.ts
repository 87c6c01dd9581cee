import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// The board is a static single-page app: the gateway serves build/ on its own port, and answers
// every page path with index.html (the SPA fallback); the browser routes from there.
export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({ fallback: 'index.html', strict: true }),
      csp: {
        mode: 'hash',
        directives: {
          'default-src': ['self'],
          'script-src': ['self'],
          // Svelte sets inline style attributes (transitions, widths).
          'style-src': ['self', 'unsafe-inline'],
          'img-src': ['self', 'data:'],
          'connect-src': ['self'],
          'object-src': ['none'],
          'base-uri': ['self'],
          'form-action': ['self'],
        },
      },
    }),
  ],
  build: { reportCompressedSize: false },
  // `npm run dev --workspace web` against a gateway on the default port.
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:6007', changeOrigin: false } },
  },
});
