// Loaded with `node --require` before code-server 4.103's entry (see toolsets.ts): that release has
// no --vscode-option and refuses any flag it does not model, so VS Code's own
// --enable-smoke-test-driver (needed for extension development and test paths in a built
// workbench) is added to its option table. Parsed arguments reach the VS Code server as they are.
'use strict';
const { join, dirname } = require('node:path');

const entry = process.argv[1];
if (entry && entry.endsWith(join('out', 'node', 'entry.js'))) {
  const cli = require(join(dirname(entry), 'cli.js'));
  if (cli.options && !cli.options['enable-smoke-test-driver']) {
    cli.options['enable-smoke-test-driver'] = { type: 'boolean', description: 'Enable the smoke-test driver (added by the claude-peers e2e harness).' };
  }
}
