/**
 * The application model: everything the screens read and every action they can take, as one
 * interface the agent layer implements. The UI (firmware/ui/) depends on this file only, never
 * on the agent, the store or the SMP client directly, so it can be built and tested before
 * those are wired together, and the agent can change its internals without touching screens.
 *
 * Shape rules, chosen for Espruino (about 16,000 variables for everything):
 * - Lists are read in pages (`contactsPage`, `messagesBefore`); the UI holds only what is on
 *   screen plus a small window, never a whole history or contact list.
 * - Values are flat records of strings, numbers and booleans: cheap to create and to drop.
 * - One listener (like the HAL's setHandler), told *what* changed in one flat record; the
 *   screen that cares reads the new state back through the getters.
 * - Long operations return a Promise and report progress through a callback; failures reject
 *   with the typed SimpleGoError the lower layer raised, unchanged (the UI turns `name`+`code`
 *   into words, see firmware/ui/error-text.ts).
 * - Texts are JavaScript strings as the display shows them. On the device the agent decodes
 *   UTF-8 for display only; the model never hands the UI key material.
 */

/** Delivery state of a message. Incoming messages are 'received'. */
export type DeliveryState = 'sending' | 'sent' | 'delivered' | 'failed' | 'received';

/**
 * Where a contact's connection stands:
 * - 'invited':    our one-time invitation is out; nobody has used it yet
 * - 'connecting': the handshake is under way (we joined their link, or they joined ours)
 * - 'ready':      messages can be exchanged
 * - 'deleting':   its queues are being deleted on the routers
 * - 'failed':     the connection cannot continue (e.g. the invitation expired, the peer deleted it)
 */
export type ContactState = 'invited' | 'connecting' | 'ready' | 'deleting' | 'failed';

/** One row of the contact list: all the list and the chat header need, nothing more. */
export interface ContactSummary {
  /** Stable local id (not a protocol id, never shown). */
  readonly id: string;
  readonly name: string;
  readonly state: ContactState;
  readonly unread: number;
  /** Preview of the newest message, "" when there is none. The model may shorten it. */
  readonly lastText: string;
  /** Wall-clock ms of the newest message, 0 when there is none. */
  readonly lastTime: number;
  /** Delivery state of the newest message ('received' when it is incoming; 'received' also when none). */
  readonly lastDelivery: DeliveryState;
  readonly verified: boolean;
  readonly muted: boolean;
}

/** One message of a chat. */
export interface ChatMessage {
  /** Increases with every message of the contact; pages are asked for by it. */
  readonly seq: number;
  readonly outgoing: boolean;
  readonly text: string;
  /** Wall-clock ms: when sent (outgoing) or received (incoming). */
  readonly time: number;
  readonly delivery: DeliveryState;
  /** For 'failed': the error's `name` and `code` (e.g. 'SmpCommandError', 'quota'), else "". */
  readonly errorName: string;
  readonly errorCode: string;
}

/** Progress of a long operation. */
export interface Progress {
  /** The step now running, 1-based. */
  readonly step: number;
  /** Total steps, or 0 when unknown. */
  readonly steps: number;
  /** What the step does, in words a person understands ("Generating keys"). */
  readonly label: string;
}

export type ProgressListener = (progress: Progress) => void;

/** A freshly made one-time invitation. */
export interface Invitation {
  /** The pending contact the invitation belongs to (state 'invited'). */
  readonly contactId: string;
  /**
   * What the QR code shows: the short link, or the full link without the PQ `kem_key`, which
   * fits on a 240-pixel screen (a link with it does not; see firmware/ui/qr.ts).
   */
  readonly qrText: string;
  /** What is shown as text to copy or read out; may be the same as qrText. */
  readonly linkText: string;
}

/** 'no-pin': first boot, a PIN must be set before anything else. */
export type LockState = 'no-pin' | 'locked' | 'unlocked';

/** Mirrors hal/wifi.ts WifiState. */
export type WifiState = 'off' | 'disconnected' | 'connecting' | 'connected';

/** What the status bar shows about connectivity. */
export interface NetworkStatus {
  readonly wifi: WifiState;
  /** The network joined or being joined, "" when none. */
  readonly ssid: string;
  /** Enabled routers with a live connection, and enabled routers in total. */
  readonly routersConnected: number;
  readonly routersEnabled: number;
}

/** A network found by a Wi-Fi scan. */
export interface WifiNetworkInfo {
  readonly ssid: string;
  /** dBm, e.g. -40 strong, -85 weak. */
  readonly rssi: number;
  readonly secure: boolean;
  /** A password for it is remembered. */
  readonly saved: boolean;
}

/** Mirrors firmware/smp/router-list.ts RouterStatus. */
export type RouterState = 'ready' | 'awaiting-fingerprint' | 'disabled';

/** Live connection to a router: 'idle' when enabled but not needed right now. */
export type RouterConnection = 'connected' | 'connecting' | 'idle' | 'failed';

export interface RouterInfo {
  /** "host" or "host:port", as firmware/smp/router-list.ts routerId. */
  readonly id: string;
  readonly host: string;
  /** 'simplego', 'simplex', 'flux' or 'user'. */
  readonly operator: string;
  readonly state: RouterState;
  readonly connection: RouterConnection;
  /** False for routers used only to forward (private routing), never to hold queues. */
  readonly storage: boolean;
  /** Added by the user, so it may be removed. */
  readonly removable: boolean;
}

/**
 * Private message routing (simplex-chat's SMP proxy mode): when to send through a forwarding
 * router so the destination router never sees this device's IP address.
 * 'always'; 'unknown': for routers not in the user's list; 'unprotected': when the IP address
 * would otherwise be exposed (always the case without Tor); 'never'.
 */
