/**
 * The post-pass over ES5 JavaScript that makes compiler output run on Espruino
 * (shared/spec/espruino-target.md §5.2 step 4 and §5.3):
 *
 * 1. Hoisting by hand. Espruino hoists neither `function` nor `var`: TypeScript's CommonJS emit
 *    assigns `exports.f = f` above `function f`, and `__extends(Sub, _super)` runs before the
 *    constructor exists. In every function body and at the top of the script, function
 *    declarations move to the top, then one `var a, b, ...;` declares every var of that scope;
 *    the original declarations become plain assignments (`var x = 1` -> `x = 1`,
 *    `for (var k in o)` -> `for (k in o)`), so a `var` in a branch that never runs cannot leave
 *    its name undeclared.
 * 2. Array holes become `void 0`: a hole in a skipped `switch` case is a SyntaxError on Espruino,
 *    and TypeScript's async state machine emits `[2, 4, , 5]`.
 * 3. Methods read off built-in prototypes (`Array.prototype.slice.call`) are undefined on
 *    Espruino; they are read off an instance instead (`[].slice.call`).
 * 4. `Math.pow` with two literal arguments is folded into the literal (Espruino's Math.pow is
 *    inexact: Math.pow(2, 32) !== 4294967296); other calls are left for the lint to refuse.
 *
 * Input and output are plain script text; the TypeScript parser and printer do the work.
 */
import ts from 'typescript';

const INSTANCE_OF: { [builtin: string]: () => ts.Expression } = {
  Array: () => ts.factory.createArrayLiteralExpression([]),
  Object: () => ts.factory.createParenthesizedExpression(ts.factory.createObjectLiteralExpression([])),
  String: () => ts.factory.createStringLiteral(''),
  Number: () => ts.factory.createParenthesizedExpression(ts.factory.createNumericLiteral(0)),
  Boolean: () => ts.factory.createParenthesizedExpression(ts.factory.createFalse()),
  Function: () =>
    ts.factory.createParenthesizedExpression(
      ts.factory.createFunctionExpression(undefined, undefined, undefined, undefined, [], undefined, ts.factory.createBlock([])),
    ),
};

function isFunctionScope(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) || ts.isConstructorDeclaration(node);
}

function isVarList(list: ts.VariableDeclarationList): boolean {
  return (list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) === 0;
}

function bindingNames(name: ts.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) out.push(name.text);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bindingNames(el.name, out);
}

/** Names declared with `var` anywhere in a function body or script, not inside nested functions. */
function collectVars(statements: ts.NodeArray<ts.Statement>): string[] {
  const names: string[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionScope(node)) return;
    if (ts.isVariableDeclarationList(node) && isVarList(node)) {
      for (const d of node.declarations) bindingNames(d.name, names);
    }
    ts.forEachChild(node, visit);
  };
  for (const s of statements) visit(s);
  const seen: { [n: string]: true } = {};
  const unique: string[] = [];
  for (const n of names) {
    if (!seen[n]) {
      seen[n] = true;
      unique.push(n);
    }
  }
  return unique;
}

function paramNames(fn: ts.FunctionLikeDeclaration | null): { [n: string]: true } {
  const out: { [n: string]: true } = {};
  if (fn === null) return out;
  for (const p of fn.parameters) {
    const names: string[] = [];
    bindingNames(p.name, names);
    for (const n of names) out[n] = true;
  }
  return out;
}

/** A `var` declaration list as the assignments it performs (null when it assigns nothing). */
function varListAsExpression(list: ts.VariableDeclarationList): ts.Expression | null {
  const parts: ts.Expression[] = [];
  for (const d of list.declarations) {
    if (d.initializer !== undefined && ts.isIdentifier(d.name)) {
      parts.push(ts.factory.createAssignment(ts.factory.createIdentifier(d.name.text), d.initializer));
    }
  }
  if (parts.length === 0) return null;
  return parts.reduce((a, b) => ts.factory.createComma(a, b));
}

function isDirective(s: ts.Statement): boolean {
  return ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression);
}

function literalValue(e: ts.Expression): number | null {
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) {
    return -Number(e.operand.text);
  }
  return null;
}

function numberLiteral(v: number): ts.Expression {
  return v < 0 ? ts.factory.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, ts.factory.createNumericLiteral(-v)) : ts.factory.createNumericLiteral(v);
}

/** Exact powers by repeated multiplication (the host's `**` is exact for the integers involved). */
function exactPow(base: number, exp: number): number | null {
  if (exp % 1 !== 0 || exp < 0 || exp > 1074) return null;
  let r = 1;
  for (let i = 0; i < exp; i++) r *= base;
  return Number.isFinite(r) ? r : null;
}

