// Readable peer names (adjective-animal), so a human can say "ask calm-otter" instead of an id.
const ADJECTIVES = [
  'amber', 'bold', 'brave', 'bright', 'brisk', 'calm', 'clever', 'cosmic', 'crisp', 'curious',
  'daring', 'deft', 'eager', 'fair', 'fleet', 'gentle', 'glad', 'golden', 'grand', 'happy',
  'hardy', 'jolly', 'keen', 'kind', 'lively', 'lucid', 'lucky', 'merry', 'mighty', 'misty',
  'nimble', 'noble', 'patient', 'plucky', 'proud', 'quick', 'quiet', 'rapid', 'ready', 'rustic',
  'sharp', 'shiny', 'silent', 'sleek', 'smart', 'snowy', 'steady', 'sunny', 'swift', 'tidy',
  'vivid', 'warm', 'wise', 'witty', 'zesty',
];
const ANIMALS = [
  'badger', 'beaver', 'bison', 'crane', 'dingo', 'dolphin', 'eagle', 'egret', 'falcon', 'ferret',
  'finch', 'fox', 'gecko', 'heron', 'ibis', 'jackal', 'koala', 'lemur', 'lynx', 'marmot',
  'marten', 'mole', 'moose', 'newt', 'ocelot', 'orca', 'osprey', 'otter', 'owl', 'panda',
  'puffin', 'quail', 'rabbit', 'raven', 'robin', 'salmon', 'seal', 'shrew', 'sparrow', 'stoat',
  'swan', 'tapir', 'tiger', 'toucan', 'turtle', 'vole', 'walrus', 'weasel', 'wolf', 'wombat',
  'yak', 'zebra',
];

/**
 * Names nobody may take: whom a model might take a message for (the user, the system, Claude
 * Code, us) and the words `to` means something else by (broadcast scopes).
 */
export const RESERVED_NAMES = new Set([
  'human', 'user', 'you', 'me', 'system', 'assistant', 'claude', 'claude-code', 'claude-peers', 'anthropic',
  'admin', 'root', 'operator', 'owner', 'broker', 'everyone', 'all', 'machine', 'directory', 'repo', 'network', 'peers',
]);

/**
 * Normalises a user-supplied name (claude -n) into the shape of generated names: letters folded
 * to ASCII (so look-alikes from other scripts cannot pose as a peer), digits and single dashes;
 * control, direction and zero-width characters are dropped. Null when nothing usable is left.
 */
export function cleanName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const ascii = raw.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/\p{Cf}/gu, '').replace(/\p{Cc}/gu, ' ');
  const s = ascii.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  return s.length >= 2 && !RESERVED_NAMES.has(s) ? s : null;
}

/** A name not in `taken`; falls back to a numbered suffix when the space is exhausted. */
export function pickName(taken: Set<string>, preferred?: string | null, rand: () => number = Math.random): string {
  const want = cleanName(preferred);
  if (want && !taken.has(want)) return want;
  if (want) for (let i = 2; i < 1000; i++) if (!taken.has(`${want}-${i}`)) return `${want}-${i}`;
  for (let i = 0; i < 200; i++) {
    const n = `${ADJECTIVES[Math.floor(rand() * ADJECTIVES.length)]}-${ANIMALS[Math.floor(rand() * ANIMALS.length)]}`;
    if (!taken.has(n)) return n;
  }
  for (let i = 2; ; i++) {
    const n = `peer-${i}`;
    if (!taken.has(n)) return n;
  }
}
