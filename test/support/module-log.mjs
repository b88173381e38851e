// Preload (`node --import`) that records the modules a process loads, one URL or path a
// line, in the file named by MAILSCOPE_MODULE_LOG. A load hook records ES modules as they
// load. CommonJS modules loaded with require() bypass that hook in Node.js 20, so the keys
// of require.cache are added when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const logFile = process.env.MAILSCOPE_MODULE_LOG;
if (logFile) {
  register('./module-log-hooks.mjs', import.meta.url, { data: { logFile } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    appendFileSync(logFile, `${Object.keys(require.cache).join('\n')}\n`);
  });
}
