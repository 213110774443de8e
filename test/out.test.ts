import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { OutBuf } from '../src/print/out';

function v6(hex: string): string {
  const o = new OutBuf(-1, 8192);
  o.ipv6(Buffer.from(hex, 'hex'), 0);
  return o.take();
}

test('IPv6 text follows inet_ntop (RFC 5952)', () => {
  assert.equal(v6('00000000000000000000000000000000'), '::');
  assert.equal(v6('00000000000000000000000000000001'), '::1');
  assert.equal(v6('fe800000000000000202b3fffe1e8329'), 'fe80::202:b3ff:fe1e:8329');
  assert.equal(v6('20010db8000000010000000000000001'), '2001:db8:0:1::1');
  assert.equal(v6('20010db8000000000001000000000001'), '2001:db8::1:0:0:1');
  assert.equal(v6('00000000000000000000ffffc0000201'), '::ffff:192.0.2.1');
  assert.equal(v6('000000000000000000000000c0000201'), '::192.0.2.1');
  assert.equal(v6('20010db8000100000000000000000000'), '2001:db8:1::');
  assert.equal(v6('20010db8000000010001000100010001'), '2001:db8:0:1:1:1:1:1');
});

test('decimal, padding and escaping', () => {
  const o = new OutBuf(-1, 8192);
  o.dec(0); o.byte(32); o.dec(4294967295); o.byte(32); o.decPad(42, 6); o.byte(32); o.int(-7); o.byte(32);
  o.ipv4(0xc0a80001); o.byte(32); o.hex(0xbeef);
  o.byte(32);
  o.escaped(Uint8Array.from([0x41, 0x1b, 0x5b, 0x07, 0x7f, 0x80, 0x7a]), 0, 7);
  assert.equal(o.take(), '0 4294967295 000042 -7 192.168.0.1 beef A.[...z');
});
