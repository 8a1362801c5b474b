/**
 * The simulator page on 127.0.0.1 (node:http only): every device's 320x240 screen, scaled up,
 * streamed as PNG data over Server-Sent Events whenever its panel changes; key presses from the
 * physical keyboard or the on-screen keys POSTed back; buttons per device to point its camera
 * at another device's screen, at an image file, or at the computer's webcam, or to turn it off.
 *
 * Images reach the server as raw pixels, never as an image file: the page decodes the file (or
 * samples the webcam) into a canvas, scales it down to at most MAX_UPLOAD_WIDTH x
 * MAX_UPLOAD_HEIGHT and sends its luma, one byte per pixel (or RGBA, four). The server then only
 * has to check three numbers against the body length, and never runs an image decoder on bytes
 * from the network. POST /camera/image?device=Alice&width=W&height=H&format=gray|rgba, body
 * application/octet-stream of exactly W*H (gray) or W*H*4 (rgba) bytes, announced in
 * Content-Length: anything else is refused with 400 before the body is read.
 *
 * The page sends its requests one at a time, in order: fetches in parallel travel over several
 * connections and reach the server shuffled, which scrambled typed text ("Hi Al, iceBob here").
 */
import * as http from 'node:http';
import { SimpleGoError } from '../../hal/errors';
import { keyFromBrowser } from '../../hal/node/input';
import type { SimDevice } from './device';
import type { Simulation } from './simulation';

const MAX_BODY = 4096;

/** Largest image the page sends (it scales anything bigger down to fit). */
export const MAX_UPLOAD_WIDTH = 1280;
export const MAX_UPLOAD_HEIGHT = 960;

/** An upload that has not finished by then is dropped, so a stalled client cannot hold a device's slot. */
export const UPLOAD_TIMEOUT_MS = 30000;

export type UploadErrorCode =
  | 'bad-query' // missing, repeated, unknown or malformed parameters
  | 'unknown-device'
  | 'bad-size' // width or height outside 1..MAX_UPLOAD_*
  | 'bad-length' // no Content-Length, or not the size the parameters announce
  | 'bad-type' // not application/octet-stream
  | 'truncated'; // the body ended before Content-Length bytes

export class UploadError extends SimpleGoError {
  declare readonly code: UploadErrorCode;
  constructor(code: UploadErrorCode, message: string) {
    super(code, message);
    this.name = 'UploadError';
  }
}

export interface UploadRequest {
  readonly device: SimDevice;
  readonly width: number;
  readonly height: number;
  readonly format: 'gray' | 'rgba';
  /** Body length: width * height * (1 or 4). */
  readonly bytes: number;
}

const UPLOAD_PARAMS = ['device', 'width', 'height', 'format'];

function dimension(text: string, name: string, max: number): number {
  // Digits only, no sign, exponent, leading zero or space: what the page sends and nothing else.
  if (!/^[1-9][0-9]{0,4}$/.test(text)) throw new UploadError('bad-query', name + ' must be a whole number of pixels, got ' + JSON.stringify(text.slice(0, 20)));
  const n = Number(text);
  if (n > max) throw new UploadError('bad-size', name + ' must be at most ' + max + ' pixels (the page scales images down), got ' + n);
  return n;
}

/**
 * Checks an image upload's request line and headers; throws UploadError. `query` is the part
 * of the URL after '?'.
 */
