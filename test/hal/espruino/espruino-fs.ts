/**
 * Espruino's file API (`require("fs")` and `E.openFile`) reimplemented over node:fs, with the
 * device's observable behaviour: 8-bit strings from reads, FatFs-style error messages
 * ("Unable to delete file : NO_FILE"), undefined from statSync for a missing path, a 63-character
 * path limit, and a write that syncs before returning. It lets the hal/espruino Storage backend
 * run its whole protocol on Node.
 *
 * For crash tests it can cut the power: after `powerCutAfter(n)` the n-th mutating step
 * (creating or truncating a file, writing, deleting, making a directory) applies only partly
 * (a write keeps the first half of its bytes) and then throws PowerCut; the files stay as they
 * are, like a card after a power loss. A new Storage over the same directory is the reboot.
 */
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import type { EspruinoFileApi, EspruinoFs } from '../../../hal/espruino/builtins';

export class PowerCut extends Error {
  constructor() {
    super('power cut (test)');
    this.name = 'PowerCut';
  }
}

export interface NodeEspruinoFs {
  fs: EspruinoFs;
  files: EspruinoFileApi;
  /** The n-th mutating step from now fails (1 = the next one); 0 disables. */
  powerCutAfter(n: number): void;
  /** Mutating steps so far. */
  steps(): number;
  /** Makes every call fail as an unmounted card does. */
  unmount(): void;
  /** The free space getFree() reports, in sectors. */
  setFreeSectors(n: number): void;
  /** Makes writes accept nothing from now on (a full card). */
  fillCard(): void;
}

const MAX_PATH = 63;

export function createNodeEspruinoFs(root: string): NodeEspruinoFs {
  let stepCount = 0;
  let cutAt = 0;
  let mounted = true;
  let freeSectors = 1000;
  let full = false;

  function full_(p: string): string {
    if (p.length > MAX_PATH) throw new Error('File path too long');
    const rel = p.replace(/^\/+/, '');
    return path.join(root, rel);
  }

  function checkMounted(): void {
    if (!mounted) throw new Error('Unable to mount media : NOT_READY');
  }

  /** Counts a mutating step; returns true when this step is the one the power cut hits. */
  function step(): boolean {
    stepCount++;
    if (cutAt > 0 && stepCount >= cutAt) {
      cutAt = 0;
      return true;
    }
    return false;
  }

  function exists(p: string): boolean {
    return nodeFs.existsSync(p);
  }

  const fs: EspruinoFs = {
    readdirSync(p: string): string[] | undefined {
      checkMounted();
      const f = full_(p);
      if (!exists(f) || !nodeFs.statSync(f).isDirectory()) throw new Error('Unable to list files : NO_PATH');
      return ['.', '..'].concat(nodeFs.readdirSync(f));
    },
    statSync(p: string): { size: number; dir: boolean } | undefined {
      checkMounted();
      const f = full_(p);
      if (!exists(f)) return undefined;
      const st = nodeFs.statSync(f);
      return { size: st.isDirectory() ? 0 : st.size, dir: st.isDirectory() };
    },
    unlinkSync(p: string): boolean {
      checkMounted();
      const f = full_(p);
      if (!exists(f)) throw new Error('Unable to delete file : NO_FILE');
      if (step()) throw new PowerCut();
      nodeFs.rmSync(f, { recursive: false });
      return true;
    },
    mkdirSync(p: string): boolean {
      checkMounted();
      const f = full_(p);
      if (exists(f)) throw new Error('Unable to create the directory : EXIST');
      if (!exists(path.dirname(f))) throw new Error('Unable to create the directory : NO_PATH');
      if (step()) throw new PowerCut();
      nodeFs.mkdirSync(f);
      return true;
    },
    getFree(): { freeSectors: number; totalSectors: number; sectorSize: number } | undefined {
      checkMounted();
      return { freeSectors, totalSectors: 100000, sectorSize: 512 };
    },
  };

  const files: EspruinoFileApi = {
    openFile(p: string, mode: string): EspruinoFile {
      checkMounted();
      const f = full_(p);
      if (!exists(path.dirname(f))) throw new Error('Could not open file : NO_PATH');
      if (exists(f) && nodeFs.statSync(f).isDirectory()) throw new Error('Could not open file : DENIED');
      if (mode === 'r' && !exists(f)) throw new Error('Could not open file : NO_FILE');
      if (mode === 'w' || (mode === 'a' && !exists(f))) {
        if (step()) throw new PowerCut();
        if (mode === 'w' || !exists(f)) nodeFs.writeFileSync(f, Buffer.alloc(0));
      }
      let pos = 0;
      let closed = false;
      return {
        read(length: number): string | undefined {
          if (closed || mode !== 'r') return undefined;
          const data = nodeFs.readFileSync(f);
          if (pos >= data.length) return undefined;
          const chunk = data.subarray(pos, pos + length);
          pos += chunk.length;
          return chunk.toString('latin1');
        },
        write(data: Uint8Array | string): number {
          if (closed || mode === 'r') return 0;
          const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
          if (full) return 0;
          if (step()) {
            nodeFs.appendFileSync(f, bytes.subarray(0, bytes.length >> 1));
            throw new PowerCut();
          }
          nodeFs.appendFileSync(f, bytes);
          return bytes.length;
        },
        close(): void {
          closed = true;
        },
      };
    },
    toUint8Array(data: string): Uint8Array {
      return new Uint8Array(Buffer.from(data, 'latin1'));
    },
  };

  return {
    fs,
    files,
    powerCutAfter(n: number): void {
      cutAt = n > 0 ? stepCount + n : 0;
    },
    steps: () => stepCount,
    unmount(): void {
      mounted = false;
    },
    setFreeSectors(n: number): void {
      freeSectors = n;
    },
    fillCard(): void {
      full = true;
    },
  };
}
