import type { Clock } from '../../hal/clock';
import type { Crypto } from '../../hal/crypto';
import { SimpleGoError } from '../../hal/errors';
import type { Log } from '../../hal/log';
import type { Net } from '../../hal/net';
import type { Random } from '../../hal/random';
import type { Storage } from '../../hal/storage';
import type { Wifi } from '../../hal/wifi';
import { Agent, type AgentEvent } from '../agent/agent';
import { parseConnectionLink, renderConnectionLink } from '../agent/connection-link';
import { RoutedSender } from '../agent/message-sender';
import { decodeChatBody } from '../chat/body';
import type { Profile } from '../chat/profile';
import { decompressZstd } from '../compression/zstd';
import { fromHex } from '../encoding/bytes';
import { SmpClientPool } from '../smp/client-pool';
import { ProxyClient } from '../smp/proxy-client';
import {
  addRouter,
  decodeRouterList,
  encodeRouterList,
  removeRouter,
  routerId,
  routerStatus,
  setRouterEnabled,
  usableRouters,
  type RouterList,
} from '../smp/router-list';
import { ROUTER_TEST_STEPS, testRouter } from '../smp/router-test';
import type { RoutingPolicy } from '../smp/routing-policy';
import { connectSmpTransport } from '../smp/transport';
import { StoreType } from '../store/record-types';
import { Store } from '../store/store';
import { AppError } from './errors';
import type {
  AppModel,
  ChatMessage,
  ContactState,
  ContactSummary,
  DeliveryState,
  Invitation,
  LockState,
  ModelChange,
  NetworkStatus,
  PrivateRouting,
  ProgressListener,
  RouterInfo,
  Settings,
  WifiNetworkInfo,
} from './model';
import {
  decodeContact,
  decodeHistoryEntry,
  decodeSavedWifi,
  decodeSettings,
  DEFAULT_SETTINGS,
  encodeContact,
  encodeHistoryEntry,
  encodeSavedWifi,
  encodeSettings,
  MAX_SAVED_WIFI,
  type ContactRecord,
  type HistoryEntry,
  type SavedWifi,
} from './records';
import { sameSecurityCode, securityCodeOf } from './security-code';

export interface AppModelOptions {
  readonly crypto: Crypto;
  readonly random: Random;
  readonly clock: Clock;
  readonly log: Log;
  readonly net: Net;
  readonly wifi: Wifi;
  /** The SD card (or the simulator's directory) the encrypted store lives on. */
  readonly card: Storage;
  /** The user's display name, sent to contacts in the connection info. */
  readonly profileName: string;
  /** The router list a new store starts with (presets, or the simulator's local routers). */
  readonly initialRouters: RouterList;
  /** PBKDF2 iterations for a new store; default: the store's default. */
  readonly pinIterations?: number;
  /** Post-quantum ratchets for new connections; default true. */
  readonly pq?: boolean;
  /** Agent outbox retry timing; defaults: the agent's. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
}

/** Longest text message accepted, in characters (the chat app's limit fits one 16 KB block). */
export const MAX_TEXT_LENGTH = 15000;
/** Characters of the newest message kept for the contact list preview. */
const PREVIEW_LENGTH = 60;
/** History entries per log segment. */
const HISTORY_PER_SEGMENT = 32;
const SETTINGS_ID = new Uint8Array([0]);

/** One message as the model indexes it: where its entry is, and its latest delivery state. */
interface MsgRow {
  readonly seq: number;
  readonly outgoing: boolean;
  readonly time: number;
  readonly position: number;
  agentMsgId: number;
  delivery: DeliveryState;
  errorName: string;
  errorCode: string;
}

interface Contact {
  readonly id: string;
  readonly idBytes: Uint8Array;
  record: ContactRecord;
  /** Every message's index row (never its text: that is read from the log page by page). */
  rows: MsgRow[];
  lastText: string;
}

/**
 * The application model over the agent engine, the encrypted store and the router list.
 *
 * What it stores, all inside the store (record-types.ts): a Contact record per connection (id:
 * the connection id), a History log per contact, the Settings, the RouterList and the remembered
 * Wi-Fi networks. A received message is appended to History first and only then released from
 * the agent's inbox, so a power cut between the two leaves it in the inbox (not lost); it is
 * taken from there at the next unlock.
 *
 * Locking stops the agent, closes every router connection and locks the store: nothing the
 * model held about contacts or messages is kept in memory.
 */
export class AppModelImpl implements AppModel {
  private readonly o: AppModelOptions;
  private readonly store: Store;
  private listener: ((change: ModelChange) => void) | null = null;
  private agent: Agent | null = null;
  private pool: SmpClientPool | null = null;
  private contacts: Contact[] = [];
  private routerList: RouterList;
  private settingsValue: Settings = DEFAULT_SETTINGS;
  private saved: SavedWifi[] = [];

