/**
 * An in-memory AppModel for the screen tests (and nothing else: it lives in test/).
 *
 * It behaves like the real one where the UI can tell: pages, change events, typed errors from
 * the real error classes, and the real router list and link parser of firmware/ underneath
 * (so the ten presets, "awaiting fingerprint" and every address or link error are the real
 * ones). Long operations can be held (`hold = true`) so a test sees the progress screen, feeds
 * progress and then resolves or rejects them.
 */
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
  Progress,
  ProgressListener,
  RouterConnection,
  RouterInfo,
  Settings,
  WifiNetworkInfo,
  WifiState,
} from '../../../firmware/app/model';
import { RatchetError } from '../../../firmware/agent/errors';
import { LinkError } from '../../../firmware/agent/link-errors';
import { parseSimplexLink } from '../../../firmware/agent/links';
import { equalBytes } from '../../../firmware/encoding/bytes';
import { EncodeError } from '../../../firmware/encoding/errors';
import { utf8Encode } from '../../../firmware/encoding/utf8';
import { parseSmpServer } from '../../../firmware/smp/address';
import {
  addRouter,
  defaultRouterList,
  provisionRouter,
  removeRouter,
  routerId,
  routerStatus,
  setRouterEnabled,
  type RouterList,
} from '../../../firmware/smp/router-list';
import { StoreError } from '../../../firmware/store/errors';
import { WifiError } from '../../../hal/wifi';

export interface FakeContact {
  id: string;
  name: string;
  state: ContactState;
  unread: number;
  verified: boolean;
  muted: boolean;
  code: string;
  messages: ChatMessage[];
  nextSeq: number;
}

/** An operation held for the test to finish. */
export interface HeldOp {
  readonly name: string;
  readonly progress: ProgressListener;
  resolve(value?: unknown): void;
  reject(e: unknown): void;
}

export interface FakeNetwork {
  ssid: string;
  rssi: number;
  password: string;
}

/** What a real short invitation link looks like (firmware/agent/short-link.ts renders this form). */
export const SHORT_LINK = 'https://smp.simplego.dev/i#vnfoL96EyBmHcaIuORvpHvUJ3XJsDhsG/nD4zUSfEaDXB7x-sVlV-RUvXqc5GiwVr5ouj8b6Yjuo';

export const MAX_TEXT = 15000;

export class FakeModel implements AppModel {
  private listener: ((c: ModelChange) => void) | null = null;
  lock_: LockState = 'no-pin';
  pin = '';
  wrongPins = 0;
  /** Wrong PINs allowed before the fake store wipes itself. */
  wipeAfter = 5;
  contacts: FakeContact[] = [];
  private nextContact = 1;
  /** Minutes since 08:00 UTC of the newest message: every message is a minute after the last. */
  private minutes = 0;
  routerList: RouterList = defaultRouterList(false);
  connections: { [id: string]: RouterConnection } = {};
  wifiState: WifiState = 'connected';
  ssid = 'home';
  networks: FakeNetwork[] = [
    { ssid: 'home', rssi: -48, password: 'correct horse' },
    { ssid: 'cafe', rssi: -70, password: '' },
    { ssid: 'neighbour', rssi: -86, password: 'secret' },
  ];
  saved: string[] = ['home'];
  settingsValue: Settings = { privateRouting: 'unknown', lockAfterMs: 0, screenOffMs: 0, utcOffsetMinutes: 120 };
  /** When true, async operations wait in `held` until the test settles them. */
  hold = false;
  held: HeldOp[] = [];
  /** The invitation createInvitation makes next. */
  invitationQrText = SHORT_LINK;
  invitationLinkText = SHORT_LINK;
  /** Makes testRouter fail at this 1-based step with this error. */
  routerTestFailure: { step: number; error: unknown } | null = null;
  /** Every call the UI made that changes state, for assertions: "send c1 hello". */
  calls: string[] = [];

  // --- helpers for tests -------------------------------------------------------------------------

  emit(kind: ModelChange['kind'], contactId: string = '', seq: number = -1): void {
    if (this.listener !== null) this.listener({ kind, contactId, seq });
  }

  addContact(name: string, state: ContactState = 'ready', messages: number = 0): FakeContact {
    const c: FakeContact = {
      id: 'c' + this.nextContact++,
      name,
      state,
      unread: 0,
      verified: false,
      muted: false,
      code: '12345 67890 13579 24680 11223 34455',
      messages: [],
      nextSeq: 1,
    };
    this.contacts.push(c);
    for (let i = 0; i < messages; i++) this.addMessage(c, i % 2 === 0, 'message ' + (i + 1), i % 2 === 0 ? 'delivered' : 'received');
    return c;
  }

