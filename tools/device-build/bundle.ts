/**
 * The device image's module bundler: TypeScript -> ES5 CommonJS per module with the TypeScript
 * 5 compiler API (the only tool that lowers classes and async/await to ES5: esbuild cannot,
 * espruino-target.md §5.1), then a small CommonJS linker of its own.
 *
 * - The module graph is read from the emitted `require("./x")` calls, so imports used only as
 *   types (erased by the compiler) never pull a module in, and a firmware module nothing
 *   imports never enters the image.
 * - Each module becomes `__sg_d(<id>, function (exports, module) { ... })`, with its requires
 *   rewritten to `__sg_r(<id>)` (the registry is in prelude.ts). Numeric ids keep the image
 *   small; the manifest maps them back to paths.
 * - The compiler's helpers (__extends, __awaiter, __generator, ...) are identical in every
 *   module, so they are cut out of each and emitted once, for the loader to run first.
 * - Only relative imports of TypeScript files are linked; a package import is a build error,
 *   as tools/lint-device.ts already reports for device code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

export interface BundledModule {
  readonly id: number;
  /** Repository-relative path of the TypeScript source. */
  readonly path: string;
  /** `__sg_d(id, function (exports, module) { ...ES5... });` (before the post-pass). */
  readonly code: string;
}

export interface Bundle {
  readonly modules: BundledModule[];
  /** The compiler helpers the modules use, each once, as ES5 statements. */
  readonly helpers: string;
  /** Module id by repository-relative path. */
  readonly ids: { [path: string]: number };
}

export const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES5,
  module: ts.ModuleKind.CommonJS,
  // Per-iteration bindings for closures in loops, and for-of over arrays and strings.
  downlevelIteration: true,
  importHelpers: false,
  noEmitHelpers: false,
  esModuleInterop: false,
  removeComments: true,
  alwaysStrict: true,
  isolatedModules: true,
  lib: ['lib.es2020.d.ts'],
};

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

function resolveImport(fromAbs: string, spec: string, root: string): string {
  if (!spec.startsWith('.')) {
    throw new BuildError(toPosix(path.relative(root, fromAbs)) + ': the device image cannot include the package "' + spec + '"');
  }
  const base = path.resolve(path.dirname(fromAbs), spec);
  const candidates = [base + '.ts', path.join(base, 'index.ts')];
  for (const c of candidates) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  throw new BuildError(toPosix(path.relative(root, fromAbs)) + ': cannot resolve import "' + spec + '"');
}

/** `var __x = (this && this.__x) || ...;`: a compiler helper, by name; null for anything else. */
function helperName(s: ts.Statement): string | null {
  if (!ts.isVariableStatement(s) || s.declarationList.declarations.length !== 1) return null;
  const d = s.declarationList.declarations[0];
  if (!ts.isIdentifier(d.name) || !d.name.text.startsWith('__') || d.initializer === undefined) return null;
  const init = d.initializer;
  if (!ts.isBinaryExpression(init) || init.operatorToken.kind !== ts.SyntaxKind.BarBarToken) return null;
  const left = ts.isParenthesizedExpression(init.left) ? init.left.expression : init.left;
  if (!ts.isBinaryExpression(left) || left.left.kind !== ts.SyntaxKind.ThisKeyword) return null;
  return d.name.text;
}

interface Emitted {
  code: string;
  requires: Array<{ start: number; end: number; spec: string }>;
}

/** Transpiles one module; cuts its helpers into `helpers` and lists its require calls. */
function emitModule(abs: string, root: string, helpers: { [name: string]: string }): Emitted {
  const source = fs.readFileSync(abs, 'utf8');
  const out = ts.transpileModule(source, { fileName: abs, compilerOptions: COMPILER_OPTIONS, reportDiagnostics: true });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new BuildError(toPosix(path.relative(root, abs)) + ': ' + ts.flattenDiagnosticMessageText(errors[0].messageText, ' '));
  }
  const js = out.outputText;
  const sf = ts.createSourceFile(abs + '.js', js, ts.ScriptTarget.ES5, true, ts.ScriptKind.JS);
  const cuts: Array<{ start: number; end: number }> = [];
  for (const s of sf.statements) {
    const name = helperName(s);
    if (name === null) continue;
    if (helpers[name] === undefined) helpers[name] = js.slice(s.getStart(sf), s.end);
    cuts.push({ start: s.getStart(sf), end: s.end });
  }
  const requires: Array<{ start: number; end: number; spec: string }> = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'require' &&
      n.arguments.length === 1 && ts.isStringLiteral(n.arguments[0])) {
      requires.push({ start: n.getStart(sf), end: n.end, spec: (n.arguments[0] as ts.StringLiteral).text });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  // Apply cuts (helpers) and leave require positions for the linker: both are sorted edits.
  const edits: Array<{ start: number; end: number; text: string | null; spec?: string }> = [];
  for (const c of cuts) edits.push({ start: c.start, end: c.end, text: '' });
  for (const r of requires) edits.push({ start: r.start, end: r.end, text: null, spec: r.spec });
  edits.sort((a, b) => a.start - b.start);
  let code = '';
  let pos = 0;
  const placed: Array<{ start: number; end: number; spec: string }> = [];
  for (const e of edits) {
    if (e.start < pos) continue; // a require inside a cut helper (none exist; be safe)
    code += js.slice(pos, e.start);
    if (e.text === null) {
      placed.push({ start: code.length, end: code.length + (e.end - e.start), spec: e.spec as string });
      code += js.slice(e.start, e.end);
    } else {
      code += e.text;
    }
    pos = e.end;
  }
  code += js.slice(pos);
  return { code, requires: placed };
}

/** Bundles the modules reachable from `entries` (absolute paths of .ts files). */
export function bundleModules(root: string, entries: string[]): Bundle {
  const ids: { [abs: string]: number } = {};
  const order: string[] = [];
  const enqueue = (abs: string): number => {
    if (ids[abs] === undefined) {
      ids[abs] = order.length;
      order.push(abs);
    }
    return ids[abs];
  };
  for (const e of entries) enqueue(e);
  const helpers: { [name: string]: string } = {};
  const modules: BundledModule[] = [];
  for (let i = 0; i < order.length; i++) {
    const abs = order[i];
    const emitted = emitModule(abs, root, helpers);
    let code = '';
    let pos = 0;
    for (const r of emitted.requires) {
      const target = resolveImport(abs, r.spec, root);
      code += emitted.code.slice(pos, r.start) + '__sg_r(' + enqueue(target) + ')';
      pos = r.end;
    }
    code += emitted.code.slice(pos);
    modules.push({ id: i, path: toPosix(path.relative(root, abs)), code: '__sg_d(' + i + ', function (exports, module) {\n' + code + '\n});\n' });
  }
  const byPath: { [p: string]: number } = {};
  for (const m of modules) byPath[m.path] = m.id;
  const helperText = Object.keys(helpers).sort().map((n) => helpers[n]).join('\n');
  return { modules, helpers: helperText, ids: byPath };
}
