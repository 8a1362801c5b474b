/**
 * The router's durability: an append-only store log of queue changes (like the reference's
 * StoreLog, one line per change) and one message journal, both JSON lines, both synced before
 * the change is answered (append-log.ts).
 *
 *   <store>/queues.log    create · secure · keys · link · unlink · notifier · unnotifier · suspend · delete
 *   <store>/messages.log  store · remove
 *
 * Recovery on start replays both files into a QueueStore, drops a torn last line (a crash in the
 * middle of a write), refuses to start on any other line that does not parse or does not fit the
 * state so far, and rewrites both files compactly. Messages stay in the journal until ACKed, so
 * a message that was delivered but not acknowledged is delivered again after a restart.
 *
 * The files hold the queues' DH secrets, as the reference's store log does; they are created
 * with mode 0600.
 */
import * as path from 'node:path';
import { decodePublicKey, encodePublicKey, type PublicKey } from '../../firmware/crypto/keys';
import { DecodeError } from '../../firmware/encoding/errors';
import { AppendLog, readLines, type Compactor } from './append-log';
import { RouterError } from './errors';
import { QueueStore, type MessageChange, type QueueChange, type QueueJournal, type QueueState, type StoredMessage } from './queues';

export const QUEUE_LOG_FILE = 'queues.log';
export const MESSAGE_LOG_FILE = 'messages.log';

export interface StoreOptions {
  readonly dir: string;
  /** fdatasync before answering (default true). */
  readonly sync: boolean;
  readonly quota: number;
  /** A file is compacted at runtime once it has grown by this many bytes and is mostly dead records. */
  readonly compactAfterBytes: number;
}

export interface Recovery {
  readonly queues: number;
  readonly messages: number;
  /** Bytes of torn last lines dropped from the two files. */
  readonly tornBytes: number;
}

export interface OpenedStore {
  readonly store: QueueStore;
  readonly log: StoreLog;
  readonly recovery: Recovery;
}

/** Replays the store directory into a new QueueStore and opens both files for appending. */
export function openStore(options: StoreOptions): OpenedStore {
  const log = new StoreLog();
  const store = new QueueStore(log, options.quota);
  const queueFile = path.join(options.dir, QUEUE_LOG_FILE);
  const messageFile = path.join(options.dir, MESSAGE_LOG_FILE);

  const queueLines = readLines(queueFile);
  for (let i = 0; i < queueLines.lines.length; i++) {
    const change = parseLine(queueLines.lines[i], QUEUE_LOG_FILE, i, decodeQueueChange);
    if (!store.applyQueueChange(change)) throw corrupt(QUEUE_LOG_FILE, i, 'a ' + change.op + ' record does not fit the queues before it');
  }
  const messageLines = readLines(messageFile);
  for (let i = 0; i < messageLines.lines.length; i++) {
    store.applyMessageChange(parseLine(messageLines.lines[i], MESSAGE_LOG_FILE, i, decodeMessageChange));
  }

  log.attach(store, queueFile, messageFile, options);
  return {
    store: store,
    log: log,
    recovery: { queues: store.size, messages: store.messageCount(), tornBytes: queueLines.tornBytes + messageLines.tornBytes },
  };
}

export class StoreLog implements QueueJournal {
  private queueLog: AppendLog | null = null;
  private messageLog: AppendLog | null = null;
  /** Records appended since the last rewrite that describe nothing live any more. */
  private deadQueueRecords = 0;
  private deadMessageRecords = 0;

  /** Called once by openStore: rewrites both files from the recovered state. */
  attach(store: QueueStore, queueFile: string, messageFile: string, options: StoreOptions): void {
    const queueCompactor: Compactor = {
      due: (bytes) => bytes >= options.compactAfterBytes && this.deadQueueRecords > store.size,
      snapshot: () => {
        this.deadQueueRecords = 0;
        return store.queueSnapshot().map(encodeQueueChange);
      },
    };
    const messageCompactor: Compactor = {
      due: (bytes) => bytes >= options.compactAfterBytes && this.deadMessageRecords > store.messageCount(),
      snapshot: () => {
        this.deadMessageRecords = 0;
        return store.messageSnapshot().map(encodeMessageChange);
      },
    };
    this.queueLog = new AppendLog(queueFile, queueCompactor.snapshot(), { sync: options.sync, compactor: queueCompactor });
    this.messageLog = new AppendLog(messageFile, messageCompactor.snapshot(), { sync: options.sync, compactor: messageCompactor });
  }