  addMessage(c: FakeContact, outgoing: boolean, text: string, delivery: DeliveryState, errorName: string = '', errorCode: string = ''): ChatMessage {
    this.minutes++;
    const m: ChatMessage = { seq: c.nextSeq++, outgoing, text, time: Date.UTC(2026, 9, 14, 8, 0, 0) + this.minutes * 60000, delivery, errorName, errorCode };
    c.messages.push(m);
    return m;
  }

  find(id: string): FakeContact | null {
    for (const c of this.contacts) if (c.id === id) return c;
    return null;
  }

  /** An incoming message, as the agent would report it. */
  receive(contactId: string, text: string): ChatMessage {
    const c = this.mustFind(contactId);
    const m = this.addMessage(c, false, text, 'received');
    c.unread++;
    this.emit('received', c.id, m.seq);
    this.emit('contacts');
    return m;
  }

  /** A delivery state change of an outgoing message. */
  setDelivery(contactId: string, seq: number, delivery: DeliveryState, errorName: string = '', errorCode: string = ''): void {
    const c = this.mustFind(contactId);
    const i = c.messages.findIndex((m) => m.seq === seq);
    const m = c.messages[i];
    c.messages[i] = { seq, outgoing: m.outgoing, text: m.text, time: m.time, delivery, errorName, errorCode };
    this.emit('messages', c.id, seq);
    this.emit('contacts');
  }

  private mustFind(id: string): FakeContact {
    const c = this.find(id);
    if (c === null) throw new Error('no contact ' + id);
    return c;
  }

  private op<T>(name: string, onProgress: ProgressListener, run: (progress: ProgressListener) => T): Promise<T> {
    if (!this.hold) {
      return new Promise<T>((resolve, reject) => {
        try {
          resolve(run(onProgress));
        } catch (e) {
          reject(e);
        }
      });
    }
    return new Promise<T>((resolve, reject) => {
      this.held.push({
        name,
        progress: onProgress,
        resolve: (v?: unknown) => {
          try {
            resolve(v === undefined ? run(onProgress) : (v as T));
          } catch (e) {
            reject(e);
          }
        },
        reject,
      });
    });
  }

  /** The held operation named `name` (the first one), removed from the list. */
  take(name: string): HeldOp {
    const i = this.held.findIndex((h) => h.name === name);
    if (i < 0) throw new Error('no held ' + name + ' (held: ' + this.held.map((h) => h.name).join(', ') + ')');
    return this.held.splice(i, 1)[0];
  }

  // --- AppModel ------------------------------------------------------------------------------------

  setListener(listener: ((change: ModelChange) => void) | null): void {
    this.listener = listener;
  }

  lockState(): LockState {
    return this.lock_;
  }

  setPin(pin: string, onProgress: ProgressListener): Promise<void> {
    this.calls.push('setPin');
    return this.op('setPin', onProgress, (p) => {
      p({ step: 1, steps: 1, label: 'Deriving the key' });
      this.pin = pin;
      this.lock_ = 'unlocked';
    });
  }

  unlock(pin: string, onProgress: ProgressListener): Promise<void> {
    this.calls.push('unlock');
    return this.op('unlock', onProgress, () => {
      if (pin === this.pin) {
        this.wrongPins = 0;
        this.lock_ = 'unlocked';
        return;
      }
      this.wrongPins++;
      if (this.wrongPins >= this.wipeAfter) {
        this.wipeNow();
        throw new StoreError('wiped', 'too many wrong PINs: the store was erased');
      }
      if (this.wrongPins >= 3) throw new StoreError('locked-out', 'wait before the next attempt', '', 30000, this.wipeAfter - this.wrongPins);
      throw new StoreError('wrong-pin', 'the PIN is wrong', '', 0, this.wipeAfter - this.wrongPins);
    });
  }

  changePin(oldPin: string, newPin: string, onProgress: ProgressListener): Promise<void> {
    this.calls.push('changePin');
    return this.op('changePin', onProgress, () => {
      if (oldPin !== this.pin) throw new StoreError('wrong-pin', 'the PIN is wrong', '', 0, -1);
      this.pin = newPin;
    });
  }

  lock(): void {
    this.calls.push('lock');
    this.lock_ = 'locked';
    this.emit('lock');
  }

  private wipeNow(): void {
    this.contacts = [];
    this.pin = '';
    this.lock_ = 'no-pin';
  }

  wipe(onProgress: ProgressListener): Promise<void> {
    this.calls.push('wipe');
    return this.op('wipe', onProgress, () => {
      this.wipeNow();
      this.emit('lock');
    });
  }

