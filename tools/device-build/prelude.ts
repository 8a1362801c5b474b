/**
 * The image's prelude: ES5 JavaScript that runs before any module, in .bootcde.
 *
 * 1. Polyfills for what Espruino lacks and compiled code may still reach (espruino-target.md
 *    §5.2 step 5), each installed only when missing. The TypeScript sources are linted against
 *    calling these (tools/lint-device.ts); the polyfills cover compiler helpers and defend
 *    against a quirk slipping through, most importantly Uint8Array.slice, which returns a plain
 *    Array on Espruino and would silently break `instanceof`, `.set` and `.subarray`.
 * 2. The module registry the bundled CommonJS modules are defined into (__sg_d) and loaded from
 *    (__sg_r): a module's factory runs once, on first load, with its exports object.
 *
 * Written by hand for this project; kept small because it is parsed at every boot.
 */

/** Globals and members the prelude provides, so the emitted-code lint accepts their use. */
export const POLYFILLED = ['Math.imul', 'Math.clz32', 'Math.trunc', 'Number.isSafeInteger', 'ArrayBuffer.isView'];

export const PRELUDE = `
if (!Math.imul) Math.imul = function (a, b) {
  var ah = (a >>> 16) & 65535, al = a & 65535, bh = (b >>> 16) & 65535, bl = b & 65535;
  return ((al * bl) + (((ah * bl + al * bh) << 16) >>> 0)) | 0;
};
if (!Math.clz32) Math.clz32 = function (x) {
  var n = 32;
  x = x >>> 0;
  while (x !== 0) { x = x >>> 1; n--; }
  return n;
};
if (!Math.trunc) Math.trunc = function (x) { return x < 0 ? Math.ceil(x) : Math.floor(x); };
if (!Number.isSafeInteger) Number.isSafeInteger = function (x) {
  return typeof x === "number" && x % 1 === 0 && x <= 9007199254740991 && x >= -9007199254740991;
};
if (!ArrayBuffer.isView) ArrayBuffer.isView = function (x) {
  return x !== null && typeof x === "object" && x.buffer instanceof ArrayBuffer;
};
if (!Object.freeze) Object.freeze = function (o) { return o; };
if (!(new Uint8Array(2).slice(0, 1) instanceof Uint8Array)) {
  Uint8Array.prototype.slice = function (a, b) { return new Uint8Array(this.subarray(a, b)); };
}
var __sg_m = {};
var __sg_c = {};
function __sg_d(id, factory) { __sg_m[id] = factory; }
function __sg_r(id) {
  var c = __sg_c[id];
  if (c) return c.exports;
  var f = __sg_m[id];
  if (!f) throw new Error("SimpleGo image: module " + id + " is missing; reflash the image");
  var m = { exports: {} };
  __sg_c[id] = m;
  f.call(m.exports, m.exports, m);
  return m.exports;
}
`;
