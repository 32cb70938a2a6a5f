// dist/hook.js: the command hooks' own entry, a small bundle without the broker, express or zod,
// so each hook process starts in tens of milliseconds (`claude-peers hook <event>` does the same).
import { runHook } from './run-hook.ts';

void runHook(process.argv[2] ?? '');
