import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * Policy for the built UI, added as a meta tag so it applies however the files are served.
 * The dev server is left without it because its hot reload injects inline scripts.
 * Message HTML is not covered, because it loads in a sandboxed frame with its own policy.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "frame-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'mailscope-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

// Built with `vite build renderer`, so paths below are relative to renderer/.
export default defineConfig({
  // Relative asset URLs let the same build load from any path: the core's HTTP server
  // in a browser tab or in the Electron window.
  base: './',
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
  server: {
    // `npm run dev:ui` serves the UI with hot reload against a core on the default port.
    // changeOrigin sets the Host header to the core's address, which its Host check needs.
    proxy: { '/api': { target: 'http://127.0.0.1:8025', changeOrigin: true } },
  },
});
