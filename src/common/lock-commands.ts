// Which shell commands need a machine-wide lock because two sessions running them at once in the
// same repository collide: git operations that move HEAD or the index, and package installs.

const GIT_SUBCOMMANDS = new Set(['commit', 'merge', 'rebase', 'checkout', 'switch', 'pull', 'push', 'stash', 'cherry-pick', 'reset', 'revert', 'am']);
const INSTALL_SUBCOMMANDS = new Set(['install', 'i', 'ci', 'add', 'remove', 'uninstall', 'update', 'rm']);

export type LockKind = 'git' | 'npm-install';

/** The lock kinds a command line needs, in a stable order, without duplicates. */
export function locksForCommand(command: string): LockKind[] {
  const kinds = new Set<LockKind>();
  // Split into simple commands at ; && || | and newlines (quotes are rare enough here to ignore).
  for (const segment of command.split(/&&|\|\||[;|\n]/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]) || ['sudo', 'command', 'env', 'time', 'nice', '(', '{'].includes(words[i]))) i++;
    const prog = words[i]?.replace(/^.*[\\/]/, '').replace(/^\(+/, '');
    if (!prog) continue;
    let j = i + 1;
    if (prog === 'git') {
      // Skip global options: -C <dir>, -c <k=v>, --git-dir=…, --no-pager …
      while (j < words.length && words[j].startsWith('-')) j += words[j] === '-C' || words[j] === '-c' ? 2 : 1;
      if (GIT_SUBCOMMANDS.has(words[j])) kinds.add('git');
    } else if (prog === 'npm' || prog === 'pnpm' || prog === 'yarn' || prog === 'bun') {
      while (j < words.length && words[j].startsWith('-')) j++;
      if (INSTALL_SUBCOMMANDS.has(words[j]) || (prog === 'yarn' && words[j] === undefined)) kinds.add('npm-install');
    }
  }
  return [...kinds].sort();
}

/** Lock names are per repository (or folder): two repos never wait for each other. */
export function lockName(kind: LockKind, repo: string): string {
  return `${kind}:${repo}`;
}