export type PrivateRouting = 'always' | 'unknown' | 'unprotected' | 'never';

export interface Settings {
  readonly privateRouting: PrivateRouting;
  /** Lock the device after this long without input, ms; 0: never. */
  readonly lockAfterMs: number;
  /** Turn the screen off after this long without input, ms; 0: never. */
  readonly screenOffMs: number;
  /** Local time minus UTC, in minutes, for showing times (the device has no time-zone database). */
  readonly utcOffsetMinutes: number;
}

/**
 * What changed. One flat record (the unused fields are "" / -1) so Espruino allocates one small
 * object per event.
 * - 'contacts': the contact list (added, removed, reordered, unread counts, last messages)
 * - 'contact':  one contact's own details (name, state, verified, muted) — contactId
 * - 'messages': messages of contactId: a new one, or the delivery state of seq (-1: several)
 * - 'received': a new incoming message from contactId (seq): notify unless muted
 * - 'routers':  the router list or a router's connection
 * - 'network':  Wi-Fi state or the count of connected routers
 * - 'settings': a setting
 * - 'lock':     the lock state (the device locked itself, or the store was wiped)
 */
export type ChangeKind = 'contacts' | 'contact' | 'messages' | 'received' | 'routers' | 'network' | 'settings' | 'lock';

export interface ModelChange {
  readonly kind: ChangeKind;
  readonly contactId: string;
  readonly seq: number;
}

export interface AppModel {
  /** Installs the single change listener (replacing any earlier one); null removes it. */
  setListener(listener: ((change: ModelChange) => void) | null): void;

  // --- lock and PIN -------------------------------------------------------------------------
  lockState(): LockState;
  /** First boot: creates the encrypted store under `pin`. Resolves unlocked. */
  setPin(pin: string, onProgress: ProgressListener): Promise<void>;
  /** Rejects with StoreError 'wrong-pin' (attemptsLeft), 'locked-out' (retryAfterMs) or 'wiped'. */
  unlock(pin: string, onProgress: ProgressListener): Promise<void>;
  changePin(oldPin: string, newPin: string, onProgress: ProgressListener): Promise<void>;
  /** Locks now: the model drops keys and plaintext it holds. */
  lock(): void;
  /** Erases the store and every key; the device is as new ('no-pin') afterwards. */
  wipe(onProgress: ProgressListener): Promise<void>;

  // --- status -------------------------------------------------------------------------------
  networkStatus(): NetworkStatus;
  unreadTotal(): number;

  // --- contacts -----------------------------------------------------------------------------
  contactCount(): number;
  /** Up to `count` contacts from position `start`, in display order (most recent first). */
  contactsPage(start: number, count: number): ContactSummary[];
  /** Position of the contact in display order, -1 when there is no such contact. */
  contactIndexOf(contactId: string): number;
  contact(contactId: string): ContactSummary | null;

  // --- chat ---------------------------------------------------------------------------------
  /** Up to `limit` messages with seq < beforeSeq (beforeSeq -1: the newest), oldest first. */
  messagesBefore(contactId: string, beforeSeq: number, limit: number): ChatMessage[];
  /** Up to `limit` messages with seq > afterSeq, oldest first. */
  messagesAfter(contactId: string, afterSeq: number, limit: number): ChatMessage[];
  /** The user has seen the chat: unread goes to 0. */
  markRead(contactId: string): void;
  /**
   * Queues a text message and returns at once; it appears with 'sending' and moves on through
   * 'messages' changes. Throws a typed error when it cannot even be queued (too long, not ready).
   */
  send(contactId: string, text: string): void;
  /** Sends a 'failed' message again. */
  resend(contactId: string, seq: number): void;

  // --- new contact --------------------------------------------------------------------------
  /** Makes a one-time invitation (new queue, keys) and a pending contact for it. */
  createInvitation(onProgress: ProgressListener): Promise<Invitation>;
  /** Joins an invitation, contact address or short link; resolves with the new contact's id. */
  joinLink(text: string, onProgress: ProgressListener): Promise<string>;

  // --- contact details ----------------------------------------------------------------------
  /** The security code both sides compute from the connection, as shown to compare. */
  securityCode(contactId: string): string;
  /**
   * Compares a code the user typed or scanned with ours (spaces ignored, in constant time) and
   * marks the contact verified when they match.
   */
  compareSecurityCode(contactId: string, theirs: string): boolean;
  setVerified(contactId: string, verified: boolean): void;
  setMuted(contactId: string, muted: boolean): void;
  /** Deletes the contact and its queues on the routers (SMP DEL), then the local data. */
  deleteContact(contactId: string, onProgress: ProgressListener): Promise<void>;

  // --- routers ------------------------------------------------------------------------------
  routers(): RouterInfo[];
  /** Adds (or provisions a preset with) an smp:// address; throws AddressError or RouterListError. */
  addRouter(address: string): void;
  setRouterEnabled(routerId: string, enabled: boolean): void;
  removeRouter(routerId: string): void;
  /** The on-device server test: connect, create a queue, secure it, send, delete. */
  testRouter(routerId: string, onProgress: ProgressListener): Promise<void>;

  // --- Wi-Fi --------------------------------------------------------------------------------
  scanWifi(): Promise<WifiNetworkInfo[]>;
  joinWifi(ssid: string, password: string, remember: boolean): Promise<void>;
  /** SSIDs with a remembered password. */
  savedWifi(): string[];
  forgetWifi(ssid: string): void;

  // --- settings -----------------------------------------------------------------------------
  /** Readable in every lock state (the lock screen needs the screen-off time): the last known values, or defaults. */
  settings(): Settings;
  setPrivateRouting(mode: PrivateRouting): void;
}