export function parseUploadRequest(query: string, headers: http.IncomingHttpHeaders, devices: readonly SimDevice[]): UploadRequest {
  const params = new URLSearchParams(query);
  const keys: string[] = [];
  params.forEach((_v, k) => keys.push(k));
  for (const k of keys) {
    if (UPLOAD_PARAMS.indexOf(k) < 0) throw new UploadError('bad-query', 'unknown parameter ' + JSON.stringify(k.slice(0, 20)) + '; expected ' + UPLOAD_PARAMS.join(', '));
  }
  for (const k of UPLOAD_PARAMS) {
    if (params.getAll(k).length !== 1) throw new UploadError('bad-query', 'parameter ' + k + ' must be given exactly once');
  }
  const name = params.get('device') as string;
  const device = devices.find((d) => d.name === name);
  if (device === undefined) throw new UploadError('unknown-device', 'no device named ' + JSON.stringify(name.slice(0, 20)));
  const width = dimension(params.get('width') as string, 'width', MAX_UPLOAD_WIDTH);
  const height = dimension(params.get('height') as string, 'height', MAX_UPLOAD_HEIGHT);
  const format = params.get('format');
  if (format !== 'gray' && format !== 'rgba') throw new UploadError('bad-query', 'format must be gray or rgba');
  const bytes = width * height * (format === 'gray' ? 1 : 4);
  if (headers['content-type'] !== 'application/octet-stream') throw new UploadError('bad-type', 'the body must be application/octet-stream (raw pixels)');
  // Chunked bodies are refused: the length must be known, and checked, before a byte is read.
  const length = headers['content-length'];
  if (length === undefined || headers['transfer-encoding'] !== undefined) throw new UploadError('bad-length', 'the request needs a Content-Length and no Transfer-Encoding');
  if (length !== String(bytes)) {
    throw new UploadError('bad-length', 'a ' + width + 'x' + height + ' ' + format + ' image is ' + bytes + ' bytes; Content-Length says ' + JSON.stringify(length.slice(0, 20)));
  }
  return { device, width, height, format, bytes };
}

