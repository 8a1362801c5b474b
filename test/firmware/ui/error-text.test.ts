import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { RatchetError } from '../../../firmware/agent/errors';
import { StoreError } from '../../../firmware/store/errors';
import { errorText, errorTextFor } from '../../../firmware/ui/error-text';
import { SimpleGoError } from '../../../hal/errors';
import { NetError } from '../../../hal/net';
import { WifiError } from '../../../hal/wifi';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(path.join(REPO, 'firmware'));
  for (const e of fs.readdirSync(path.join(REPO, 'hal'))) if (e.endsWith('.ts') && !e.endsWith('.d.ts')) out.push(path.join(REPO, 'hal', e));
  return out;
}

interface ErrorClass {
  readonly file: string;
  readonly className: string;
  name: string;
  codes: string[];
}

/** String literals of a type: 'a' | 'b' -> ['a', 'b']; anything else -> null. */
function literals(type: ts.Type): string[] | null {
  const parts = type.isUnion() ? type.types : [type];
  const out: string[] = [];
  for (const p of parts) {
    if (!p.isStringLiteral()) return null;
    out.push(p.value);
  }
  return out;
}

/**
 * Every class in firmware/ and hal/*.ts that extends SimpleGoError (directly or not), with the
 * `name` its constructor sets and every `code` it can carry, read from the type of its `code`
 * member or constructor parameter, or from literal codes passed to super().
 */