  queueChange(change: QueueChange): Promise<void> {
    // Every change after a create makes one earlier record partly dead; a delete kills them all.
    this.deadQueueRecords += change.op === 'create' ? 0 : change.op === 'delete' ? 2 : 1;
    return (this.queueLog as AppendLog).append(encodeQueueChange(change));
  }

  messageChange(change: MessageChange): Promise<void> {
    if (change.op === 'remove') this.deadMessageRecords += 2;
    return (this.messageLog as AppendLog).append(encodeMessageChange(change));
  }

  /** Settles when everything appended so far is on disk; later changes are refused. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    if (this.queueLog !== null) closing.push(this.queueLog.close());
    if (this.messageLog !== null) closing.push(this.messageLog.close());
    await Promise.all(closing);
  }
}

// ---------------------------------------------------------------------------------------------
// Line formats. Bytes are base64url without padding, public keys their SPKI DER, times whole
// seconds. Decoding is strict: a field of the wrong type or a non-canonical encoding is corrupt.

type Json = { [key: string]: unknown };

function encodeQueueChange(c: QueueChange): string {
  switch (c.op) {
    case 'create': {
      const q = c.queue;
      return JSON.stringify({
        op: 'create',
        rid: b64(q.rcvId),
        sid: b64(q.senderId),
        rk: q.recipientKeys.map(keyText),
        rdh: b64(q.rcvDhSecret),
        sk: q.senderKey === null ? null : keyText(q.senderKey),
        mode: q.mode,
        link: q.link === null ? null : { id: b64(q.link.linkId), fixed: b64(q.link.fixedData), user: b64(q.link.userData) },
        ntf: q.notifier === null ? null : { id: b64(q.notifier.notifierId), key: keyText(q.notifier.notifierKey), dh: b64(q.notifier.rcvNtfDhSecret) },
        status: q.status,
      });
    }
    case 'secure':
      return JSON.stringify({ op: 'secure', rid: b64(c.rcvId), sk: keyText(c.senderKey) });
    case 'keys':
      return JSON.stringify({ op: 'keys', rid: b64(c.rcvId), rk: c.recipientKeys.map(keyText) });
    case 'link':
      return JSON.stringify({ op: 'link', rid: b64(c.rcvId), id: b64(c.link.linkId), fixed: b64(c.link.fixedData), user: b64(c.link.userData) });
    case 'notifier':
      return JSON.stringify({ op: 'notifier', rid: b64(c.rcvId), id: b64(c.notifier.notifierId), key: keyText(c.notifier.notifierKey), dh: b64(c.notifier.rcvNtfDhSecret) });
    case 'unlink':
    case 'unnotifier':
    case 'suspend':
    case 'delete':
      return JSON.stringify({ op: c.op, rid: b64(c.rcvId) });
  }
}

function decodeQueueChange(j: Json): QueueChange {
  const op = j.op;
  const rcvId = bytesField(j, 'rid');
  switch (op) {
    case 'create': {
      const link = j.link === null ? null : objectField(j, 'link');
      const ntf = j.ntf === null ? null : objectField(j, 'ntf');
      const mode = j.mode;
      if (mode !== null && mode !== 'messaging' && mode !== 'contact') throw new Error('mode');
      const status = j.status;
      if (status !== 'active' && status !== 'off') throw new Error('status');
      const queue: QueueState = {
        rcvId: rcvId,
        senderId: bytesField(j, 'sid'),
        recipientKeys: keyList(j, 'rk'),
        rcvDhSecret: bytesField(j, 'rdh'),
        senderKey: j.sk === null ? null : keyField(j, 'sk'),
        mode: mode,
        link: link === null ? null : { linkId: bytesField(link, 'id'), fixedData: bytesField(link, 'fixed'), userData: bytesField(link, 'user') },
        notifier: ntf === null ? null : { notifierId: bytesField(ntf, 'id'), notifierKey: keyField(ntf, 'key'), rcvNtfDhSecret: bytesField(ntf, 'dh') },
        status: status,
      };
      return { op: 'create', queue: queue };
    }
    case 'secure':
      return { op: 'secure', rcvId: rcvId, senderKey: keyField(j, 'sk') };
    case 'keys':
      return { op: 'keys', rcvId: rcvId, recipientKeys: keyList(j, 'rk') };
    case 'link':
      return { op: 'link', rcvId: rcvId, link: { linkId: bytesField(j, 'id'), fixedData: bytesField(j, 'fixed'), userData: bytesField(j, 'user') } };
    case 'notifier':
      return { op: 'notifier', rcvId: rcvId, notifier: { notifierId: bytesField(j, 'id'), notifierKey: keyField(j, 'key'), rcvNtfDhSecret: bytesField(j, 'dh') } };
    case 'unlink':
    case 'unnotifier':
    case 'suspend':
    case 'delete':
      return { op: op, rcvId: rcvId };
    default:
      throw new Error('op');
  }
}

function encodeMessageChange(c: MessageChange): string {
  if (c.op === 'remove') return JSON.stringify({ op: 'remove', rid: b64(c.rcvId), id: b64(c.msgId) });
  const m = c.message;
  return JSON.stringify({ op: 'store', rid: b64(c.rcvId), id: b64(m.msgId), ts: m.ts, kind: m.kind, ntf: m.notification, body: b64(m.body) });
}

function decodeMessageChange(j: Json): MessageChange {
  const rcvId = bytesField(j, 'rid');
  const msgId = bytesField(j, 'id');
  if (j.op === 'remove') return { op: 'remove', rcvId: rcvId, msgId: msgId };
  if (j.op !== 'store') throw new Error('op');
  const ts = j.ts;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) throw new Error('ts');
  const kind = j.kind;
  if (kind !== 'message' && kind !== 'quota') throw new Error('kind');
  if (typeof j.ntf !== 'boolean') throw new Error('ntf');
  // Recovered messages are on disk by definition.
  const message: StoredMessage = { msgId: msgId, ts: ts, kind: kind, notification: j.ntf, body: bytesField(j, 'body'), durable: true };
  return { op: 'store', rcvId: rcvId, message: message };
}

function parseLine<T>(line: string, file: string, index: number, decode: (j: Json) => T): T {
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch (e) {
    throw corrupt(file, index, 'not JSON');
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw corrupt(file, index, 'not a record');
  try {
    return decode(j as Json);
  } catch (e) {
    // The field name only: values may be secrets.
    throw corrupt(file, index, 'bad field ' + (e instanceof Error ? e.message : '?'));
  }
}

function corrupt(file: string, index: number, why: string): RouterError {
  return new RouterError('store-corrupt', file + ' line ' + (index + 1) + ' is corrupt (' + why + '); restore the store from a backup or delete it');
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

function bytesField(j: Json, name: string): Uint8Array {
  const v = j[name];
  if (typeof v !== 'string') throw new Error(name);
  const buf = Buffer.from(v, 'base64url');
  // Buffer's decoder skips what it does not understand; the re-encoding catches that.
  if (buf.toString('base64url') !== v) throw new Error(name);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

function objectField(j: Json, name: string): Json {
  const v = j[name];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(name);
  return v as Json;
}

function keyText(k: PublicKey): string {
  return b64(encodePublicKey(k.alg, k.raw));
}

function keyField(j: Json, name: string): PublicKey {
  try {
    return decodePublicKey(bytesField(j, name));
  } catch (e) {
    if (e instanceof DecodeError) throw new Error(name);
    throw e;
  }
}

function keyList(j: Json, name: string): PublicKey[] {
  const v = j[name];
  if (!Array.isArray(v) || v.length === 0) throw new Error(name);
  const out: PublicKey[] = [];
  for (let i = 0; i < v.length; i++) out.push(keyField({ [name]: v[i] }, name));
  return out;
}
