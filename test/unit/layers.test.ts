// The layering of src/ is enforced by the lint rules (eslint.config.mjs); these cases prove the
// rules bite: a wrong import in each layer is an error, a right one is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: resolve(__dirname, '../..') });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: resolve(__dirname, '../..', filePath) });
  return r!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

const cases: [file: string, from: string, ok: boolean][] = [
  ['src/protocol/zz.ts', '../common/config.ts', false],
  ['src/common/zz.ts', '../client/broker-client.ts', false],
  ['src/common/zz.ts', '../protocol/wire.ts', true],
  ['src/client/zz.ts', '../broker/broker.ts', false],
  ['src/client/zz.ts', '../common/config.ts', true],
  ['src/mcp/zz.ts', '../broker/service.ts', false],
  ['src/hooks/zz.ts', '../mcp/server.ts', false],
  ['src/broker/federation/zz.ts', '../../extension/extension.ts', false],
  ['src/broker/zz.ts', '../client/broker-client.ts', true],
  ['src/cli/zz.ts', '../extension/extension.ts', false],
  ['src/cli/zz.ts', '../broker/broker.ts', true],
  ['src/extension/zz.ts', '../cli/main.ts', false],
  ['src/extension/panel/zz.ts', '../../broker/host.ts', true],
  ['webview/zz.ts', '../src/common/config.ts', false],
  ['webview/zz.ts', '../src/protocol/panel.ts', true],
];

for (const [file, from, ok] of cases) {
  test(`${file} importing ${from}: ${ok ? 'allowed' : 'a lint error'}`, async () => {
    const found = await problems(file, `import { x } from '${from}';\nexport const y = x;\n`);
    if (ok) assert.deepEqual(found, []);
    else assert.match(found.join('\n'), /may not import|lowest layer|imports src\/protocol only/);
  });
}

test('only src/extension may import vscode', async () => {
  assert.match((await problems('src/broker/zz.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n")).join(), /Only src\/extension/);
  assert.deepEqual(await problems('src/extension/zz.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n"), []);
});