  constructor(options: AppModelOptions) {
    this.o = options;
    this.store = Store.open({ crypto: options.crypto, random: options.random, clock: options.clock, card: options.card });
    this.routerList = options.initialRouters;
    options.wifi.setHandler(() => this.emit('network', '', -1));
  }

  setListener(listener: ((change: ModelChange) => void) | null): void {
    this.listener = listener;
  }

  // --- lock and PIN -------------------------------------------------------------------------

  lockState(): LockState {
    const s = this.store.state();
    return s === 'absent' ? 'no-pin' : s === 'unlocked' ? 'unlocked' : 'locked';
  }

  setPin(pin: string, onProgress: ProgressListener): Promise<void> {
    return this.later(() => {
      if (this.store.state() !== 'absent') throw new AppError('has-pin', 'a PIN is already set: unlock with it, or wipe the device');
      onProgress({ step: 1, steps: 2, label: 'Deriving the key' });
      this.store.create(pin, this.o.pinIterations !== undefined ? { iterations: this.o.pinIterations } : {});
      onProgress({ step: 2, steps: 2, label: 'Starting' });
      this.store.begin().put(StoreType.RouterList, SETTINGS_ID, encodeRouterList(this.routerList)).put(StoreType.Settings, SETTINGS_ID, encodeSettings(this.settingsValue)).commit();
      this.open();
    });
  }

  unlock(pin: string, onProgress: ProgressListener): Promise<void> {
    return this.later(() => {
      if (this.store.state() === 'absent') throw new AppError('no-pin', 'no PIN is set yet: choose one first');
      onProgress({ step: 1, steps: 2, label: 'Checking the PIN' });
      this.store.unlock(pin);
      onProgress({ step: 2, steps: 2, label: 'Loading contacts' });
      try {
        this.open();
      } catch (e) {
        this.close();
        throw e;
      }
    });
  }

  changePin(oldPin: string, newPin: string, onProgress: ProgressListener): Promise<void> {
    return this.later(() => {
      onProgress({ step: 1, steps: 1, label: 'Re-encrypting the key' });
      this.store.changePin(oldPin, newPin);
    });
  }

  lock(): void {
    if (this.store.state() !== 'unlocked') return;
    this.close();
    this.emit('lock', '', -1);
  }

  wipe(onProgress: ProgressListener): Promise<void> {
    return this.later(() => {
      onProgress({ step: 1, steps: 1, label: 'Erasing' });
      this.close();
      this.store.wipe();
      this.routerList = this.o.initialRouters;
      this.settingsValue = DEFAULT_SETTINGS;
      this.emit('lock', '', -1);
    });
  }

  // --- status -------------------------------------------------------------------------------

  networkStatus(): NetworkStatus {
    const w = this.o.wifi.status();
    const usable = usableRouters(this.routerList, 'proxy');
    let connected = 0;
    if (this.pool !== null) for (let i = 0; i < usable.length; i++) if (this.pool.existing(usable[i].server) !== null) connected++;
    return { wifi: w.state, ssid: w.ssid, routersConnected: connected, routersEnabled: usable.length };
  }

  unreadTotal(): number {
    let n = 0;
    for (let i = 0; i < this.contacts.length; i++) n += this.contacts[i].record.unread;
    return n;
  }

  // --- contacts -----------------------------------------------------------------------------

  contactCount(): number {
    return this.contacts.length;
  }