function page(names: string[]): string {
  const cams = (me: string): string =>
    names.filter((n) => n !== me).map((n) => `<button onclick="cam('${me}','${n}')">camera: ${n}'s screen</button>`).join('') +
    `<button onclick="pick('${me}')">camera: image file…</button><button onclick="webcam('${me}')">camera: webcam</button><button onclick="cam('${me}','')">camera off</button>` +
    `<div class="note" id="c-${me}">camera: off</div>`;
  // The file inputs stay hidden and outside the device boxes: the buttons open them.
  const files = names.map((n) => `<input type="file" accept="image/*" hidden id="file-${n}" onchange="file('${n}',this)">`).join('');
  const keys = ['Escape', 'Tab', 'Up', 'Down', 'Left', 'Right', 'Enter', 'Backspace'];
  const devs = names
    .map(
      (n) => `<div class="dev" tabindex="0" onkeydown="kd(event,'${n}')"><h3>${n}</h3><img id="s-${n}" width="640" height="480"><div>${keys
        .map((k) => `<button onclick="key('${n}','${k}')">${k}</button>`)
        .join('')}<input placeholder="type here, Enter sends keys" onkeydown="if(event.key==='Enter'){txt('${n}',this.value);this.value='';event.preventDefault()}"></div><div>${cams(n)}</div></div>`,
    )
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>SimpleGo simulator</title>
<style>body{font-family:sans-serif;background:#222;color:#eee}.dev{display:inline-block;margin:8px;padding:8px;background:#333;vertical-align:top}img{image-rendering:pixelated;background:#000}.note{font-size:small;color:#aaa}</style>
${devs}${files}
<script>
const es=new EventSource('/events');
es.onmessage=e=>{const m=JSON.parse(e.data);document.getElementById('s-'+m.device).src='data:image/png;base64,'+m.png};
let sent=Promise.resolve();
function send(u,t,b){const p=sent.then(()=>fetch(u,{method:'POST',headers:{'content-type':t},body:b})).catch(()=>null);sent=p;return p}
function post(u,b){send(u,'application/json',JSON.stringify(b))}
function key(d,k){post('/key',{device:d,key:k})}
function txt(d,t){for(const c of t)key(d,c)}
function kd(e,d){if(e.target.tagName==='INPUT')return;e.preventDefault();post('/key',{device:d,browserKey:e.key})}
function note(d,t){document.getElementById('c-'+d).textContent=t}
// Webcams by device; gen[d] changes whenever the camera is repointed, so a webcam that is
// granted after the user has already moved on is stopped instead of started.
const webcams={},gen={};
function camOff(d){gen[d]=(gen[d]||0)+1;const w=webcams[d];if(!w)return;delete webcams[d];clearInterval(w.timer);for(const t of w.stream.getTracks())t.stop()}
function cam(d,o){camOff(d);note(d,o?'camera: '+o+"'s screen":'camera: off');post('/camera',{device:d,of:o})}
const cv=document.createElement('canvas'),cx=cv.getContext('2d',{willReadFrequently:true});
// The picture scaled down to fit ${MAX_UPLOAD_WIDTH}x${MAX_UPLOAD_HEIGHT}, as luma bytes (the weights the camera uses).
function gray(src,w,h){const s=Math.min(1,${MAX_UPLOAD_WIDTH}/w,${MAX_UPLOAD_HEIGHT}/h);const W=Math.min(${MAX_UPLOAD_WIDTH},Math.max(1,Math.round(w*s))),H=Math.min(${MAX_UPLOAD_HEIGHT},Math.max(1,Math.round(h*s)));
cv.width=W;cv.height=H;cx.drawImage(src,0,0,W,H);const p=cx.getImageData(0,0,W,H).data,g=new Uint8Array(W*H);for(let i=0;i<g.length;i++)g[i]=(77*p[4*i]+150*p[4*i+1]+29*p[4*i+2])>>8;return{W,H,g}}
function upload(d,f){return send('/camera/image?device='+encodeURIComponent(d)+'&width='+f.W+'&height='+f.H+'&format=gray','application/octet-stream',f.g).then(r=>r===null||r.ok?r:r.text().then(t=>{note(d,'camera: refused: '+t);return null}))}
function pick(d){document.getElementById('file-'+d).click()}
function file(d,inp){const f=inp.files[0];inp.value='';if(!f)return;createImageBitmap(f).then(b=>{camOff(d);const g=gray(b,b.width,b.height);b.close();note(d,'camera: '+f.name+' ('+g.W+'x'+g.H+')');return upload(d,g)},()=>note(d,'camera: '+f.name+' is not an image this browser can read'))}
function webcam(d){camOff(d);const my=gen[d];
if(!navigator.mediaDevices||!navigator.mediaDevices.getUserMedia){note(d,'camera: no webcam access (the page must come from localhost or https)');return}
note(d,'camera: asking for the webcam…');
navigator.mediaDevices.getUserMedia({video:{width:{ideal:${MAX_UPLOAD_WIDTH}},height:{ideal:${MAX_UPLOAD_HEIGHT}}},audio:false}).then(stream=>{
if(gen[d]!==my){for(const t of stream.getTracks())t.stop();return}
const v=document.createElement('video');v.muted=true;v.playsInline=true;v.srcObject=stream;v.play();
const w={stream,timer:0,busy:false};webcams[d]=w;note(d,'camera: webcam');
// A few frames a second, and never more than one on the way: a slow upload drops frames, it does not queue them.
w.timer=setInterval(()=>{if(w.busy||webcams[d]!==w||v.videoWidth===0)return;w.busy=true;upload(d,gray(v,v.videoWidth,v.videoHeight)).then(()=>{w.busy=false})},250)},
e=>{if(gen[d]===my)note(d,'camera: webcam refused ('+e.name+')')})}
</script>`;
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
      if (body.length > MAX_BODY) {
        reject(new RangeError('request too large'));
        req.destroy();
      }
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(body));
      } catch (e) {
        reject(e);
      }
    });
  });
}

export interface SimServer {
  readonly url: string;
  close(): Promise<void>;
}

export function serve(sim: Simulation, port: number): Promise<SimServer> {
  const names = sim.devices.map((d) => d.name);
  const streams = new Set<http.ServerResponse>();
  const seen = new Map<string, number>();
  const push = (force: boolean): void => {
    for (const d of sim.devices) {
      if (!force && seen.get(d.name) === d.display.changes) continue;
      seen.set(d.name, d.display.changes);
      const data = 'data: ' + JSON.stringify({ device: d.name, png: Buffer.from(d.display.toPng()).toString('base64') }) + '\n\n';
      for (const s of streams) s.write(data);
    }
  };
  const timer = setInterval(() => push(false), 100);
  // One upload on the way per device: a second is refused (409) rather than queued, so a page
  // (or anything else on this machine) cannot pile bodies up in memory.
  const uploading = new Set<string>();
  const receiveImage = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const answer = (code: number, text: string): void => {
      if (res.headersSent) return;
      // Refused before the body was read: close the connection, or its unread body would be
      // taken for the next request.
      res.writeHead(code, code === 200 ? { 'content-type': 'text/plain' } : { 'content-type': 'text/plain', connection: 'close' });
      res.end(text);
    };
    let up: UploadRequest;
    try {
      up = parseUploadRequest((req.url as string).slice('/camera/image?'.length), req.headers, sim.devices);
    } catch (e) {
      if (e instanceof UploadError) return answer(400, e.message);
      // A bug, not bad input: say so, but keep the simulation running.
      return answer(500, 'internal error');
    }
    const name = up.device.name;
    if (uploading.has(name)) return answer(409, name + "'s camera is still receiving the previous image");
    uploading.add(name);
    const body = Buffer.allocUnsafe(up.bytes);
    let got = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timeout);
      uploading.delete(name);
    };
    const timeout = setTimeout(() => {
      answer(400, 'the image did not arrive within ' + UPLOAD_TIMEOUT_MS / 1000 + ' s');
      finish();
      req.destroy();
    }, UPLOAD_TIMEOUT_MS);
    req.on('data', (c: Buffer) => {
      // Node's parser stops at Content-Length, so this cannot overflow; checked anyway.
      if (done || got + c.length > body.length) {
        finish();
        req.destroy();
        return;
      }
      c.copy(body, got);
      got += c.length;
    });
    req.on('end', () => {
      if (done) return;
      finish();
      if (got !== up.bytes) return answer(400, new UploadError('truncated', 'the image ended after ' + got + ' of ' + up.bytes + ' bytes').message);
      const pixels = new Uint8Array(body.buffer, body.byteOffset, body.length);
      if (up.format === 'gray') up.device.camera.showGray(pixels, up.width, up.height);
      else up.device.camera.showImage(pixels, up.width, up.height);
      answer(200, 'ok');
    });
    // A client that hangs up mid-body: nothing to answer, but the slot must be freed.
    req.on('close', finish);
    req.on('error', finish);
  };
  const server = http.createServer((req, res) => {
    const fail = (code: number, text: string): void => {
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(text);
    };
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(names));
    } else if (req.method === 'GET' && req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      streams.add(res);
      req.on('close', () => streams.delete(res));
      seen.clear();
      push(true);
    } else if (req.method === 'POST' && req.url !== undefined && (req.url === '/camera/image' || req.url.startsWith('/camera/image?'))) {
      receiveImage(req, res);
    } else if (req.method === 'POST' && (req.url === '/key' || req.url === '/camera')) {
      readJson(req).then(
        (m) => {
          const msg = m as { device?: unknown; key?: unknown; browserKey?: unknown; of?: unknown };
          const d = sim.devices.find((x) => x.name === msg.device);
          if (d === undefined) return fail(400, 'unknown device');
          if (req.url === '/camera') {
            const other = sim.devices.find((x) => x.name === msg.of);
            d.lookAt(other === undefined ? null : other);
            return fail(200, 'ok');
          }
          const key = typeof msg.browserKey === 'string' ? keyFromBrowser(msg.browserKey) : typeof msg.key === 'string' ? msg.key : null;
          if (key === null || !d.input.fromPage({ type: 'key', key })) return fail(400, 'not a key the device has');
          fail(200, 'ok');
        },
        () => fail(400, 'bad request'),
      );
    } else {
      fail(404, 'not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      const p = typeof a === 'object' && a !== null ? a.port : port;
      resolve({
        url: 'http://127.0.0.1:' + p + '/',
        close: () =>
          new Promise<void>((done) => {
            clearInterval(timer);
            for (const s of streams) s.end();
            server.close(() => done());
          }),
      });
    });
  });
}
