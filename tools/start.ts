/**
 * `npm start`: the project's main job. It will open the desktop simulator (two SimpleGo
 * devices pairing and chatting); until that lands, it says so and points at what works.
 */
const lines = [
  'SimpleGo firmware: the desktop simulator is not built yet (it is the device application issue).',
  '',
  'What works today:',
  '  npm test            run the test suite (crypto known answers, encodings, HAL backends, device lint)',
  '  npm run bench       crypto benchmark table: portable vs Node backend vs direct node:crypto',
  '  npm run typecheck   TypeScript strict check, including firmware/ without Node types',
  '  npm run lint:device reject constructs Espruino cannot run in firmware/ and the HAL interfaces',
];
console.log(lines.join('\n'));
