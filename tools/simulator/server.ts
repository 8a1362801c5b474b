/**
 * The simulator page on 127.0.0.1 (node:http only): every device's 320x240 screen, scaled up,
 * streamed as PNG data over Server-Sent Events whenever its panel changes; key presses from the
 * physical keyboard or the on-screen keys POSTed back; a button per device to point its camera
 * at another device's screen.
 *
 * The page sends its requests one at a time, in order: fetches in parallel travel over several
 * connections and reach the server shuffled, which scrambled typed text ("Hi Al, iceBob here").
 */
import * as http from 'node:http';
import { keyFromBrowser } from '../../hal/node/input';
import type { Simulation } from './simulation';

const MAX_BODY = 4096;

function page(names: string[]): string {
  const cams = (me: string): string =>
    names.filter((n) => n !== me).map((n) => `<button onclick="cam('${me}','${n}')">camera: ${n}'s screen</button>`).join('') + `<button onclick="cam('${me}','')">camera off</button>`;
  const keys = ['Escape', 'Tab', 'Up', 'Down', 'Left', 'Right', 'Enter', 'Backspace'];
  const devs = names
    .map(
      (n) => `<div class="dev" tabindex="0" onkeydown="kd(event,'${n}')"><h3>${n}</h3><img id="s-${n}" width="640" height="480"><div>${keys
        .map((k) => `<button onclick="key('${n}','${k}')">${k}</button>`)
        .join('')}<input placeholder="type here, Enter sends keys" onkeydown="if(event.key==='Enter'){txt('${n}',this.value);this.value='';event.preventDefault()}"></div><div>${cams(n)}</div></div>`,
    )
    .join('');
  return `<!doctype html><meta charset="utf-8"><title>SimpleGo simulator</title>
<style>body{font-family:sans-serif;background:#222;color:#eee}.dev{display:inline-block;margin:8px;padding:8px;background:#333;vertical-align:top}img{image-rendering:pixelated;background:#000}</style>
${devs}
<script>
const es=new EventSource('/events');
es.onmessage=e=>{const m=JSON.parse(e.data);document.getElementById('s-'+m.device).src='data:image/png;base64,'+m.png};
let sent=Promise.resolve();
function post(u,b){sent=sent.then(()=>fetch(u,{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(b)})).catch(()=>{})}
function key(d,k){post('/key',{device:d,key:k})}
function txt(d,t){for(const c of t)key(d,c)}
function cam(d,o){post('/camera',{device:d,of:o})}
function kd(e,d){if(e.target.tagName==='INPUT')return;e.preventDefault();post('/key',{device:d,browserKey:e.key})}
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
