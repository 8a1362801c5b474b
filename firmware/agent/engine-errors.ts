import { SimpleGoError } from '../../hal/errors';

/**
 * Why an agent engine call failed (agent.ts). Lower layers keep their own typed errors
 * (AgentError, RatchetError, LinkError, SmpCommandError, SmpClientError, StoreError); these codes
 * cover what only the engine can decide:
 * - 'unknown-connection': no connection (or contact request) has this id (deleted, or never made here)
 * - 'not-ready':          the connection cannot send yet (the handshake has not got that far)
 * - 'bad-link':           the link is not of the kind the call takes (an invitation given to
 *                         joinContactAddress, or an address to a call that needs an invitation)
 * - 'unsupported':        the peer asked for a flow this agent does not implement
 * - 'bad-record':         a stored connection, outbox or inbox record does not decode (damage)
 * - 'stopped':            the agent is not running (start() first)
 * - 'no-router':          no router is configured to create queues on
 * - 'send-failed':        the router refused a queued message for good; it will not be retried
 */
export type EngineErrorCode = 'unknown-connection' | 'not-ready' | 'bad-link' | 'unsupported' | 'bad-record' | 'stopped' | 'no-router' | 'send-failed';

export class EngineError extends SimpleGoError {
  declare readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string) {
    super(code, message);
    this.name = 'EngineError';
  }
}
