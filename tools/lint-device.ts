/**
 * Device lint: rejects, in the code that must run on Espruino, every construct the
 * interpreter lacks or gets wrong (shared/spec/espruino-target.md §1 and §5), and every
 * import that would pull Node or a BigInt library into the device image.
 *
 * It runs on the TypeScript sources with the type checker, so it can tell a typed-array
 * `.slice()` (an Array on Espruino) from a string's. The device build (a later issue)
 * lints its emitted ES5 too; this catches problems where they are written.
 *
 * Usage: npm run lint:device   (exit 1 and one line per finding when anything is wrong)
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
}

/** Where a file sits decides what it may import. */
type Area = 'firmware' | 'hal-interface' | 'hal-portable' | 'hal-espruino' | 'board';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** npm packages device code may import. Pure, BigInt-free libraries only. */
// qrcode-generator: plain ES5, lint-clean when linted as device code (checked with lintProgram over
// its qrcode.mjs). It is slow on Espruino (a version-15 code is ~1M loop iterations), so boards
// with a native QR encoder pass that to the UI instead (AppUiOptions.encodeQr).
const DEVICE_PACKAGES: string[] = ['qrcode-generator'];
/** The portable crypto backend is pure TypeScript but uses noble (BigInt): never on the device. */
const PORTABLE_PACKAGES = ['@noble/curves', '@noble/ciphers', '@noble/hashes'];

/** Shared with tools/device-build/es5-lint.ts, which applies the same rules to the emitted JavaScript. */
export const BANNED_GLOBALS: { [name: string]: string } = {
  BigInt: 'no BigInt on Espruino',
  Map: 'no Map on Espruino: use a plain object keyed by string',
  Set: 'no Set on Espruino: use a plain object or an array',
  WeakMap: 'no WeakMap on Espruino',
  WeakSet: 'no WeakSet on Espruino',
  Symbol: 'no Symbol on Espruino',
  Proxy: 'no Proxy on Espruino',
  Reflect: 'no Reflect on Espruino',
  TextEncoder: 'no TextEncoder on Espruino: use firmware/encoding/utf8',
  TextDecoder: 'no TextDecoder on Espruino: use firmware/encoding/utf8',
  Buffer: 'Buffer is Node-only: use Uint8Array',
  process: 'process is Node-only',
  require: 'require is not available to device code: use an import',
  globalThis: 'no globalThis on Espruino',
};

export const BANNED_MEMBERS: { [name: string]: string } = {
  'Math.imul': 'Math.imul is missing on Espruino',
  'Math.clz32': 'Math.clz32 is missing on Espruino',
  'Math.trunc': 'Math.trunc is missing on Espruino',
  'Math.pow': 'Math.pow is inexact on Espruino: write the constant',
  'Array.from': 'Array.from is missing on Espruino',
  'Number.MAX_SAFE_INTEGER': 'Number.MAX_SAFE_INTEGER is missing on Espruino: write 9007199254740991',
  'Number.MIN_SAFE_INTEGER': 'Number.MIN_SAFE_INTEGER is missing on Espruino: write -9007199254740991',
  'Number.EPSILON': 'Number.EPSILON is missing on Espruino',
  'Promise.race': 'Promise.race is missing on Espruino',
  'Promise.allSettled': 'Promise.allSettled is missing on Espruino',
  'Promise.any': 'Promise.any is missing on Espruino',
};

const BUILTIN_PROTOTYPES = ['Array', 'String', 'Function', 'Object', 'Uint8Array', 'Number'];

const TYPED_ARRAYS = [
  'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array', 'Uint8ClampedArray',
];

export function areaOf(relPath: string): Area | null {
  const p = relPath.split(path.sep).join('/');
  if (p.startsWith('firmware/')) return 'firmware';
  if (/^hal\/[^/]+\.ts$/.test(p)) return 'hal-interface';
  if (p.startsWith('hal/portable/')) return 'hal-portable';
  if (p.startsWith('hal/espruino/')) return 'hal-espruino';
  if (/^boards\/[^/]+\.ts$/.test(p) && p !== 'boards/simulator.ts') return 'board';
  return null;
}

