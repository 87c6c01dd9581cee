// A single-page app: the browser renders every page; the gateway serves the shell and the API.
export const ssr = false;
export const prerender = false;
