import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ed25519Signer, keyId, loadSigningKey, type Ed25519NoteSigner } from '@permit-ledger/event-store';
import { loadOrCreateLedgerKey, type AppConfig } from '@permit-ledger/config';
import { APP_CONFIG } from '../platform/store/tokens.js';

/**
 * The ledger's Ed25519 key (LEDGER_SIGNING_KEY, checked by the configuration; outside production the one
 * generated once into DATA_DIR when unset). It signs both the anchors' statements (PEM public key, `keyId`)
 * and the checkpoints as C2SP notes under the key name LEDGER_ORIGIN (the verifier key).
 */
@Injectable()
export class LedgerKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly signer: Ed25519NoteSigner;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.privateKey = loadSigningKey(config.ledgerSigningKey ?? loadOrCreateLedgerKey(config.dataDir));
    this.publicKey = createPublicKey(this.privateKey);
    // The PKCS#8 DER of an Ed25519 key ends in its 32-byte seed (RFC 8410).
    const seed = this.privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32);
    this.signer = ed25519Signer(config.ledgerOrigin, seed);
  }

  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  }

  keyId(): string {
    return keyId(this.publicKey);
  }

  /** The C2SP note verifier key of the checkpoints: `<origin>+<8 hex>+<base64(0x01 || key)>`. */
  verifierKey(): string {
    return this.signer.verifierKey;
  }
}
