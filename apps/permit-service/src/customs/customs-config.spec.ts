import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@permit-ledger/config';
import { signNotification, verifyNotification } from './signature.js';

const base = () => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'customs-config-')), AUTH_JWT_SECRET: 'x'.repeat(32) });
const refusal = (env: Record<string, string>) => {
  try {
    loadConfig({ ...base(), ...env });
  } catch (error) {
    return error instanceof ConfigError ? error.variable : String(error);
  }
  return null;
};

describe('customs webhook configuration', () => {
  it('is off when CUSTOMS_WEBHOOK_URL is unset, with the default timeouts', () => {
    expect(loadConfig(base())).toMatchObject({
      customsWebhookUrl: null,
      customsWebhookSecret: null,
      customsWebhookTimeoutMs: 10_000,
      customsWebhookMaxBackoffMs: 60_000,
    });
  });

  it('requires a secret of 32 bytes or more with the URL, naming the variable that is wrong', () => {
    expect(refusal({ CUSTOMS_WEBHOOK_URL: 'https://customs.example/hooks' })).toBe('CUSTOMS_WEBHOOK_SECRET');
    expect(refusal({ CUSTOMS_WEBHOOK_URL: 'https://customs.example/hooks', CUSTOMS_WEBHOOK_SECRET: 'short' })).toBe(
      'CUSTOMS_WEBHOOK_SECRET',
    );
    expect(refusal({ CUSTOMS_WEBHOOK_URL: 'ftp://customs.example', CUSTOMS_WEBHOOK_SECRET: 's'.repeat(32) })).toBe('CUSTOMS_WEBHOOK_URL');
    expect(refusal({ CUSTOMS_WEBHOOK_TIMEOUT_MS: '5' })).toBe('CUSTOMS_WEBHOOK_TIMEOUT_MS');
    expect(
      loadConfig({ ...base(), CUSTOMS_WEBHOOK_URL: 'https://customs.example/hooks', CUSTOMS_WEBHOOK_SECRET: 's'.repeat(32) }),
    ).toMatchObject({ customsWebhookUrl: 'https://customs.example/hooks', customsWebhookSecret: 's'.repeat(32) });
  });
});

describe('the notification signature', () => {
  const secret = 's'.repeat(32);
  const body = '{"notificationId":"e1"}';

  it('verifies with the secret over the exact body and its timestamp', () => {
    const header = signNotification(secret, body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyNotification(secret, body, header, 1_700_000_010)).toEqual({ ok: true });
  });

  it('refuses another secret, another body, a replay outside the tolerance and a malformed header', () => {
    const header = signNotification(secret, body, 1_700_000_000);
    expect(verifyNotification('t'.repeat(32), body, header, 1_700_000_000)).toMatchObject({ ok: false, reason: 'signature mismatch' });
    expect(verifyNotification(secret, body + ' ', header, 1_700_000_000)).toMatchObject({ ok: false });
    expect(verifyNotification(secret, body, header, 1_700_000_301)).toMatchObject({ ok: false, reason: 'timestamp outside the tolerance' });
    expect(verifyNotification(secret, body, 'v1=abc', 1_700_000_000)).toMatchObject({ ok: false, reason: 'malformed signature header' });
    expect(verifyNotification(secret, body, undefined, 1_700_000_000)).toMatchObject({ ok: false });
  });
});
