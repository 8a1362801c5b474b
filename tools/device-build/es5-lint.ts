/**
 * The lint every emitted device file must pass: it parses with acorn as ECMAScript 5 (so any
 * ES2015+ syntax the pipeline failed to lower is a build error, not a device crash), then
 * checks the Espruino quirks of shared/spec/espruino-target.md §1 and §5.3 that ES5 itself
 * allows. It mirrors tools/lint-device.ts, which checks the TypeScript sources with the type
 * checker; this one sees what actually ships, including compiler helpers and the loader.
 *
 * Rules:
 * - parse: not valid ES5 (let/const, arrows, classes, generators, `**`, BigInt literals,
 *   templates, destructuring, spread, default parameters, for-of, `?.`, `??`, ...);
 * - global: BigInt, Map, Set, WeakMap, WeakSet, Symbol, Proxy, Reflect, TextEncoder,
 *   TextDecoder, Buffer, globalThis used (a use guarded by `typeof X` in the same expression or
 *   `if`, as compiler helpers do, is allowed; so are names the prelude polyfills);
 * - member: Math.imul/clz32/trunc, Array.from, Number.MAX_SAFE_INTEGER/MIN_SAFE_INTEGER/EPSILON
 *   (unless polyfilled), Math.pow (never: inexact on Espruino), Promise.race/allSettled/any;
 * - promise-finally: a `.finally(...)` call;
 * - builtin-prototype: a method read off Array/Object/String/Function/Number/Boolean.prototype;
 * - array-hole: `[a, , b]`;
 * - label: labelled statements;
 * - hoisting: a function declaration after other statements or inside a block, a var name not
 *   declared at the top of its scope, or a function declared after code that may call it;
 * - regex: lookaround, `{n}` quantifiers or named groups;
 * - require: `require` of anything but a string literal naming an allowed built-in module.
 */
import * as acorn from 'acorn';
import { BANNED_GLOBALS as SOURCE_BANNED_GLOBALS, BANNED_MEMBERS as SOURCE_BANNED_MEMBERS } from '../lint-device';

export interface EmittedFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
}

export interface LintOptions {
  /** Globals and members the prelude defines (e.g. "Math.imul"): using them is fine. */
  polyfilled?: string[];
  /** Module names `require("...")` may load. */
  allowedModules?: string[];
}

/**
 * The source lint's lists (tools/lint-device.ts), minus `process` and `require`: the image's
 * generated loader hands those to the bundle on purpose, as one object, so the emitted code may
 * name them.
 */
const BANNED_GLOBALS: { [name: string]: string } = {};
for (const name of Object.keys(SOURCE_BANNED_GLOBALS)) {
  if (name !== 'process' && name !== 'require') BANNED_GLOBALS[name] = SOURCE_BANNED_GLOBALS[name];
}
const BANNED_MEMBERS: { [name: string]: string } = SOURCE_BANNED_MEMBERS;

/** Math.pow can never be polyfilled into exactness; everything else above can. */
const NEVER_POLYFILLED = ['Math.pow'];

const BUILTIN_PROTOTYPES = ['Array', 'Object', 'String', 'Function', 'Number', 'Boolean'];

const DEFAULT_MODULES = ['Storage', 'fs', 'Wifi', 'simplego', 'lcd_spi_unbuf'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

const SKIP_KEYS: { [k: string]: true } = { type: true, start: true, end: true, loc: true, range: true, raw: true, regex: true };

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS[key]) continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === 'string') out.push(c);
    } else if (v && typeof v.type === 'string') {
      out.push(v);
    }
  }
  return out;
}

function isFunction(node: Node): boolean {
  return node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression';
}

/** Names declared with var in a function body or program, not inside nested functions. */
function scopeVars(body: Node[]): Array<{ name: string; node: Node }> {
  const out: Array<{ name: string; node: Node }> = [];
  const visit = (n: Node): void => {
    if (isFunction(n)) return;
    if (n.type === 'VariableDeclaration') for (const d of n.declarations) out.push({ name: d.id.name, node: d });
    for (const c of children(n)) visit(c);
  };
  for (const s of body) visit(s);
  return out;
}

