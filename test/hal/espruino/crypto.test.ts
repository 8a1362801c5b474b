import { createEspruinoCrypto } from '../../../hal/espruino/crypto';
import { describeCryptoBackend } from '../crypto-suite';
import { createNodeNative } from '../native/node-native';

// The device Crypto adapter, run on Node over the Node implementation of the native layer: the
// same known-answer suite every backend passes, so the adapter's checks, weak-key rejection,
// Random use and sntrup761 retry protocol are held to the desktop backends' behaviour.
describe('hal/espruino Crypto adapter over the Node native layer', () => {
  const native = createNodeNative();
  describeCryptoBackend('espruino', (random) => createEspruinoCrypto(native, random));
});