function transformer(context: ts.TransformationContext): (sf: ts.SourceFile) => ts.SourceFile {
  const f = context.factory;

  /**
   * Rewrites one scope's (already transformed) statement list: functions first, then one var
   * list, then the rest. `original` is the untransformed list the var names are collected from.
   */
  function hoist(statements: ts.NodeArray<ts.Statement>, original: ts.NodeArray<ts.Statement>, owner: ts.FunctionLikeDeclaration | null): ts.Statement[] {
    const params = paramNames(owner);
    const vars = collectVars(original).filter((n) => !params[n] && n !== 'arguments');
    const directives: ts.Statement[] = [];
    const functions: ts.Statement[] = [];
    const rest: ts.Statement[] = [];
    let prologue = true;
    for (const s of statements) {
      if (prologue && isDirective(s)) {
        directives.push(s);
        continue;
      }
      prologue = false;
      if (ts.isFunctionDeclaration(s)) functions.push(s);
      else rest.push(s);
    }
    const out: ts.Statement[] = directives.concat(functions);
    if (vars.length > 0) {
      out.push(f.createVariableStatement(undefined, f.createVariableDeclarationList(vars.map((n) => f.createVariableDeclaration(n)))));
    }
    return out.concat(rest);
  }

  function visit(node: ts.Node, owner: ts.FunctionLikeDeclaration | null): ts.Node | ts.Node[] | undefined {
    // Function bodies: hoist inside, with this function as the owner of its vars.
    if (isFunctionScope(node) && node.body !== undefined && ts.isBlock(node.body)) {
      const inner = ts.visitEachChild(node, (n) => visit(n, node), context) as ts.FunctionLikeDeclaration;
      const body = inner.body as ts.Block;
      const hoisted = f.updateBlock(body, hoist(body.statements, (node.body as ts.Block).statements, node));
      if (ts.isFunctionDeclaration(inner)) {
        return f.updateFunctionDeclaration(inner, inner.modifiers, inner.asteriskToken, inner.name, inner.typeParameters, inner.parameters, inner.type, hoisted);
      }
      if (ts.isFunctionExpression(inner)) {
        return f.updateFunctionExpression(inner, inner.modifiers, inner.asteriskToken, inner.name, inner.typeParameters, inner.parameters, inner.type, hoisted);
      }
      return inner;
    }
    // var statements become assignments (the scope's var list declares the names).
    if (ts.isVariableStatement(node) && isVarList(node.declarationList)) {
      const list = ts.visitEachChild(node.declarationList, (n) => visit(n, owner), context);
      const e = varListAsExpression(list);
      return e === null ? f.createEmptyStatement() : f.createExpressionStatement(e);
    }
    if (ts.isForStatement(node) && node.initializer !== undefined && ts.isVariableDeclarationList(node.initializer) && isVarList(node.initializer)) {
      const list = ts.visitEachChild(node.initializer, (n) => visit(n, owner), context);
      const init = varListAsExpression(list);
      return f.updateForStatement(
        node,
        init === null ? undefined : init,
        node.condition === undefined ? undefined : (ts.visitNode(node.condition, (n) => visit(n, owner)) as ts.Expression),
        node.incrementor === undefined ? undefined : (ts.visitNode(node.incrementor, (n) => visit(n, owner)) as ts.Expression),
        ts.visitNode(node.statement, (n) => visit(n, owner)) as ts.Statement,
      );
    }
    if ((ts.isForInStatement(node) || ts.isForOfStatement(node)) && ts.isVariableDeclarationList(node.initializer) && isVarList(node.initializer)) {
      const d = node.initializer.declarations[0];
      if (ts.isIdentifier(d.name)) {
        const target = f.createIdentifier(d.name.text);
        const expr = ts.visitNode(node.expression, (n) => visit(n, owner)) as ts.Expression;
        const stmt = ts.visitNode(node.statement, (n) => visit(n, owner)) as ts.Statement;
        return ts.isForInStatement(node) ? f.updateForInStatement(node, target, expr, stmt) : f.updateForOfStatement(node, node.awaitModifier, target, expr, stmt);
      }
    }
    // [a, , b] -> [a, void 0, b]
    if (ts.isOmittedExpression(node)) return f.createVoidZero();
    // Array.prototype.slice -> [].slice (reads only; assignments to a prototype stay).
    if (ts.isPropertyAccessExpression(node) && ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'prototype' && ts.isIdentifier(node.expression.expression) &&
      Object.prototype.hasOwnProperty.call(INSTANCE_OF, node.expression.expression.text)) {
      const parent = node.parent;
      const assigned = parent !== undefined && ts.isBinaryExpression(parent) && parent.left === node &&
        parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
      if (!assigned) return f.updatePropertyAccessExpression(node, INSTANCE_OF[node.expression.expression.text](), node.name);
    }
    // Math.pow(2, 32) -> 4294967296
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === 'Math' && node.expression.name.text === 'pow' && node.arguments.length === 2) {
      const b = literalValue(node.arguments[0]);
      const e = literalValue(node.arguments[1]);
      if (b !== null && e !== null) {
        const v = exactPow(b, e);
        if (v !== null) return numberLiteral(v);
      }
    }
    return ts.visitEachChild(node, (n) => visit(n, owner), context);
  }

  return (sf: ts.SourceFile): ts.SourceFile => {
    const visited = ts.visitEachChild(sf, (n) => visit(n, null), context);
    return f.updateSourceFile(visited, hoist(visited.statements, sf.statements, null));
  };
}

/** Applies the post-pass to one script. */
export function postPass(code: string, fileName: string): string {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.ES5, true, ts.ScriptKind.JS);
  const result = ts.transform(sf, [transformer]);
  const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
  const out = printer.printFile(result.transformed[0]);
  result.dispose();
  return out;
}