function typeofNames(node: Node, out: { [n: string]: true }): void {
  if (!node || typeof node.type !== 'string') return;
  if (node.type === 'UnaryExpression' && node.operator === 'typeof' && node.argument.type === 'Identifier') out[node.argument.name] = true;
  for (const c of children(node)) typeofNames(c, out);
}

function memberName(node: Node): string | null {
  if (node.type !== 'MemberExpression' || node.computed) return null;
  if (node.object.type !== 'Identifier' || node.property.type !== 'Identifier') return null;
  return node.object.name + '.' + node.property.name;
}

export function lintEmitted(code: string, file: string, options: LintOptions = {}): EmittedFinding[] {
  const findings: EmittedFinding[] = [];
  const polyfilled: { [n: string]: true } = {};
  for (const p of options.polyfilled ?? []) polyfilled[p] = true;
  const modules = options.allowedModules ?? DEFAULT_MODULES;

  let ast: Node;
  try {
    ast = acorn.parse(code, { ecmaVersion: 5, sourceType: 'script', locations: true, allowReserved: true });
  } catch (e) {
    const err = e as { message: string; loc?: { line: number; column: number } };
    findings.push({ file, line: err.loc?.line ?? 0, column: (err.loc?.column ?? 0) + 1, rule: 'parse', message: 'not ES5: ' + err.message });
    return findings;
  }

  const report = (node: Node, rule: string, message: string): void => {
    findings.push({ file, line: node.loc.start.line, column: node.loc.start.column + 1, rule, message });
  };

  // Every name declared anywhere in the file (var, function, parameter, catch): such a name is
  // a local, not the banned global of the same name.
  const declared: { [n: string]: true } = {};
  const collect = (n: Node): void => {
    if (n.type === 'VariableDeclarator' && n.id.type === 'Identifier') declared[n.id.name] = true;
    if (isFunction(n)) {
      if (n.id) declared[n.id.name] = true;
      for (const p of n.params) if (p.type === 'Identifier') declared[p.name] = true;
    }
    if (n.type === 'CatchClause' && n.param && n.param.type === 'Identifier') declared[n.param.name] = true;
    for (const c of children(n)) collect(c);
  };
  collect(ast);

  checkScope(ast.body, report);

  const visit = (node: Node, parent: Node, guarded: { [n: string]: true }): void => {
    switch (node.type) {
      case 'Identifier': {
        const name = node.name;
        const isProperty = parent && parent.type === 'MemberExpression' && parent.property === node && !parent.computed;
        const isKey = parent && parent.type === 'Property' && parent.key === node;
        const isTypeof = parent && parent.type === 'UnaryExpression' && parent.operator === 'typeof';
        if (!isProperty && !isKey && !isTypeof && Object.prototype.hasOwnProperty.call(BANNED_GLOBALS, name) &&
          !declared[name] && !guarded[name] && !polyfilled[name]) {
          report(node, 'global', BANNED_GLOBALS[name]);
        }
        break;
      }
      case 'MemberExpression': {
        const m = memberName(node);
        const assigned = parent && parent.type === 'AssignmentExpression' && parent.left === node;
        if (m !== null && Object.prototype.hasOwnProperty.call(BANNED_MEMBERS, m) && !assigned &&
          (!polyfilled[m] || NEVER_POLYFILLED.indexOf(m) >= 0)) {
          report(node, 'member', BANNED_MEMBERS[m]);
        }
        if (!node.computed && node.object.type === 'MemberExpression' && !node.object.computed &&
          node.object.property.type === 'Identifier' && node.object.property.name === 'prototype' &&
          node.object.object.type === 'Identifier' && BUILTIN_PROTOTYPES.indexOf(node.object.object.name) >= 0 && !assigned) {
          report(node, 'builtin-prototype', 'methods read off ' + node.object.object.name + '.prototype are undefined on Espruino: read them off an instance');
        }
        break;
      }
      case 'CallExpression': {
        const callee = node.callee;
        if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier' && callee.property.name === 'finally') {
          report(node, 'promise-finally', 'Promise.prototype.finally is missing on Espruino');
        }
        if (callee.type === 'Identifier' && callee.name === 'require' && !declared.require) {
          const arg = node.arguments[0];
          if (node.arguments.length !== 1 || arg.type !== 'Literal' || typeof arg.value !== 'string' || modules.indexOf(arg.value) < 0) {
            report(node, 'require', 'require() may only load the built-in modules ' + modules.join(', '));
          }
        }
        break;
      }
      case 'ArrayExpression':
        for (const el of node.elements) {
          if (el === null) {
            report(node, 'array-hole', 'array holes break Espruino parsing in skipped switch cases');
            break;
          }
        }
        break;
      case 'LabeledStatement':
        report(node, 'label', 'labels are not supported by Espruino');
        break;
      case 'Literal':
        if (node.regex) {
          const src = '/' + node.regex.pattern + '/';
          if (/\(\?<?[=!]/.test(src)) report(node, 'regex', 'no lookahead/lookbehind in Espruino regular expressions');
          else if (/\{\d+(,\d*)?\}/.test(src)) report(node, 'regex', 'no {n} quantifiers in Espruino regular expressions');
          else if (/\(\?</.test(src)) report(node, 'regex', 'no named groups in Espruino regular expressions');
        }
        break;
      default:
        break;
    }
    if (isFunction(node)) checkScope(node.body.body, report);

    // typeof guards: `typeof X ... && use(X)`, `typeof X ... ? use(X) : ...`, `if (typeof X ...) use(X)`.
    if (node.type === 'LogicalExpression' && node.operator === '&&') {
      const g: { [n: string]: true } = Object.assign({}, guarded);
      typeofNames(node.left, g);
      visit(node.left, node, guarded);
      visit(node.right, node, g);
      return;
    }
    if (node.type === 'ConditionalExpression' || node.type === 'IfStatement') {
      const g: { [n: string]: true } = Object.assign({}, guarded);
      typeofNames(node.test, g);
      visit(node.test, node, guarded);
      visit(node.consequent, node, g);
      if (node.alternate) visit(node.alternate, node, guarded);
      return;
    }
    for (const c of children(node)) visit(c, node, guarded);
  };
  visit(ast, null, {});
  return findings;
}

/**
 * The hoisting rule for one scope (a function body or the program): its prologue (directives,
 * function declarations and var statements, in any order, at the start) must contain every
 * function declaration and declare every var name of the scope, and no function declaration
 * may follow a var statement that runs code (an initializer could call it before it exists).
 */
function checkScope(body: Node[], report: (node: Node, rule: string, message: string) => void): void {
  let i = 0;
  const declaredAtTop: { [n: string]: true } = {};
  let ranCode: Node = null;
  for (; i < body.length; i++) {
    const s = body[i];
    if (s.type === 'ExpressionStatement' && s.directive !== undefined) continue;
    if (s.type === 'FunctionDeclaration') {
      if (ranCode !== null) report(s, 'hoisting', 'function ' + s.id.name + ' is declared after code that may call it (Espruino does not hoist)');
      continue;
    }
    if (s.type === 'VariableDeclaration') {
      for (const d of s.declarations) {
        declaredAtTop[d.id.name] = true;
        if (d.init !== null && ranCode === null) ranCode = d;
      }
      continue;
    }
    break;
  }
  // Function declarations past the prologue, at any block depth within this scope.
  const late = (n: Node): void => {
    if (n.type === 'FunctionDeclaration') {
      report(n, 'hoisting', 'function ' + n.id.name + ' is declared after other statements (Espruino does not hoist)');
      return;
    }
    if (isFunction(n)) return;
    for (const c of children(n)) late(c);
  };
  for (let j = i; j < body.length; j++) late(body[j]);
  for (const v of scopeVars(body)) {
    if (!declaredAtTop[v.name]) report(v.node, 'hoisting', 'var ' + v.name + ' is not declared at the top of its scope (Espruino does not hoist)');
  }
}