  networkStatus(): NetworkStatus {
    let enabled = 0;
    let connected = 0;
    for (const e of this.routerList.entries) {
      if (routerStatus(e) !== 'ready') continue;
      enabled++;
      if (this.connections[routerId(e)] === 'connected') connected++;
    }
    return { wifi: this.wifiState, ssid: this.wifiState === 'connected' || this.wifiState === 'connecting' ? this.ssid : '', routersConnected: connected, routersEnabled: enabled };
  }

  unreadTotal(): number {
    let n = 0;
    for (const c of this.contacts) n += c.unread;
    return n;
  }

  private ordered(): FakeContact[] {
    const last = (c: FakeContact): number => (c.messages.length > 0 ? c.messages[c.messages.length - 1].time : 0);
    return this.contacts.slice().sort((a, b) => last(b) - last(a) || a.id.localeCompare(b.id));
  }

  private summary(c: FakeContact): ContactSummary {
    const m = c.messages.length > 0 ? c.messages[c.messages.length - 1] : null;
    return {
      id: c.id,
      name: c.name,
      state: c.state,
      unread: c.unread,
      lastText: m !== null ? m.text : '',
      lastTime: m !== null ? m.time : 0,
      lastDelivery: m !== null ? m.delivery : 'received',
      verified: c.verified,
      muted: c.muted,
    };
  }

  contactCount(): number {
    return this.contacts.length;
  }

  contactsPage(start: number, count: number): ContactSummary[] {
    return this.ordered().slice(start, start + count).map((c) => this.summary(c));
  }

  contactIndexOf(contactId: string): number {
    return this.ordered().findIndex((c) => c.id === contactId);
  }

  contact(contactId: string): ContactSummary | null {
    const c = this.find(contactId);
    return c === null ? null : this.summary(c);
  }

  messagesBefore(contactId: string, beforeSeq: number, limit: number): ChatMessage[] {
    const c = this.find(contactId);
    if (c === null) return [];
    const older = c.messages.filter((m) => beforeSeq < 0 || m.seq < beforeSeq);
    return older.slice(Math.max(0, older.length - limit));
  }

  messagesAfter(contactId: string, afterSeq: number, limit: number): ChatMessage[] {
    const c = this.find(contactId);
    if (c === null) return [];
    return c.messages.filter((m) => m.seq > afterSeq).slice(0, limit);
  }

  markRead(contactId: string): void {
    const c = this.find(contactId);
    if (c === null || c.unread === 0) return;
    c.unread = 0;
    this.emit('contacts');
  }

  send(contactId: string, text: string): void {
    const c = this.mustFind(contactId);
    if (c.state !== 'ready') throw new RatchetError('not-ready', 'the connection is not established yet');
    if (text.length > MAX_TEXT) throw new EncodeError('too-long', 'the message is longer than ' + MAX_TEXT + ' characters');
    this.calls.push('send ' + contactId + ' ' + text);
    const m = this.addMessage(c, true, text, 'sending');
    this.emit('messages', c.id, m.seq);
    this.emit('contacts');
  }

  resend(contactId: string, seq: number): void {
    this.calls.push('resend ' + contactId + ' ' + seq);
    this.setDelivery(contactId, seq, 'sending');
  }

  createInvitation(onProgress: ProgressListener): Promise<Invitation> {
    this.calls.push('createInvitation');
    return this.op('createInvitation', onProgress, (p) => {
      p({ step: 1, steps: 3, label: 'Connecting to the router' });
      p({ step: 2, steps: 3, label: 'Creating a queue' });
      p({ step: 3, steps: 3, label: 'Generating keys' });
      const c = this.addContact('New contact', 'invited');
      this.emit('contacts');
      return { contactId: c.id, qrText: this.invitationQrText, linkText: this.invitationLinkText };
    });
  }

  joinLink(text: string, onProgress: ProgressListener): Promise<string> {
    this.calls.push('joinLink');
    return this.op('joinLink', onProgress, (p) => {
      // The real parser: the errors a person sees for a bad link are the real ones.
      const link = parseSimplexLink(text);
      if (link.kind === 'full' && link.request.queues.length === 0) throw new LinkError('bad-queue-uri', 'no queue');
      p({ step: 1, steps: 2, label: 'Connecting to their router' });
      p({ step: 2, steps: 2, label: 'Sending your keys' });
      const c = this.addContact('Contact ' + this.nextContact, 'connecting');
      this.emit('contacts');
      return c.id;
    });
  }

  securityCode(contactId: string): string {
    return this.mustFind(contactId).code;
  }

