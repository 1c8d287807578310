import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { keyId, loadSigningKey } from '@permit-ledger/event-store';
import { ConfigError, type AppConfig } from '@permit-ledger/config';
import { APP_CONFIG } from '../platform/store/tokens.js';

/** The Ed25519 key that signs anchors (LEDGER_SIGNING_KEY: PEM text or a path to a PEM file), if configured. */
@Injectable()
export class LedgerKeys {
  readonly privateKey: KeyObject | null;
  readonly publicKey: KeyObject | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const raw = config.ledgerSigningKey;
    if (!raw) {
      this.privateKey = this.publicKey = null;
      return;
    }
    const pem = raw.includes('-----BEGIN') ? raw : existsSync(raw) ? readFileSync(raw, 'utf8') : '';
    let key: KeyObject;
    try {
      key = loadSigningKey(pem);
    } catch (error) {
      throw new ConfigError('LEDGER_SIGNING_KEY', `must be an Ed25519 private key in PEM, or a path to one (${(error as Error).message})`);
    }
    this.privateKey = key;
    this.publicKey = createPublicKey(key);
  }

  publicKeyPem(): string | null {
    return this.publicKey ? (this.publicKey.export({ type: 'spki', format: 'pem' }) as string) : null;
  }

  keyId(): string | null {
    return this.publicKey ? keyId(this.publicKey) : null;
  }
}
