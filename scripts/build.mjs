// Bundles every entry point with esbuild. `vscode` and the native SQLite addon stay external:
// the first is provided by the editor, the second is loaded from disk at run time.
import { build } from 'esbuild';
import { readFileSync, mkdirSync, chmodSync, copyFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  define: { __CLAUDE_PEERS_VERSION__: JSON.stringify(pkg.version) },
  external: ['vscode', 'better-sqlite3', 'better-sqlite3-napi'],
};

mkdirSync('dist', { recursive: true });
const entries = [
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['src/hooks/main.ts'], outfile: 'dist/hook.js' },
];
const optional = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['webview/main.ts'], outfile: 'dist/webview/panel.js', platform: 'browser', format: 'iife', target: 'es2022' },
];
import { existsSync } from 'node:fs';
for (const e of optional) if (existsSync(e.entryPoints[0])) entries.push(e);
await Promise.all(entries.map((e) => build({ ...common, ...e })));

// The peer panel's webview: its stylesheet and the codicon font next to the bundle, so the
// webview loads everything from dist/webview/ (one of its localResourceRoots).
if (existsSync('webview/main.ts')) {
  mkdirSync('dist/webview', { recursive: true });
  copyFileSync('webview/panel.css', 'dist/webview/panel.css');
  const codicons = 'node_modules/@vscode/codicons/dist';
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(`${codicons}/${f}`, `dist/webview/${f}`);
}
chmodSync('dist/cli.js', 0o755);
console.log(`built ${entries.map((e) => e.outfile).join(', ')}`);
