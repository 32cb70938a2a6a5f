// Who may do what at the broker, and how a client knows the broker is ours. No zod here: the
// command hook's small bundle imports this.
//
// Every request but /v1/health and /v1/proof carries `Authorization: Bearer <credential>`, and the
// credential says who acts:
//   - the user's token ($CLAUDE_PEERS_HOME/token): the human at the panel or the CLI, and admin;
//   - the join token ($CLAUDE_PEERS_HOME/join-token): may only register a session (POST /v1/peers);
//   - a session key: 256 bits a session's processes share (from the env CLAUDE_PEERS_SESSION_KEY
//     or a file only they use), bound to one peer when it registers; it acts as that peer only.
// Clients send a credential only to a broker that proved, on that connection, that it knows the
// join token (GET /v1/proof): a process squatting the port learns nothing.

/** The pattern of every secret and session key: 256 bits in hex. */
export const SECRET_RE = /^[0-9a-f]{64}$/;
export const SESSION_KEY_ENV = 'CLAUDE_PEERS_SESSION_KEY';
/** The text a broker's proof signs: bound to the port the client dialled, so it cannot be relayed. */
export const proofText = (port: number, nonce: string) => `claude-peers broker proof v1\n${port}\n${nonce}`;