function errorClasses(): ErrorClass[] {
  const files = sourceFiles();
  const program = ts.createProgram(files, { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const byDecl = new Map<ts.ClassDeclaration, ErrorClass>();
  const baseOf = new Map<ts.ClassDeclaration, ts.ClassDeclaration | null>();

  const baseDecl = (c: ts.ClassDeclaration): ts.ClassDeclaration | null => {
    const ext = c.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
    if (!ext) return null;
    let sym = checker.getSymbolAtLocation(ext.types[0].expression);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    const d = sym?.declarations?.find(ts.isClassDeclaration);
    return d ?? null;
  };
  const isSimpleGoError = (c: ts.ClassDeclaration | null): boolean => {
    for (let d = c; d !== null; d = baseDecl(d)) if (d.name?.text === 'SimpleGoError' && d.getSourceFile().fileName.endsWith('hal/errors.ts')) return true;
    return false;
  };

  for (const sf of program.getSourceFiles()) {
    if (!files.includes(path.resolve(sf.fileName))) continue;
    ts.forEachChild(sf, function visit(node) {
      if (ts.isClassDeclaration(node) && node.name && node.name.text !== 'SimpleGoError' && isSimpleGoError(node)) {
        const info: ErrorClass = { file: path.relative(REPO, sf.fileName), className: node.name.text, name: '', codes: [] };
        const ctor = node.members.find(ts.isConstructorDeclaration);
        const codeMember = node.members.find((m) => ts.isPropertyDeclaration(m) && m.name.getText() === 'code');
        if (codeMember) info.codes = literals(checker.getTypeAtLocation(codeMember)) ?? [];
        if (ctor) {
          const param = ctor.parameters.find((p) => p.name.getText() === 'code');
          if (info.codes.length === 0 && param) info.codes = literals(checker.getTypeAtLocation(param)) ?? [];
          ctor.body?.forEachChild(function find(n) {
            if (ts.isBinaryExpression(n) && n.left.getText() === 'this.name' && ts.isStringLiteral(n.right)) info.name = n.right.text;
            if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword && n.arguments.length > 0 && ts.isStringLiteral(n.arguments[0])) {
              if (!info.codes.includes(n.arguments[0].text)) info.codes.push(n.arguments[0].text);
            }
            n.forEachChild(find);
          });
        }
        byDecl.set(node, info);
        baseOf.set(node, baseDecl(node));
      }
      ts.forEachChild(node, visit);
    });
  }
  // A subclass without its own name or codes has its parent's.
  for (const [decl, info] of byDecl) {
    for (let b = baseOf.get(decl) ?? null; b !== null && (info.name === '' || info.codes.length === 0); b = baseOf.get(b) ?? null) {
      const parent = byDecl.get(b);
      if (!parent) break;
      if (info.name === '') info.name = parent.name;
      if (info.codes.length === 0) info.codes = parent.codes.slice();
    }
  }
  return Array.from(byDecl.values());
}

describe('firmware/ui/error-text', () => {
  const classes = errorClasses();

  it('finds the error classes of every layer', () => {
    const names = classes.map((c) => c.name).sort();
    for (const n of ['AddressError', 'AgentError', 'CryptoError', 'LinkError', 'NetError', 'QrError', 'RatchetError', 'SmpClientError', 'SmpCommandError', 'SmpTransportError', 'StorageError', 'WifiError']) {
      assert.ok(names.includes(n), n + ' not found among ' + names.join(', '));
    }
    for (const c of classes) {
      assert.ok(c.name.length > 0, c.className + ' (' + c.file + ') sets no name');
      assert.ok(c.codes.length > 0, c.className + ' (' + c.file + '): its codes could not be read (give `code` a union of string literals)');
    }
  });

  it('has a short sentence for every code of every error class the firmware defines', () => {
    const missing: string[] = [];
    let pairs = 0;
    for (const c of classes) {
      for (const code of c.codes) {
        pairs++;
        const text = errorTextFor(c.name, code);
        if (text === null) {
          missing.push(c.name + ' ' + code + ' (' + c.file + ')');
          continue;
        }
        assert.ok(text.length >= 10 && text.length <= 140, c.name + ' ' + code + ': "' + text + '" is ' + text.length + ' characters');
        assert.match(text, /^[A-Z]/, c.name + ' ' + code);
        assert.match(text, /[.?/]$/, c.name + ' ' + code);
        assert.ok(!/undefined|null|\$\{/.test(text), c.name + ' ' + code);
      }
    }
    assert.deepEqual(missing, [], 'no sentence for these; add them to firmware/ui/error-text.ts');
    assert.ok(pairs > 150, 'only ' + pairs + ' codes found');
  });

  it('knows no codes that do not exist (no catch-all hides a missing sentence)', () => {
    for (const c of classes) assert.equal(errorTextFor(c.name, 'no-such-code'), null, c.name);
    assert.equal(errorTextFor('NoSuchError', 'io'), null);
  });

  it('tells codes apart by class: the same code means different things in different layers', () => {
    assert.notEqual(errorText(new WifiError('timeout', 'x')), errorText(new NetError('timeout', 'x')));
    assert.match(errorText(new WifiError('auth', 'x')), /password/);
  });

  it('adds the attempts left and the wait to PIN errors', () => {
    assert.equal(errorText(new StoreError('wrong-pin', 'x', '', 0, 3)), 'Wrong PIN. 3 attempts left before everything is erased.');
    assert.equal(errorText(new StoreError('wrong-pin', 'x', '', 0, 1)), 'Wrong PIN. 1 attempt left before everything is erased.');
    assert.equal(errorText(new StoreError('wrong-pin', 'x', '', 0, -1)), 'Wrong PIN.');
    assert.equal(errorText(new StoreError('locked-out', 'x', '', 90000, 2)), 'Too many wrong PINs. Try again in 2 min.');
  });

  it('names both routers when private routing fails', () => {
    const e = new SimpleGoError('destination-refused', 'x') as SimpleGoError & { forwardingHost: string; destinationHost: string };
    e.name = 'ProxyError';
    e.forwardingHost = 'smp.simplego.dev';
    e.destinationHost = 'smp8.simplex.im';
    assert.equal(errorText(e), 'Private routing failed: the destination router refused the message. Forwarding: smp.simplego.dev. Destination: smp8.simplex.im.');
  });

  it('never shows the message of an error it does not know, which may carry anything', () => {
    const secret = 'key=0123456789abcdef';
    assert.ok(!errorText(new Error(secret)).includes(secret));
    assert.ok(!errorText(secret).includes(secret));
    assert.ok(!errorText(new SimpleGoError('odd', secret)).includes(secret));
    assert.match(errorText(new SimpleGoError('odd', secret)), /SimpleGoError odd/);
    assert.ok(!errorText(new RatchetError('bad-state', secret)).includes(secret));
  });
});