/** May a file of `area` at `fromRel` import `spec`? Returns a reason when not. */
function importProblem(area: Area, fromRel: string, spec: string): string | null {
  if (spec.startsWith('node:')) return 'Node modules cannot run on the device';
  if (spec.startsWith('.')) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec));
    const targetArea = areaOf(target + '.ts') ?? areaOf(target + '/index.ts');
    if (target.startsWith('hal/node') || target.startsWith('tools/') || target.startsWith('test/')) {
      return 'device code may not import ' + target;
    }
    if (target.startsWith('hal/portable') && area !== 'hal-portable') {
      return 'hal/portable is a desktop backend (noble needs BigInt); code against hal/crypto instead';
    }
    if (area === 'hal-interface' && targetArea !== 'hal-interface') {
      return 'HAL interfaces depend on nothing but each other';
    }
    return null;
  }
  const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  if (DEVICE_PACKAGES.indexOf(pkg) >= 0) return null;
  if (area === 'hal-portable' && PORTABLE_PACKAGES.indexOf(pkg) >= 0) return null;
  return 'package "' + pkg + '" is not on the device allow-list (tools/lint-device.ts)';
}

/** True when `node` is an identifier used as a value that refers to a global (not a local, property or type). */
function isGlobalValueReference(checker: ts.TypeChecker, node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isPropertyAssignment(parent) && parent.name === node) return false;
  if (ts.isShorthandPropertyAssignment(parent)) return false;
  if (ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertySignature(parent)) {
    if (parent.name === node) return false;
  }
  if (ts.isQualifiedName(parent) || ts.isTypeReferenceNode(parent) || ts.isExpressionWithTypeArguments(parent)) {
    // Type positions are erased; `implements Foo` is fine.
    if (!ts.isExpressionWithTypeArguments(parent) || !ts.isHeritageClause(parent.parent) ||
      parent.parent.token === ts.SyntaxKind.ImplementsKeyword) return false;
  }
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isImportClause(parent)) return false;
  if (ts.isTypeQueryNode(parent)) return false;
  const symbol = checker.getSymbolAtLocation(node);
  if (!symbol) return true; // undeclared: a global (or an error tsc reports anyway)
  const decls = symbol.getDeclarations() ?? [];
  // A global is declared only in lib / @types files, never in the project.
  return decls.length > 0 && decls.every((d) => d.getSourceFile().isDeclarationFile);
}

function isTypedArrayType(checker: ts.TypeChecker, type: ts.Type): boolean {
  const t = checker.getApparentType(type);
  const sym = t.getSymbol();
  if (sym && TYPED_ARRAYS.indexOf(sym.getName()) >= 0) return true;
  if (t.isUnion()) return t.types.some((u) => isTypedArrayType(checker, u));
  return false;
}

