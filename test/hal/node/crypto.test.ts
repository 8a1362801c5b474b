import { createNodeCrypto } from '../../../hal/node/crypto';
import { describeCryptoBackend } from '../crypto-suite';

describeCryptoBackend('node', createNodeCrypto);
