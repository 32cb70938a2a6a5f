// Writes claude-code-plugin/ from its one definition (src/common/plugin-files.ts).
//   node --import tsx scripts/write-plugin.ts
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PLUGIN_DIR, pluginFiles } from '../src/common/plugin-files.ts';

const repo = resolve(__dirname, '..');
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version as string;
const root = join(repo, PLUGIN_DIR);
rmSync(root, { recursive: true, force: true });
for (const [rel, text] of Object.entries(pluginFiles(version))) {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  if (rel.includes('/bin/')) chmodSync(p, 0o755);
}
console.log(`wrote ${root}`);