export function lintProgram(program: ts.Program, root: string): Finding[] {
  const checker = program.getTypeChecker();
  const findings: Finding[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile) continue;
    const rel = path.relative(root, sf.fileName).split(path.sep).join('/');
    const area = areaOf(rel);
    if (!area) continue;
    const report = (node: ts.Node, rule: string, message: string): void => {
      const pos = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      findings.push({ file: rel, line: pos.line + 1, column: pos.character + 1, rule, message });
    };
    const visit = (node: ts.Node): void => {
      checkNode(node, area, rel, checker, report);
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return findings;
}

function checkNode(
  node: ts.Node,
  area: Area,
  rel: string,
  checker: ts.TypeChecker,
  report: (node: ts.Node, rule: string, message: string) => void,
): void {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier &&
    ts.isStringLiteral(node.moduleSpecifier)) {
    const problem = importProblem(area, rel, node.moduleSpecifier.text);
    if (problem) report(node, 'import', problem);
    return;
  }
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
    report(node, 'import', 'dynamic import() is not available on the device');
  }
  switch (node.kind) {
    case ts.SyntaxKind.BigIntLiteral:
      report(node, 'bigint', 'no BigInt literals on Espruino');
      return;
    case ts.SyntaxKind.AsteriskAsteriskToken:
    case ts.SyntaxKind.AsteriskAsteriskEqualsToken:
      report(node, 'exponent', '** lowers to Math.pow, which is inexact on Espruino: write the constant');
      return;
    case ts.SyntaxKind.LabeledStatement:
      report(node, 'label', 'labels are not supported by Espruino');
      return;
    case ts.SyntaxKind.PrivateIdentifier:
      report(node, 'private-field', 'no #private fields on Espruino: use a TypeScript private');
      return;
    case ts.SyntaxKind.OmittedExpression:
      report(node, 'array-hole', 'array holes break Espruino parsing in skipped switch cases');
      return;
    case ts.SyntaxKind.YieldExpression:
      report(node, 'generator', 'no generators on Espruino');
      return;
    case ts.SyntaxKind.RegularExpressionLiteral: {
      const text = node.getText();
      if (/\(\?<?[=!]/.test(text)) report(node, 'regex', 'no lookahead/lookbehind in Espruino regular expressions');
      else if (/\{\d+(,\d*)?\}/.test(text)) report(node, 'regex', 'no {n} quantifiers in Espruino regular expressions');
      else if (/\(\?</.test(text)) report(node, 'regex', 'no named groups in Espruino regular expressions');
      return;
    }
    default:
      break;
  }
  if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) &&
    node.asteriskToken) {
    report(node, 'generator', 'no generators on Espruino');
  }
  if (ts.isIdentifier(node) && Object.prototype.hasOwnProperty.call(BANNED_GLOBALS, node.text) &&
    isGlobalValueReference(checker, node)) {
    report(node, 'global', BANNED_GLOBALS[node.text]);
  }
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    const key = node.expression.text + '.' + node.name.text;
    if (Object.prototype.hasOwnProperty.call(BANNED_MEMBERS, key)) report(node, 'member', BANNED_MEMBERS[key]);
    if (node.name.text === 'prototype' && BUILTIN_PROTOTYPES.indexOf(node.expression.text) >= 0 &&
      ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node) {
      report(node, 'builtin-prototype', 'methods read off built-in prototypes are undefined on Espruino: call them on an instance');
    }
  }
  if (ts.isPropertyAccessExpression(node) && ts.isCallExpression(node.parent) && node.parent.expression === node) {
    const name = node.name.text;
    if (name === 'slice' && isTypedArrayType(checker, checker.getTypeAtLocation(node.expression))) {
      report(node, 'typed-slice', 'Uint8Array.slice returns a plain Array on Espruino: use copyBytes() or subarray()');
    }
    if (name === 'finally' && isPromiseLike(checker, checker.getTypeAtLocation(node.expression))) {
      report(node, 'promise-finally', 'Promise.prototype.finally is missing on Espruino');
    }
  }
}

function isPromiseLike(checker: ts.TypeChecker, type: ts.Type): boolean {
  const sym = checker.getApparentType(type).getSymbol();
  return !!sym && sym.getName() === 'Promise';
}

/** Lints the device sources named by tsconfig.device.json under `root`. */
export function lintDevice(root: string = REPO): Finding[] {
  const configPath = path.join(root, 'tsconfig.device.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  return lintProgram(program, root);
}

function main(): void {
  const findings = lintDevice();
  for (const f of findings) console.log(f.file + ':' + f.line + ':' + f.column + ' [' + f.rule + '] ' + f.message);
  if (findings.length > 0) {
    console.log(findings.length + ' device lint finding(s)');
    process.exitCode = 1;
  } else {
    console.log('device lint: clean');
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
