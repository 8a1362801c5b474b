/** Shared by the benchmark sections: timing loops and the Markdown table they print. */

let sink = 0; // consumed results, so no engine can drop the work

/** Calls `fn` for about `ms` milliseconds (after a warm-up) and returns operations per second. */
export function measureOps(fn: () => unknown, ms: number = 400, warmupMs: number = 100): number {
  const run = (limit: number): { ops: number; elapsed: number } => {
    let ops = 0;
    let batch = 1;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < limit) {
      for (let i = 0; i < batch; i++) {
        const r = fn();
        sink += r instanceof Uint8Array ? r.length : r === true ? 1 : 0;
      }
      ops += batch;
      elapsed = performance.now() - start;
      if (elapsed < limit / 20) batch *= 2;
    }
    return { ops, elapsed };
  };
  run(warmupMs);
  const { ops, elapsed } = run(ms);
  return (ops * 1000) / elapsed + (sink < 0 ? 1 : 0);
}

export function fmtNumber(x: number | null | undefined): string {
  if (x === null || x === undefined || !isFinite(x)) return 'n/a';
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function fmtRatio(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return 'n/a';
  return (a / b).toFixed(2);
}

/** Prints a titled Markdown table: first column left-aligned, the rest right-aligned. */
export function printTable(title: string, header: string[], rows: string[][], note: string = ''): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] === undefined ? 0 : r[i].length))));
  const line = (cells: string[]): string =>
    '| ' + header.map((_, i) => (i === 0 ? (cells[i] || '').padEnd(widths[i]) : (cells[i] || '').padStart(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  console.log('');
  console.log('## ' + title);
  console.log('');
  console.log(line(header));
  console.log(rule);
  for (const r of rows) console.log(line(r));
  if (note !== '') {
    console.log('');
    console.log(note);
  }
}
