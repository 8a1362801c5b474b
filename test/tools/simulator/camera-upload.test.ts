/**
 * The simulator page's image uploads (POST /camera/image), exercised over real HTTP against a
 * running simulation: a picture of a real invitation's QR code, drawn with qrcode-generator,
 * uploaded to Bob's camera is read by Bob's QR scanner and the two devices connect; malformed,
 * oversized and concurrent uploads are refused without a body being read, and the simulation
 * keeps working after each.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { ChatScreen } from '../../../firmware/ui/chat-screen';
import { ContactsScreen } from '../../../firmware/ui/contacts-screen';
import { NewContactScreen } from '../../../firmware/ui/new-contact-screen';
import type { Screen } from '../../../firmware/ui/screen';
import { decodeQr } from '../../../hal/node/qr';
import type { SimDevice } from '../../../tools/simulator/device';
import { MAX_UPLOAD_HEIGHT, MAX_UPLOAD_WIDTH, serve, type SimServer } from '../../../tools/simulator/server';
import { Simulation } from '../../../tools/simulator/simulation';
import { qrRgba } from './qr-image';

async function until(cond: () => boolean, what: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function isTop(d: SimDevice, kind: new (...args: never[]) => Screen): boolean {
  return d.app.ui.top() instanceof kind;
}

interface Reply {
  readonly status: number;
  readonly text: string;
}

/** POSTs `body` to /camera/image?`query` with a correct Content-Length unless `headers` say otherwise. */
function upload(base: string, query: string, body: Uint8Array, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      base + 'camera/image?' + query,
      { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': body.length, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode as number, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a raw connection and writes `head` (and nothing more until told); resolves the first response's status line. */
function rawRequest(port: number, head: string): { socket: net.Socket; status: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(head);
  const status = new Promise<string>((resolve, reject) => {
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => {
      got += c;
      const eol = got.indexOf('\r\n');
      if (eol >= 0) resolve(got.slice(0, eol));
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got === '' ? 'closed without a response' : got.split('\r\n')[0]));
  });
  return { socket, status };
}

function head(port: number, query: string, length: number | null): string {
  return (
    'POST /camera/image?' + query + ' HTTP/1.1\r\nHost: 127.0.0.1:' + port + '\r\nContent-Type: application/octet-stream\r\n' +
    (length === null ? 'Transfer-Encoding: chunked\r\n' : 'Content-Length: ' + length + '\r\n') + '\r\n'
  );
}

describe('tools/simulator camera uploads', function () {
  this.timeout(45000);
  let sim: Simulation;
  let server: SimServer;
  let port: number;

  before(async () => {
    sim = await Simulation.start({ devices: 2, routers: { kind: 'local' }, storeDir: null, fastPin: true });
    server = await serve(sim, 0);
    port = Number(new URL(server.url).port);
  });
  after(async () => {
    await server.close();
    await sim.stop();
  });

  it('refuses malformed and oversized uploads with 400, and the camera keeps what it had', async () => {
    const bob = sim.device('Bob');
    const ok = 'device=Bob&width=4&height=3&format=gray';
    const twelve = new Uint8Array(12).fill(200);
    const cases: Array<[string, string, Uint8Array, http.OutgoingHttpHeaders?]> = [
      ['no parameters', '', twelve],
      ['width missing', 'device=Bob&height=3&format=gray', twelve],
      ['width twice', 'device=Bob&width=4&width=4&height=3&format=gray', twelve],
      ['unknown parameter', ok + '&zoom=2', twelve],
      ['unknown device', 'device=Mallory&width=4&height=3&format=gray', twelve],
      ['device name in another case', 'device=bob&width=4&height=3&format=gray', twelve],
      ['zero width', 'device=Bob&width=0&height=3&format=gray', new Uint8Array(0)],
      ['negative width', 'device=Bob&width=-4&height=3&format=gray', twelve],
      ['leading zero', 'device=Bob&width=04&height=3&format=gray', twelve],
      ['exponent', 'device=Bob&width=4e0&height=3&format=gray', twelve],
      ['fraction', 'device=Bob&width=4.0&height=3&format=gray', twelve],
      ['huge number', 'device=Bob&width=99999999999999999999&height=3&format=gray', twelve],
      ['unknown format', 'device=Bob&width=4&height=3&format=rgb', new Uint8Array(36)],
      ['wrong content type', ok, twelve, { 'content-type': 'image/png' }],
      ['body one byte short', ok, new Uint8Array(11)],
      ['body one byte long', ok, new Uint8Array(13)],
      ['rgba length sent as gray', 'device=Bob&width=4&height=3&format=rgba', twelve],
      ['width over the limit', 'device=Bob&width=' + (MAX_UPLOAD_WIDTH + 1) + '&height=1&format=gray', new Uint8Array(MAX_UPLOAD_WIDTH + 1)],
      ['height over the limit', 'device=Bob&width=1&height=' + (MAX_UPLOAD_HEIGHT + 1) + '&format=gray', new Uint8Array(MAX_UPLOAD_HEIGHT + 1)],
      ['garbage query', '%ff%fe&&&==', twelve],
    ];
    for (const [what, query, body, headers] of cases) {
      const r = await upload(server.url, query, body, headers);
      assert.equal(r.status, 400, what + ': got ' + r.status + ' ' + r.text);
      assert.ok(r.text.length > 10 && r.text.length < 200, what + ': the reason is given: ' + r.text);
    }
    assert.equal(bob.camera.capture(), null, 'nothing reached the camera');

    // A Content-Length far over the limit is refused from the headers: no body byte is sent.
    const big = rawRequest(port, head(port, 'device=Bob&width=' + MAX_UPLOAD_WIDTH + '&height=' + MAX_UPLOAD_HEIGHT + '&format=rgba', 2000000000));
    assert.equal(await big.status, 'HTTP/1.1 400 Bad Request');
    big.socket.destroy();
    // So is a body without a length (chunked), however it would go on.
    const chunked = rawRequest(port, head(port, ok, null));
    assert.equal(await chunked.status, 'HTTP/1.1 400 Bad Request');
    chunked.socket.destroy();
    // Only POST uploads.
    const get = rawRequest(port, 'GET /camera/image?' + ok + ' HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(await get.status, 'HTTP/1.1 404 Not Found');
    get.socket.destroy();

    // Still working: a well-formed upload right after is shown.
    const r = await upload(server.url, ok, twelve);
    assert.deepEqual([r.status, r.text], [200, 'ok']);
    const seen = bob.camera.capture();
    assert.deepEqual(seen === null ? null : [seen.width, seen.height, Array.from(seen.data)], [4, 3, Array.from(twelve)]);
    // The camera took a copy: the request body's memory is not shared.
    twelve.fill(0);
    assert.equal((bob.camera.capture() as { data: Uint8Array }).data[0], 200);
  });

  it('keeps one upload on the way per device: a second gets 409, a client that hangs up frees the slot', async () => {
    const alice = sim.device('Alice');
    const q = 'device=Alice&width=10&height=10&format=gray';
    const first = rawRequest(port, head(port, q, 100));
    first.socket.write(Buffer.alloc(40, 1));
    await new Promise((r) => setTimeout(r, 100));
    const second = await upload(server.url, q, new Uint8Array(100));
    assert.equal(second.status, 409, second.text);
    // Another device is not held up by Alice's.
    assert.equal((await upload(server.url, 'device=Bob&width=1&height=1&format=gray', new Uint8Array(1))).status, 200);
    first.socket.write(Buffer.alloc(60, 2));
    assert.equal(await first.status, 'HTTP/1.1 200 OK');
    first.socket.destroy();
    const f = alice.camera.capture();
    assert.ok(f !== null && f.width === 10 && f.data[0] === 1 && f.data[99] === 2);

    // Half a body, then the client disappears: no answer is owed, and the slot is free again.
    const quitter = rawRequest(port, head(port, q, 100));
    quitter.socket.write(Buffer.alloc(50, 3));
    await new Promise((r) => setTimeout(r, 100));
    quitter.socket.destroy();
    await quitter.status.catch(() => '');
    let again: Reply = { status: 0, text: '' };
    const end = Date.now() + 2000;
    do {
      again = await upload(server.url, q, new Uint8Array(100).fill(4));
    } while (again.status === 409 && Date.now() < end);
    assert.equal(again.status, 200, again.text);
    assert.equal((alice.camera.capture() as { data: Uint8Array }).data[0], 4, 'the half body was never shown');
  });

  it("Bob's scanner reads a real invitation from an uploaded picture, and Alice and Bob connect", async () => {
    const alice = sim.device('Alice');
    const bob = sim.device('Bob');
    for (const [d, pin] of [[alice, '1357'], [bob, '2468']] as Array<[SimDevice, string]>) {
      d.input.typeText(pin);
      d.input.key('Enter');
      d.input.typeText(pin);
      d.input.key('Enter');
      await until(() => isTop(d, ContactsScreen), d.name + ' unlocked');
    }
    // Alice creates a one-time invitation; its link, read off her panel, is what a person would photograph.
    alice.input.key('n');
    alice.input.key('Enter');
    await until(() => (alice.app.ui.top() as NewContactScreen).mode === 'qr', 'Alice shows the QR code');
    await until(() => decodeQr(alice.display.grayFrame()) !== null, 'the QR code is on her panel');
    const link = decodeQr(alice.display.grayFrame()) as string;
    assert.match(link, /^simplex:\/invitation#/);

    // The same link drawn afresh by qrcode-generator, navy on white on beige, off-centre in a
    // 900x700 RGBA picture: a different image from Alice's panel, same text.
    const pic = qrRgba(link, 900, 700, 5, 260, 120);
    const r = await upload(server.url, 'device=Bob&width=900&height=700&format=rgba', pic.rgba);
    assert.deepEqual([r.status, r.text], [200, 'ok']);
    const seen = bob.camera.capture();
    assert.ok(seen !== null && seen.width === 900 && seen.height === 700);
    assert.equal(decodeQr(seen), link, 'the uploaded picture reaches the camera as the same code');

    // Bob: new contact -> scan; his app's scanner (jsQR over the camera's frames) reads the picture.
    bob.input.key('n');
    bob.input.key('Down');
    bob.input.key('Enter');
    await until(() => isTop(bob, ChatScreen), 'Bob scanned the uploaded picture, joined and opened the chat', 20000);
    const bobChat = (bob.app.ui.top() as ChatScreen).contactId;
    const aliceContact = alice.app.model.contactsPage(0, 1)[0].id;
    await until(() => alice.app.model.contact(aliceContact)?.state === 'ready' && bob.app.model.contact(bobChat)?.state === 'ready', 'both connected', 20000);
    assert.equal(bob.app.model.contact(bobChat)?.name, 'Alice');
    assert.equal(alice.app.model.securityCode(aliceContact), bob.app.model.securityCode(bobChat));

    // The same picture as luma bytes (what the page sends): same code; then the camera off.
    const luma = new Uint8Array(900 * 700);
    for (let i = 0; i < luma.length; i++) luma[i] = (77 * pic.rgba[i * 4] + 150 * pic.rgba[i * 4 + 1] + 29 * pic.rgba[i * 4 + 2]) >> 8;
    assert.equal((await upload(server.url, 'device=Bob&width=900&height=700&format=gray', luma)).status, 200);
    assert.equal(decodeQr(bob.camera.capture() as { width: number; height: number; data: Uint8Array }), link);
  });
});
