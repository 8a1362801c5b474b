import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { lintDevice, lintProgram, type Finding } from '../../tools/lint-device';

/** Lints snippets placed at the given repo-relative paths inside a scratch tree. */
function lintSnippets(files: { [rel: string]: string }): Finding[] {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-lint-'));
  try {
    const names: string[] = [];
    for (const rel of Object.keys(files)) {
      const full = path.join(root, rel);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, files[rel]);
      names.push(full);
    }
    const program = ts.createProgram(names, {
      target: ts.ScriptTarget.ES2020,
      lib: ['lib.es2020.d.ts'],
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      noEmit: true,
      types: [],
    });
    return lintProgram(program, root);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function rulesOf(findings: Finding[]): string[] {
  return findings.map((f) => f.rule).sort();
}

describe('device lint', () => {
  it('finds nothing in the device sources of this repository', () => {
    const findings = lintDevice();
    assert.deepEqual(findings.map((f) => f.file + ':' + f.line + ' ' + f.message), []);
  });

  it('reports each construct Espruino cannot run', () => {
    const cases: { [rule: string]: string } = {
      bigint: 'export const a = 10n;',
      exponent: 'export const a = (x: number) => x ** 2;',
      label: 'export function f() { outer: for (;;) { break outer; } }',
      'private-field': 'export class A { #x = 1; get() { return this.#x; } }',
      'array-hole': 'export const a = [1, , 3];',
      generator: 'export function* g() { yield 1; }',
      regex: 'export const r = /a(?=b)/;',
      global: 'export const m = new Map<string, number>();',
      member: 'export const x = Math.imul(3, 4);',
      'builtin-prototype': 'export const s = Array.prototype.slice;',
      'typed-slice': 'export const c = new Uint8Array(4).slice(1);',
      'promise-finally': 'export const p = Promise.resolve(1).finally(() => 0);',
    };
    for (const rule of Object.keys(cases)) {
      const findings = lintSnippets({ 'firmware/x.ts': cases[rule] });
      assert.ok(findings.some((f) => f.rule === rule), rule + ' not reported; got ' + JSON.stringify(findings));
    }
  });

  it('allows the same names where they are not globals, and string slice', () => {
    const findings = lintSnippets({
      'firmware/ok.ts': [
        'interface Holder { Map: number; Set(): void }',
        'export function f(h: Holder, s: string): string { const Symbol = 1; h.Set(); return s.slice(Symbol + h.Map); }',
        'export const n = [1, 2, 3].slice(1);',
      ].join('\n'),
    });
    assert.deepEqual(rulesOf(findings), []);
  });

  it('keeps Node, desktop backends and non-allow-listed packages out of device code', () => {
    const findings = lintSnippets({
      'firmware/a.ts': "import * as fs from 'node:fs'; export const x = fs;",
      'firmware/b.ts': "import { y } from '../hal/node/thing'; export const x = y;",
      'firmware/c.ts': "import { y } from '../hal/portable/crypto'; export const x = y;",
      'firmware/d.ts': "import { ed25519 } from '@noble/curves/ed25519.js'; export const x = ed25519;",
      'hal/iface.ts': "import { z } from '../firmware/z'; export const x = z;",
      'hal/node/thing.ts': 'export const y = 1;',
      'hal/portable/crypto.ts': 'export const y = 1;',
      'firmware/z.ts': 'export const z = 1;',
    });
    const imports = findings.filter((f) => f.rule === 'import').map((f) => f.file).sort();
    assert.deepEqual(imports, ['firmware/a.ts', 'firmware/b.ts', 'firmware/c.ts', 'firmware/d.ts', 'hal/iface.ts']);
  });

  it('lets the portable backend use noble but not Node', () => {
    const findings = lintSnippets({
      'hal/portable/crypto.ts': "import { ed25519 } from '@noble/curves/ed25519.js'; export const x = ed25519;",
      'hal/portable/other.ts': "import * as c from 'node:crypto'; export const x = c;",
    });
    assert.deepEqual(findings.map((f) => f.file), ['hal/portable/other.ts']);
  });

  it('does not lint desktop-only code', () => {
    const findings = lintSnippets({
      'hal/node/x.ts': "import * as fs from 'node:fs'; export const m = new Map(); export const x = fs;",
      'tools/y.ts': 'export const b = 10n;',
      'boards/simulator.ts': "import * as fs from 'node:fs'; export const x = fs;",
    });
    assert.deepEqual(findings, []);
  });
});
