import { describe, expect, it } from 'vitest';
import { isInternalAddress, signNotification } from './webhook-notifications';

describe('webhook notifications: where they may go and how they are signed', () => {
  it('treats loopback, private, link-local, CGNAT, multicast and mapped forms as internal', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.5',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not-an-ip',
    ])
      expect(isInternalAddress(address), address).toBe(true);
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:1.1.1.1'])
      expect(isInternalAddress(address), address).toBe(false);
  });

  it('signs "<t>.<body>" with HMAC-SHA256 of the secret (known answer from openssl)', () => {
    // printf '1900000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    expect(signNotification('whsec_test', 1_900_000_000, '{"a":1}')).toBe(
      't=1900000000,v1=82913c2204faed20fdf6251468b6b534b0724137eda8ef35775743a990a47b11',
    );
  });
});