  compareSecurityCode(contactId: string, theirs: string): boolean {
    const c = this.mustFind(contactId);
    const strip = (s: string): Uint8Array => utf8Encode(s.split(' ').join(''));
    const same = equalBytes(strip(c.code), strip(theirs));
    if (same) {
      c.verified = true;
      this.emit('contact', c.id);
    }
    return same;
  }

  setVerified(contactId: string, verified: boolean): void {
    this.calls.push('setVerified ' + contactId + ' ' + verified);
    this.mustFind(contactId).verified = verified;
    this.emit('contact', contactId);
  }

  setMuted(contactId: string, muted: boolean): void {
    this.calls.push('setMuted ' + contactId + ' ' + muted);
    this.mustFind(contactId).muted = muted;
    this.emit('contact', contactId);
  }

  deleteContact(contactId: string, onProgress: ProgressListener): Promise<void> {
    this.calls.push('deleteContact ' + contactId);
    return this.op('deleteContact', onProgress, (p) => {
      p({ step: 1, steps: 2, label: 'Deleting queues on the routers' });
      p({ step: 2, steps: 2, label: 'Deleting messages' });
      this.contacts = this.contacts.filter((c) => c.id !== contactId);
      this.emit('contacts');
    });
  }

  routers(): RouterInfo[] {
    return this.routerList.entries.map((e) => {
      const id = routerId(e);
      const state = routerStatus(e);
      return {
        id,
        host: e.host,
        operator: e.operator,
        state,
        connection: state === 'ready' ? (this.connections[id] ?? 'idle') : 'idle',
        storage: e.storage,
        removable: e.operator === 'user',
      };
    });
  }

  addRouter(address: string): void {
    const host = parseSmpServer(address).server.hosts[0].host;
    const preset = this.routerList.entries.find((e) => e.host === host && e.operator !== 'user' && e.address === null);
    this.routerList = preset !== undefined ? provisionRouter(this.routerList, host, address) : addRouter(this.routerList, address);
    this.calls.push('addRouter ' + address);
    this.emit('routers');
  }

  setRouterEnabled(id: string, enabled: boolean): void {
    this.routerList = setRouterEnabled(this.routerList, id, enabled);
    this.calls.push('setRouterEnabled ' + id + ' ' + enabled);
    this.emit('routers');
  }

  removeRouter(id: string): void {
    this.routerList = removeRouter(this.routerList, id);
    this.calls.push('removeRouter ' + id);
    this.emit('routers');
  }

  static readonly TEST_STEPS = ['Connecting', 'Creating a queue', 'Securing the queue', 'Sending a message', 'Deleting the queue'];

  testRouter(id: string, onProgress: ProgressListener): Promise<void> {
    this.calls.push('testRouter ' + id);
    return this.op('testRouter', onProgress, (p) => {
      const steps = FakeModel.TEST_STEPS;
      for (let i = 0; i < steps.length; i++) {
        p({ step: i + 1, steps: steps.length, label: steps[i] });
        if (this.routerTestFailure !== null && this.routerTestFailure.step === i + 1) throw this.routerTestFailure.error;
      }
    });
  }

  scanWifi(): Promise<WifiNetworkInfo[]> {
    return this.op('scanWifi', () => undefined, () =>
      this.networks.map((n) => ({ ssid: n.ssid, rssi: n.rssi, secure: n.password.length > 0, saved: this.saved.indexOf(n.ssid) >= 0 })),
    );
  }

  joinWifi(ssid: string, password: string, remember: boolean): Promise<void> {
    this.calls.push('joinWifi ' + ssid);
    return this.op('joinWifi', () => undefined, () => {
      const n = this.networks.find((x) => x.ssid === ssid);
      if (n === undefined) throw new WifiError('not-found', ssid + ' is not in range');
      const known = this.saved.indexOf(ssid) >= 0;
      if (n.password.length > 0 && !known && password !== n.password) throw new WifiError('auth', 'wrong password');
      this.wifiState = 'connected';
      this.ssid = ssid;
      if (remember && !known) this.saved.push(ssid);
      this.emit('network');
    });
  }

  savedWifi(): string[] {
    return this.saved.slice();
  }

  forgetWifi(ssid: string): void {
    this.calls.push('forgetWifi ' + ssid);
    this.saved = this.saved.filter((s) => s !== ssid);
  }

  settings(): Settings {
    return this.settingsValue;
  }

  setPrivateRouting(mode: PrivateRouting): void {
    this.calls.push('setPrivateRouting ' + mode);
    this.settingsValue = { ...this.settingsValue, privateRouting: mode };
    this.emit('settings');
  }
}

/** Records progress labels a test expects to see. */
export function progressOf(step: number, steps: number, label: string): Progress {
  return { step, steps, label };
}
