import type { VersionRange } from '../encoding/binary';
import { LinkError } from '../agent/link-errors';
import { parseVersionRange, renderVersionRange } from '../agent/versions';
import { ChatError } from './errors';

/**
 * Chat protocol versions (agent.md §3, §10.2, §10.4; simplex-chat Protocol.hs version history,
 * Types.hs `ChatVersionRange`, `peerConnChatVersion`). The range travels as the "v" string of
 * every chat message, in the same "a" / "a-b" form as agent version ranges.
 */

/** 8: compression ('X') and PQ encryption. */
export const CHAT_VERSION_COMPRESSION = 8;
/** 9: batches ('[' and '=') on direct connections. */
export const CHAT_VERSION_DIRECT_BATCHES = 9;

/**
 * What SimpleGo announces: 1..9, agent.md §10.4 option A. It reads compressed and batched
 * bodies, the features of 8 and 9; 10 and later concern groups, channels and link data that a
 * direct text chat does not use. (Recommendation, unconfirmed against a live app.)
 */
export const SUPPORTED_CHAT_VRANGE: VersionRange = { min: 1, max: CHAT_VERSION_DIRECT_BATCHES };

/** A message without "v" is from a peer that speaks only version 1 (`chatInitialVRange`). */
export const CHAT_INITIAL_VRANGE: VersionRange = { min: 1, max: 1 };

/** The "v" string: "a" or "a-b" (`strParseJSON` of VersionRange). ChatError 'bad-message' otherwise. */
export function parseChatVersionRange(text: string): VersionRange {
  try {
    return parseVersionRange(text, 'chat version range "v"');
  } catch (e) {
    if (e instanceof LinkError) throw new ChatError('bad-message', e.message);
    throw e;
  }
}

export function renderChatVersionRange(r: VersionRange): string {
  return renderVersionRange(r);
}

/** The ranges overlap. */
export function chatVersionsCompatible(local: VersionRange, peer: VersionRange): boolean {
  return local.min <= peer.max && peer.min <= local.max;
}

/**
 * simplex-chat `peerConnChatVersion`: the lower maximum when the ranges overlap; otherwise the
 * peer's end nearest to ours (its minimum if it is entirely newer, its maximum if entirely older),
 * which is what the app records for the connection even then.
 */
export function peerChatVersion(local: VersionRange, peer: VersionRange): number {
  if (chatVersionsCompatible(local, peer)) return local.max < peer.max ? local.max : peer.max;
  if (peer.min > local.max) return peer.min;
  return peer.max;
}