  contactsPage(start: number, count: number): ContactSummary[] {
    const ordered = this.ordered();
    const out: ContactSummary[] = [];
    for (let i = start < 0 ? 0 : start; i < ordered.length && out.length < count; i++) out.push(this.summary(ordered[i]));
    return out;
  }

  contactIndexOf(contactId: string): number {
    const ordered = this.ordered();
    for (let i = 0; i < ordered.length; i++) if (ordered[i].id === contactId) return i;
    return -1;
  }

  contact(contactId: string): ContactSummary | null {
    const c = this.find(contactId);
    return c === null ? null : this.summary(c);
  }

  // --- chat ---------------------------------------------------------------------------------

  messagesBefore(contactId: string, beforeSeq: number, limit: number): ChatMessage[] {
    const c = this.find(contactId);
    if (c === null || limit <= 0) return [];
    let end = c.rows.length;
    if (beforeSeq >= 0) {
      end = 0;
      while (end < c.rows.length && c.rows[end].seq < beforeSeq) end++;
    }
    return this.page(c, end - limit < 0 ? 0 : end - limit, end);
  }

  messagesAfter(contactId: string, afterSeq: number, limit: number): ChatMessage[] {
    const c = this.find(contactId);
    if (c === null || limit <= 0) return [];
    let from = 0;
    while (from < c.rows.length && c.rows[from].seq <= afterSeq) from++;
    return this.page(c, from, from + limit > c.rows.length ? c.rows.length : from + limit);
  }

  markRead(contactId: string): void {
    const c = this.find(contactId);
    if (c === null || c.record.unread === 0) return;
    this.saveContact(c, { ...c.record, unread: 0 });
    this.emit('contacts', '', -1);
  }

  send(contactId: string, text: string): void {
    const c = this.requireContact(contactId);
    if (text.length === 0) throw new AppError('empty', 'there is nothing to send');
    if (text.length > MAX_TEXT_LENGTH) throw new AppError('too-long', 'a message may have at most ' + MAX_TEXT_LENGTH + ' characters');
    const agentMsgId = this.requireAgent().sendText(c.id, text);
    const seq = c.rows.length > 0 ? c.rows[c.rows.length - 1].seq + 1 : 1;
    const entry: HistoryEntry = { kind: 'message', seq, outgoing: true, time: this.o.clock.now(), agentMsgId, text };
    this.appendMessage(c, entry, 'sending');
    this.emit('messages', c.id, seq);
    this.emit('contacts', '', -1);
  }

  resend(contactId: string, seq: number): void {
    const c = this.requireContact(contactId);
    const row = this.rowOf(c, seq);
    if (row === null || !row.outgoing || row.delivery !== 'failed') throw new AppError('not-failed', 'only a message that failed can be sent again');
    const text = this.textAt(c, row.position);
    const agentMsgId = this.requireAgent().sendText(c.id, text);
    this.setState(c, row, agentMsgId, 'sending', '', '');
  }

  // --- new contact --------------------------------------------------------------------------

  async createInvitation(onProgress: ProgressListener): Promise<Invitation> {
    const agent = this.requireAgent();
    onProgress({ step: 1, steps: 2, label: 'Creating the queue' });
    const made = await agent.createInvitation(this.profile());
    onProgress({ step: 2, steps: 2, label: 'Saving the contact' });
    this.addContact(made.connId, 'New contact', 'invited');
    return { contactId: made.connId, qrText: withoutKemKey(made.link), linkText: made.link };
  }

  async joinLink(text: string, onProgress: ProgressListener): Promise<string> {
    const agent = this.requireAgent();
    onProgress({ step: 1, steps: 2, label: 'Joining' });
    const connId = await agent.joinInvitation(text.trim(), this.profile());
    onProgress({ step: 2, steps: 2, label: 'Saving the contact' });
    this.addContact(connId, 'New contact', 'connecting');
    return connId;
  }

  // --- contact details ----------------------------------------------------------------------

  securityCode(contactId: string): string {
    const c = this.requireContact(contactId);
    const hash = this.requireAgent().ratchetAdHash(c.id);
    return hash === null ? '' : securityCodeOf(hash);
  }

