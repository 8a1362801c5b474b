import { createPortableCrypto } from '../../../hal/portable/crypto';
import { describeCryptoBackend } from '../crypto-suite';

describeCryptoBackend('portable', createPortableCrypto);
