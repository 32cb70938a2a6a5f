// The few constants every side of the wire shares, apart from the schemas (no zod here: the
// command hook's small bundle imports this).
export const API_PREFIX = '/v1';
/** Peer messages are capped so one runaway agent cannot flood another's context. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
/** Whole request bodies (a message plus its envelope). */
export const MAX_BODY_BYTES = 64 * 1024;
/** A hook's input as Claude Code sends it: PostToolUse carries the tool's whole result. */
export const MAX_HOOK_BODY_BYTES = 16 * 1024 * 1024;
/** The pseudo-recipient for messages to the person at the keyboard. */
export const HUMAN_ID = 'human';