  compareSecurityCode(contactId: string, theirs: string): boolean {
    const ours = this.securityCode(contactId);
    const same = ours.length > 0 && sameSecurityCode(ours, theirs);
    if (same) this.setVerified(contactId, true);
    return same;
  }

  setVerified(contactId: string, verified: boolean): void {
    const c = this.requireContact(contactId);
    this.saveContact(c, { ...c.record, verified });
    this.emit('contact', c.id, -1);
  }

  setMuted(contactId: string, muted: boolean): void {
    const c = this.requireContact(contactId);
    this.saveContact(c, { ...c.record, muted });
    this.emit('contact', c.id, -1);
  }

  async deleteContact(contactId: string, onProgress: ProgressListener): Promise<void> {
    const c = this.requireContact(contactId);
    const agent = this.requireAgent();
    onProgress({ step: 1, steps: 2, label: 'Deleting the queue' });
    this.saveContact(c, { ...c.record, state: 'deleting' });
    this.emit('contact', c.id, -1);
    await agent.deleteConnection(c.id);
    onProgress({ step: 2, steps: 2, label: 'Deleting messages' });
    this.dropContact(c);
  }

  // --- routers ------------------------------------------------------------------------------

  routers(): RouterInfo[] {
    const out: RouterInfo[] = [];
    const entries = this.routerList.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const live = e.address !== null && this.pool !== null && this.pool.existing(e.address.server) !== null;
      out.push({
        id: routerId(e),
        host: e.host,
        operator: e.operator,
        state: routerStatus(e),
        connection: live ? 'connected' : 'idle',
        storage: e.storage,
        removable: e.operator === 'user',
      });
    }
    return out;
  }

  addRouter(address: string): void {
    this.saveRouters(addRouter(this.routerList, address));
  }

  setRouterEnabled(routerIdText: string, enabled: boolean): void {
    this.saveRouters(setRouterEnabled(this.routerList, routerIdText, enabled));
  }

  removeRouter(routerIdText: string): void {
    this.saveRouters(removeRouter(this.routerList, routerIdText));
  }

  async testRouter(routerIdText: string, onProgress: ProgressListener): Promise<void> {
    let address = null;
    for (let i = 0; i < this.routerList.entries.length; i++) {
      const e = this.routerList.entries[i];
      if (routerId(e) === routerIdText) address = e.address;
    }
    if (address === null) throw new AppError('unknown-contact', 'there is no pinned router ' + routerIdText);
    const server = address.server;
    const o = this.o;
    const result = await testRouter(
      {
        crypto: o.crypto,
        clock: o.clock,
        random: o.random,
        log: o.log,
        connect: (handlers) => connectSmpTransport({ net: o.net, crypto: o.crypto, clock: o.clock }, server, { handshakeTimeoutMs: 20000 }, handlers),
      },
      address,
      {
        onStep: (step) => {
          let n = 0;
          while (n < ROUTER_TEST_STEPS.length && ROUTER_TEST_STEPS[n] !== step) n++;
          onProgress({ step: n + 1, steps: ROUTER_TEST_STEPS.length, label: STEP_LABELS[n] });
        },
      },
    );
    if (!result.ok) throw result.error;
  }

  // --- Wi-Fi --------------------------------------------------------------------------------

  async scanWifi(): Promise<WifiNetworkInfo[]> {
    const found = await this.o.wifi.scan();
    const out: WifiNetworkInfo[] = [];
    for (let i = 0; i < found.length; i++) {
      const n = found[i];
      out.push({ ssid: n.ssid, rssi: n.rssi, secure: n.secure, saved: this.savedIndex(n.ssid) >= 0 });
    }
    return out;
  }

  async joinWifi(ssid: string, password: string, remember: boolean): Promise<void> {
    let pw = password;
    const at = this.savedIndex(ssid);
    if (pw === '' && at >= 0) pw = this.saved[at].password;
    await this.o.wifi.join(ssid, pw);
    if (remember && this.store.state() === 'unlocked') {
      const next: SavedWifi[] = [];
      for (let i = 0; i < this.saved.length; i++) if (this.saved[i].ssid !== ssid) next.push(this.saved[i]);
      next.push({ ssid, password: pw });
      while (next.length > MAX_SAVED_WIFI) next.shift();
      this.store.put(StoreType.WifiNetworks, SETTINGS_ID, encodeSavedWifi(next));
      this.saved = next;
    }
    this.emit('network', '', -1);
  }

