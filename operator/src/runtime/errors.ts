// A TerminalError means "retrying will not help" (an invalid spec the API server
// could not reject): the controller records it and does not back off and retry.
// The object is reconciled again when it changes.

export class TerminalError extends Error {
  override name = 'TerminalError';
  constructor(message: string, readonly reason = 'InvalidSpec') {
    super(message);
  }
}

export function isTerminal(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}
