/** Shared by the chat-layer tests. */
import assert from 'node:assert/strict';
import { ChatError, type ChatErrorCode } from '../../../firmware/chat/errors';

/** Runs fn and requires a ChatError with this code; returns it. */
export function expectChatError(fn: () => unknown, code: ChatErrorCode): ChatError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof ChatError, 'expected ChatError ' + code + ', got ' + String(thrown));
  assert.equal(thrown.code, code, 'wrong code; message: ' + thrown.message);
  assert.equal(thrown.name, 'ChatError');
  assert.ok(thrown.message.length > 0);
  return thrown;
}

export function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

export function text(b: Uint8Array): string {
  return Buffer.from(b).toString('utf8');
}