  savedWifi(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.saved.length; i++) out.push(this.saved[i].ssid);
    return out;
  }

  forgetWifi(ssid: string): void {
    const next: SavedWifi[] = [];
    for (let i = 0; i < this.saved.length; i++) if (this.saved[i].ssid !== ssid) next.push(this.saved[i]);
    if (this.store.state() === 'unlocked') this.store.put(StoreType.WifiNetworks, SETTINGS_ID, encodeSavedWifi(next));
    this.saved = next;
  }

  // --- settings -----------------------------------------------------------------------------

  settings(): Settings {
    return this.settingsValue;
  }

  setPrivateRouting(mode: PrivateRouting): void {
    const next: Settings = { ...this.settingsValue, privateRouting: mode };
    if (this.store.state() === 'unlocked') this.store.put(StoreType.Settings, SETTINGS_ID, encodeSettings(next));
    this.settingsValue = next;
    this.emit('settings', '', -1);
  }

  // --- for tests and the simulator ----------------------------------------------------------

  /** The agent while unlocked (diagnostics; the UI never touches it). */
  agentOrNull(): Agent | null {
    return this.agent;
  }

  /** Stops everything without locking semantics visible to the UI (shutdown). */
  shutdown(): void {
    this.close();
  }

  // -------------------------------------------------------------------------------------------
  // Unlocked life cycle

  /** After the store is unlocked: loads what the app stores and starts the agent. */
  private open(): void {
    const s = this.store;
    const settings = s.get(StoreType.Settings, SETTINGS_ID);
    if (settings !== null) this.settingsValue = decodeSettings(settings);
    const routers = s.get(StoreType.RouterList, SETTINGS_ID);
    if (routers !== null) {
      const r = decodeRouterList(routers);
      if (!r.ok) throw r.error;
      this.routerList = r.value;
    }
    const wifi = s.get(StoreType.WifiNetworks, SETTINGS_ID);
    this.saved = wifi !== null ? decodeSavedWifi(wifi) : [];
    const ids = s.list(StoreType.Contact);
    this.contacts = [];
    for (let i = 0; i < ids.length; i++) this.contacts.push(this.loadContact(ids[i]));
    this.startAgent();
  }

  private startAgent(): void {
    const o = this.o;
    const pool = new SmpClientPool({
      connect: (server, handlers) => connectSmpTransport({ net: o.net, crypto: o.crypto, clock: o.clock }, server, { handshakeTimeoutMs: 20000 }, handlers),
      crypto: o.crypto,
      clock: o.clock,
      random: o.random,
      log: o.log,
    });
    const proxy = new ProxyClient({ crypto: o.crypto, random: o.random, log: o.log });
    const sender = new RoutedSender(pool, proxy, o.random, {
      policy: () => policyOf(this.settingsValue.privateRouting),
      routers: () => this.routerList,
      // SimpleGo has no Tor: routers always see the device's address unless a message is forwarded.
      ipProtected: () => false,
    });
    const agent = new Agent({
      store: this.store,
      pool,
      crypto: o.crypto,
      random: o.random,
      clock: o.clock,
      log: o.log,
      routers: usableRouters(this.routerList, 'storage'),
      sender,
      pq: o.pq,
      retryBaseMs: o.retryBaseMs,
      retryMaxMs: o.retryMaxMs,
      onEvent: (e) => this.onAgentEvent(agent, e),
    });
    this.pool = pool;
    this.agent = agent;
    agent.start().then(
      () => {
        if (this.agent === agent) this.takeLeftoverInbox(agent);
        this.emit('routers', '', -1);
        this.emit('network', '', -1);
      },
      (e) => this.logError('app.agent.start', e),
    );
  }

  private close(): void {
    if (this.agent !== null) this.agent.stop();
    if (this.pool !== null) this.pool.close();
    this.agent = null;
    this.pool = null;
    this.contacts = [];
    this.saved = [];
    if (this.store.state() === 'unlocked') this.store.lock();
  }

  // -------------------------------------------------------------------------------------------
  // Agent events

  private onAgentEvent(agent: Agent, e: AgentEvent): void {
    if (this.agent !== agent) return;
    const c = this.find(e.connId);
    if (e.type === 'deleted') {
      if (c !== null) this.dropContact(c);
      return;
    }
    if (c === null) {
      this.logError('app.event.unknown-contact', null);
      return;
    }
    if (e.type === 'confirmed') {
      this.saveContact(c, { ...c.record, name: nameOf(e.profile), state: 'connecting' });
      this.emit('contact', c.id, -1);
      this.emit('contacts', '', -1);
    } else if (e.type === 'connected') {
      this.saveContact(c, { ...c.record, name: nameOf(e.profile), state: 'ready' });
      this.emit('contact', c.id, -1);
      this.emit('contacts', '', -1);
    } else if (e.type === 'message') {
      this.receive(agent, c, e.text, e.brokerTs, e.inboxPosition);
    } else if (e.type === 'sent' || e.type === 'delivered' || e.type === 'failed') {
      const row = this.rowByAgentId(c, e.msgId);
      if (row === null) return; // a handshake step, not a message of the history
      // Delivered is final; a late 'sent' after it must not move the state back.
      if (e.type === 'sent' && row.delivery !== 'sending') return;
      if (e.type === 'failed') this.setState(c, row, row.agentMsgId, 'failed', e.error.name, e.error.code);
      else this.setState(c, row, row.agentMsgId, e.type, '', '');
    }
  }

  /** Stores an incoming message in History, then lets the agent drop it from its inbox. */
  private receive(agent: Agent, c: Contact, text: string, brokerTs: number, inboxPosition: number): void {
    const seq = c.rows.length > 0 ? c.rows[c.rows.length - 1].seq + 1 : 1;
    const time = brokerTs > 0 ? brokerTs * 1000 : this.o.clock.now();
    this.appendMessage(c, { kind: 'message', seq, outgoing: false, time, agentMsgId: 0, text }, 'received');
    this.saveContact(c, { ...c.record, unread: c.record.unread + 1 });
    agent.releaseInbox(c.id, inboxPosition + 1);
    this.emit('messages', c.id, seq);
    this.emit('received', c.id, seq);
    this.emit('contacts', '', -1);
  }

  /**
   * Messages the agent committed but the app had not stored when the device went off: the agent
   * kept them in its inbox. Their text is recovered from the chat body the inbox holds.
   */
  private takeLeftoverInbox(agent: Agent): void {
    for (let i = 0; i < this.contacts.length; i++) {
      const c = this.contacts[i];
      let items;
      try {
        items = agent.inbox(c.id);
      } catch (e) {
        continue;
      }
      for (let k = 0; k < items.length; k++) {
        const text = textOfBody(items[k].body);
        // Only x.msg.new becomes history; anything else in the inbox is released as the live path does.
        if (text !== null) this.receive(agent, c, text, items[k].brokerTs, items[k].position);
        else agent.releaseInbox(c.id, items[k].position + 1);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Contacts and history

  private addContact(connId: string, name: string, state: ContactState): void {
    const idBytes = fromHex(connId);
    if (idBytes === null) throw new AppError('bad-record', 'the agent returned a malformed connection id');
    const record: ContactRecord = { name, state, unread: 0, verified: false, muted: false, created: this.o.clock.now() };
    this.store.begin().createLog(StoreType.History, idBytes, HISTORY_PER_SEGMENT).put(StoreType.Contact, idBytes, encodeContact(record)).commit();
    this.contacts.push({ id: connId, idBytes, record, rows: [], lastText: '' });
    this.emit('contacts', '', -1);
  }

  private loadContact(idBytes: Uint8Array): Contact {
    const bytes = this.store.get(StoreType.Contact, idBytes);
    if (bytes === null) throw new AppError('bad-record', 'a contact record disappeared while loading');
    const c: Contact = { id: hexOf(idBytes), idBytes, record: decodeContact(bytes), rows: [], lastText: '' };
    const info = this.store.logInfo(StoreType.History, idBytes);
    if (info === null) return c;
    const entries = this.store.read(StoreType.History, idBytes, info.first, info.next);
    for (let i = 0; i < entries.length; i++) {
      const e = decodeHistoryEntry(entries[i]);
      if (e.kind === 'message') {
        c.rows.push({
          seq: e.seq,
          outgoing: e.outgoing,
          time: e.time,
          position: info.first + i,
          agentMsgId: e.agentMsgId,
          delivery: e.outgoing ? 'sending' : 'received',
          errorName: '',
          errorCode: '',
        });
        c.lastText = preview(e.text);
      } else {
        const row = this.rowOf(c, e.seq);
        if (row === null) continue;
        row.agentMsgId = e.agentMsgId;
        row.delivery = e.delivery;
        row.errorName = e.errorName;
        row.errorCode = e.errorCode;
      }
    }
    return c;
  }

  private appendMessage(c: Contact, entry: HistoryEntry, delivery: DeliveryState): void {
    if (entry.kind !== 'message') return;
    const position = this.store.append(StoreType.History, c.idBytes, encodeHistoryEntry(entry));
    c.rows.push({ seq: entry.seq, outgoing: entry.outgoing, time: entry.time, position, agentMsgId: entry.agentMsgId, delivery, errorName: '', errorCode: '' });
    c.lastText = preview(entry.text);
  }

  private setState(c: Contact, row: MsgRow, agentMsgId: number, delivery: DeliveryState, errorName: string, errorCode: string): void {
    this.store.append(StoreType.History, c.idBytes, encodeHistoryEntry({ kind: 'state', seq: row.seq, agentMsgId, delivery, errorName, errorCode }));
    row.agentMsgId = agentMsgId;
    row.delivery = delivery;
    row.errorName = errorName;
    row.errorCode = errorCode;
    this.emit('messages', c.id, row.seq);
    this.emit('contacts', '', -1);
  }

  private saveContact(c: Contact, record: ContactRecord): void {
    this.store.put(StoreType.Contact, c.idBytes, encodeContact(record));
    c.record = record;
  }

  private dropContact(c: Contact): void {
    this.store.begin().delete(StoreType.Contact, c.idBytes).deleteLog(StoreType.History, c.idBytes).commit();
    const kept: Contact[] = [];
    for (let i = 0; i < this.contacts.length; i++) if (this.contacts[i] !== c) kept.push(this.contacts[i]);
    this.contacts = kept;
    this.emit('contacts', '', -1);
  }

  private page(c: Contact, from: number, to: number): ChatMessage[] {
    const out: ChatMessage[] = [];
    for (let i = from; i < to; i++) {
      const r = c.rows[i];
      out.push({ seq: r.seq, outgoing: r.outgoing, text: this.textAt(c, r.position), time: r.time, delivery: r.delivery, errorName: r.errorName, errorCode: r.errorCode });
    }
    return out;
  }

  private textAt(c: Contact, position: number): string {
    const e = decodeHistoryEntry(this.store.read(StoreType.History, c.idBytes, position, position + 1)[0]);
    return e.kind === 'message' ? e.text : '';
  }

  private rowOf(c: Contact, seq: number): MsgRow | null {
    for (let i = c.rows.length - 1; i >= 0; i--) if (c.rows[i].seq === seq) return c.rows[i];
    return null;
  }

  private rowByAgentId(c: Contact, agentMsgId: number): MsgRow | null {
    for (let i = c.rows.length - 1; i >= 0; i--) if (c.rows[i].outgoing && c.rows[i].agentMsgId === agentMsgId) return c.rows[i];
    return null;
  }

  private ordered(): Contact[] {
    const list = this.contacts.slice();
    list.sort((a, b) => lastTime(b) - lastTime(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return list;
  }

  private summary(c: Contact): ContactSummary {
    const last = c.rows.length > 0 ? c.rows[c.rows.length - 1] : null;
    return {
      id: c.id,
      name: c.record.name,
      state: c.record.state,
      unread: c.record.unread,
      lastText: c.lastText,
      lastTime: last !== null ? last.time : 0,
      lastDelivery: last !== null ? last.delivery : 'received',
      verified: c.record.verified,
      muted: c.record.muted,
    };
  }

  private find(id: string): Contact | null {
    for (let i = 0; i < this.contacts.length; i++) if (this.contacts[i].id === id) return this.contacts[i];
    return null;
  }

  private requireContact(id: string): Contact {
    const c = this.find(id);
    if (c === null) throw new AppError(this.store.state() === 'unlocked' ? 'unknown-contact' : 'locked', this.store.state() === 'unlocked' ? 'there is no such contact' : 'the device is locked');
    return c;
  }

  private requireAgent(): Agent {
    if (this.agent === null) throw new AppError('locked', 'the device is locked: unlock it first');
    return this.agent;
  }

  private saveRouters(list: RouterList): void {
    if (this.store.state() === 'unlocked') this.store.put(StoreType.RouterList, SETTINGS_ID, encodeRouterList(list));
    this.routerList = list;
    this.emit('routers', '', -1);
  }

  private savedIndex(ssid: string): number {
    for (let i = 0; i < this.saved.length; i++) if (this.saved[i].ssid === ssid) return i;
    return -1;
  }

  private profile(): Profile {
    return { displayName: this.o.profileName, fullName: '', shortDescr: null, image: null, contactLink: null, preferences: null };
  }

  private emit(kind: ModelChange['kind'], contactId: string, seq: number): void {
    const l = this.listener;
    if (l === null) return;
    try {
      l({ kind, contactId, seq });
    } catch (e) {
      this.logError('app.listener', e);
    }
  }

  private logError(event: string, e: unknown): void {
    this.o.log.write('warn', event, { code: e instanceof SimpleGoError ? e.code : 'unknown' });
  }

  /** Runs a synchronous step after the caller's frame, so the UI can draw its progress screen first. */
  private later<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.o.clock.setTimer(() => {
        try {
          resolve(fn());
        } catch (e) {
          reject(e);
        }
      }, 0);
    });
  }
}

const STEP_LABELS: readonly string[] = ['Connecting', 'Creating a queue', 'Securing the queue', 'Sending a message', 'Receiving it', 'Deleting the queue'];

/**
 * The routing setting as the policy the sender applies. 'always' is SimpleGo's default and never
 * falls back to a direct send; 'unprotected' routes everything privately too, since SimpleGo's
 * address is never protected (no Tor), but may fall back when the address would be protected.
 */
export function policyOf(mode: PrivateRouting): RoutingPolicy {
  if (mode === 'always') return { mode: 'always', fallback: 'prohibit' };
  if (mode === 'unprotected') return { mode: 'always', fallback: 'allow-protected' };
  if (mode === 'unknown') return { mode: 'unknown-routers', fallback: 'allow-protected' };
  return { mode: 'never', fallback: 'allow' };
}

/**
 * The invitation without its sntrup761 key, which makes the QR code too large for the screen.
 * The joiner then proposes its own KEM key in the confirmation, so the ratchet still becomes
 * post-quantum after one round trip (as the official apps do with QR codes).
 */
export function withoutKemKey(link: string): string {
  const req = parseConnectionLink(link);
  if (req.e2e === null || req.e2e.kem === null) return link;
  return renderConnectionLink({ ...req, e2e: { ...req.e2e, kem: null } });
}

/** The text of the first x.msg.new in a chat body, or null. */
function textOfBody(body: Uint8Array): string | null {
  let items;
  try {
    items = decodeChatBody(body, decompressZstd);
  } catch (e) {
    return null;
  }
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.ok && item.message.event.type === 'x.msg.new') return item.message.event.container.content.text;
  }
  return null;
}

function nameOf(p: Profile): string {
  return p.displayName.length > 0 ? p.displayName : 'Contact';
}

function preview(text: string): string {
  return text.length > PREVIEW_LENGTH ? text.substring(0, PREVIEW_LENGTH) : text;
}

function lastTime(c: Contact): number {
  return c.rows.length > 0 ? c.rows[c.rows.length - 1].time : c.record.created;
}

function hexOf(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}
