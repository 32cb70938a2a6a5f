// The one error type every part of claude-peers raises for something a person or an agent will
// read: a stable code, a message that says what went wrong and what to do, and (on the wire) the
// HTTP status. The broker raises it as ApiError, its clients see it back as BrokerError.
export class PeersError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}
