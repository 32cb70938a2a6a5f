// ESLint flat config: typescript-eslint's recommended rules over every TypeScript and JS source
// (src/, webview/, test/, bench/, scripts/, media/). `npx eslint .` / `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The few Node globals the plain .mjs/.js scripts use (TypeScript files get no-undef from tsc).
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'fetch', 'AbortSignal', 'AbortController',
    'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'structuredClone',
    'TextEncoder', 'TextDecoder', 'performance', 'queueMicrotask', 'require', 'module', '__dirname', '__filename']
    .map((g) => [g, 'readonly']),
);

const vscodeOnlyInExtension = {
  paths: [{
    name: 'vscode',
    message: "Only src/extension/** (and its test suite, test/vscode/**) may import 'vscode': the broker, CLI, MCP server, hooks and webview run outside VS Code.",
  }],
};

// The layers of src/ (see the README's code layout): each may import only the ones below it.
//   protocol ← common ← client ← {broker, mcp, hooks} ← {cli, extension}
const LAYERS = 'protocol ← common ← client ← {broker, mcp, hooks} ← {cli, extension}';
const layerRule = (layer, forbidden) => ({
  files: [`src/${layer}/**`],
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', {
      ...(layer === 'extension' ? {} : vscodeOnlyInExtension),
      patterns: [{ regex: `^(\\.\\./)+(${forbidden.join('|')})/`, message: `src/${layer} may not import src/{${forbidden.join(', ')}}: the layers are ${LAYERS}.` }],
    }],
  },
});

export default tseslint.config(
  {
    ignores: ['dist/**', '.cache/**', 'node_modules/**', 'out/**', 'test-results/**', '**/*.vsix', '.vscode-test/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
    rules: {
      // `_`-prefixed arguments, variables and caught errors are intentionally unused.
      '@typescript-eslint/no-unused-vars': ['error', {
        args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_',
        caughtErrors: 'none', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true,
      }],
      // `catch { /* gone */ }` is the codebase's way to say "ignore this failure".
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Deliberate `while (true)` / `for (;;)` loops with explicit exits.
      'no-constant-condition': ['error', { checkLoops: false }],
      // Control characters in regexes are intentional (terminal output, framing).
      'no-control-regex': 'off',
      // `import type`/`import()` types are fine; only value imports are flagged below.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', vscodeOnlyInExtension],
    },
  },
  {
    // The extension and its in-editor test suite are the places that run inside VS Code.
    files: ['src/extension/**', 'test/vscode/**'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    // The panel's webview runs in a browser: it may import the protocol layer only (and itself).
    files: ['webview/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        ...vscodeOnlyInExtension,
        patterns: [{ regex: '^\\.\\./src/(?!protocol/)|^(\\.\\./)+src/(?!protocol/)', message: 'webview/ imports src/protocol only (the layers: protocol ← common ← client ← {broker, mcp, hooks} ← {cli, extension}).' }],
      }],
    },
  },
  layerRule('common', ['client', 'broker', 'mcp', 'hooks', 'cli', 'extension']),
  layerRule('client', ['broker', 'mcp', 'hooks', 'cli', 'extension']),
  layerRule('broker', ['mcp', 'hooks', 'cli', 'extension']),
  layerRule('mcp', ['broker', 'hooks', 'cli', 'extension']),
  layerRule('hooks', ['broker', 'mcp', 'cli', 'extension']),
  layerRule('cli', ['extension']),
  layerRule('extension', ['cli']),
  {
    // The lowest layer: the protocol imports nothing of the project outside itself.
    files: ['src/protocol/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        ...vscodeOnlyInExtension,
        patterns: [{ regex: '^\\.\\./', message: 'src/protocol is the lowest layer: it imports only its own files (and zod).' }],
      }],
    },
  },
  {
    // Plain JS (build scripts, the icon renderer): CommonJS requires are allowed there.
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests and benchmarks read untyped JSON off the wire (`as any` on response bodies): fine there,
    // not in src/ or webview/.
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
