/**
 * Regenerates zstd-fixtures.json: compresses the inputs of fixture-inputs.ts with the reference
 * zstd CLI and stores the frames as hex, with the input's size and SHA-256.
 *
 * Needs the `zstd` binary (Debian package zstd; the fixtures were made with v1.5.4). Only this
 * script needs it: the tests read the JSON, so CI does not.
 *
 *   npx tsx test/firmware/compression/make-fixtures.ts
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { craftedFrames, type Built } from './crafted-frames';
import { fixtureInput } from './fixture-inputs';

interface CaseSpec {
  name: string;
  /** fixture-inputs.ts spec: kind:size:seed. */
  input: string;
  /** zstd arguments, before the input file. */
  args: string[];
  /** 'stdin' pipes the input, so zstd cannot know its size (a streamed frame). */
  via?: 'stdin';
  /** What the decoder must do: decode (default) or fail with this error code. */
  expect?: string;
  /** maxOutput the test should pass (default 16384). */
  maxOutput?: number;
}

const DICT = '@dict'; // replaced by the trained dictionary's path

const CASES: CaseSpec[] = [
  { name: 'empty', input: 'empty:0', args: ['-3'] },
  { name: 'tiny-chat-l3', input: 'chat:111:1', args: ['-3', '--no-check'] },
  { name: 'tiny-chat-l3-check', input: 'chat:170:2', args: ['-3'] },
  { name: 'tiny-chat-l1', input: 'chat:150:3', args: ['-1', '--no-check'] },
  { name: 'tiny-chat-l19', input: 'chat:179:4', args: ['-19'] },
  { name: 'tiny-chat-stream', input: 'chat:160:5', args: ['-3'], via: 'stdin' },
  { name: 'chat-1k-l3', input: 'chat:1000:6', args: ['-3', '--no-check'] },
  { name: 'chat-16k-l1', input: 'chat:15602:7', args: ['-1', '--no-check'] },
  { name: 'chat-16k-l3', input: 'chat:15602:7', args: ['-3', '--no-check'] },
  { name: 'chat-16k-l3-check', input: 'chat:15602:7', args: ['-3'] },
  { name: 'chat-16k-l19', input: 'chat:15602:7', args: ['-19'] },
  { name: 'chat-16k-l3-no-size', input: 'chat:15602:8', args: ['-3', '--no-content-size'] },
  { name: 'chat-16k-l3-stream', input: 'chat:15602:9', args: ['-3'], via: 'stdin' },
  { name: 'chat-16k-l3-window1k', input: 'chat:15602:10', args: ['-3', '--zstd=wlog=10'] },
  { name: 'chat-16k-l19-window1k', input: 'chat:15602:10', args: ['-19', '--zstd=wlog=10', '--no-check'] },
  { name: 'batch-16k-l3', input: 'batch:15602:11', args: ['-3', '--no-check'] },
  { name: 'info-14k-l3', input: 'info:14694:12', args: ['-3', '--no-check'] },
  { name: 'info-14k-l19-check', input: 'info:14694:12', args: ['-19'] },
  { name: 'same-16k-window1k', input: 'same:16384:1', args: ['-3', '--zstd=wlog=10'] },
  { name: 'ticks-9k-l3', input: 'ticks:9000:20', args: ['-3', '--no-check'] },
  { name: 'random-4k-l3', input: 'random:4096:13', args: ['-3'] },
  { name: 'random-6k-window1k', input: 'random:6000:14', args: ['-3', '--zstd=wlog=10', '--no-check'] },
  { name: 'alphabet-8k-l3', input: 'alphabet:8192:15', args: ['-3'] },
  { name: 'alphabet-16k-l19-window1k', input: 'alphabet:16384:16', args: ['-19', '--zstd=wlog=10'] },
  { name: 'letters-20k-l1', input: 'letters:20000:17', args: ['-1'], maxOutput: 20000 },
  { name: 'chats-150k-l3', input: 'chats:150000:18', args: ['-3'], maxOutput: 150000 },
  { name: 'chats-150k-l3-stream', input: 'chats:150000:18', args: ['-3', '--no-check'], via: 'stdin', maxOutput: 150000 },
  { name: 'dictionary-id', input: 'chat:400:19', args: ['-3', '-D', DICT], expect: 'unsupported' },
  { name: 'dictionary-no-id', input: 'chat:400:19', args: ['-3', '--no-dictID', '-D', DICT], expect: 'corrupt' },
];

function sha256(b: Uint8Array): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

function main(): void {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zstd-fixtures-'));
  const version = execFileSync('zstd', ['--version']).toString().trim();

  // A dictionary trained on our own chat messages, for the frames that need one.
  const samples: string[] = [];
  for (let i = 0; i < 300; i++) {
    const f = path.join(tmp, 'sample' + i + '.json');
    fs.writeFileSync(f, fixtureInput('chat:' + (150 + (i % 200)) + ':' + (1000 + i)));
    samples.push(f);
  }
  const dict = path.join(tmp, 'dict');
  execFileSync('zstd', ['-q', '--train', '--maxdict=4096', '-o', dict, ...samples]);

  const cases = CASES.map((c) => {
    const input = fixtureInput(c.input);
    const args = c.args.map((a) => (a === DICT ? dict : a));
    let frame: Buffer;
    if (c.via === 'stdin') {
      frame = execFileSync('zstd', ['-q', '-c', ...args, '-'], { input });
    } else {
      const f = path.join(tmp, c.name);
      fs.writeFileSync(f, input);
      frame = execFileSync('zstd', ['-q', '-c', ...args, f]);
    }
    const shown = c.args.join(' ').replace(DICT, '<dictionary trained on 300 chat messages>');
    return {
      name: c.name,
      input: c.input,
      command: (c.via === 'stdin' ? 'cat input | ' : '') + 'zstd ' + shown + (c.via === 'stdin' ? ' -' : ' input'),
      size: input.length,
      sha256: sha256(input),
      ...(c.expect ? { expect: c.expect } : {}),
      ...(c.maxOutput ? { maxOutput: c.maxOutput } : {}),
      frame: frame.toString('hex'),
    };
  });
  fs.rmSync(tmp, { recursive: true });

  // Hand-built frames: kept only if the reference decoder turns each into exactly its content.
  const byName = (name: string): Built => {
    const c = cases.find((x) => x.name === name);
    if (!c) throw new Error('no fixture ' + name);
    return { frame: new Uint8Array(Buffer.from(c.frame, 'hex')), content: fixtureInput(c.input) };
  };
  const crafted = craftedFrames(byName).map((c) => {
    const decoded = execFileSync('zstd', ['-d', '-q', '-c'], { input: c.built.frame, maxBuffer: 1 << 24 });
    if (!decoded.equals(Buffer.from(c.built.content))) throw new Error('zstd -d does not accept crafted frame ' + c.name);
    return { name: c.name, description: c.description, frameSha256: sha256(c.built.frame), contentSha256: sha256(c.built.content) };
  });

  const json = {
    generator: 'npx tsx test/firmware/compression/make-fixtures.ts',
    zstd: version,
    note: 'Inputs are regenerated by fixture-inputs.ts from `input`; `sha256` is of that input. ' +
      '`crafted` lists the frames crafted-frames.ts builds that zstd -d decoded to their content.',
    cases,
    crafted,
  };
  fs.writeFileSync(path.join(here, 'zstd-fixtures.json'), JSON.stringify(json, null, 1) + '\n');
  console.log('wrote ' + cases.length + ' fixtures and ' + crafted.length + ' verified crafted frames');
}

main();
