/**
 * The hardware abstraction layer: everything firmware/ may touch outside pure code.
 * A board (boards/*.ts) composes one of these from backend drivers.
 */
import type { Camera } from './camera';
import type { Clock } from './clock';
import type { Crypto } from './crypto';
import type { Display } from './display';
import type { Input } from './input';
import type { Log } from './log';
import type { Net } from './net';
import type { Notifier } from './notifier';
import type { Power } from './power';
import type { QrScanner } from './qr';
import type { Random } from './random';
import type { Storage } from './storage';
import type { Wifi } from './wifi';

export interface Hal {
  readonly clock: Clock;
  readonly random: Random;
  readonly crypto: Crypto;
  readonly net: Net;
  readonly storage: Storage;
  readonly display: Display;
  readonly input: Input;
  readonly camera: Camera;
  readonly qr: QrScanner;
  readonly wifi: Wifi;
  readonly power: Power;
  readonly notifier: Notifier;
  readonly log: Log;
}

export type { Camera, Clock, Crypto, Display, Input, Log, Net, Notifier, Power, QrScanner, Random, Storage, Wifi };
