// Decoders: fixed packets (tcpdump's reading of each in decoders-fixtures.ts), a prefix sweep of
// every fixture and of every corpus packet, and random bytes. Decoders must never throw, never
// read outside the captured bytes, and report Truncated for a packet cut inside a header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { decodeFrame, decodeEncapsulated, isSupportedLinkType } from '../decoders/frame';
import { DecodeStatus, Layer, PacketInfo, TcpFlag } from '../decoders/packet-info';
import { FIXTURES, fixtureBytes } from './decoders-fixtures';
import { openCaptureFile } from '../src/capture/open';
import { CaptureError } from '../src/capture/batch';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const HAVE_CORPUS = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));

function decode(name: string, cut?: number): { p: PacketInfo; b: Uint8Array; st: DecodeStatus } {
  const f = FIXTURES.find((x) => x.name === name);
  if (!f) throw new Error(`no fixture ${name}`);
  const b = fixtureBytes(f);
  const p = new PacketInfo();
  const len = cut ?? b.length;
  p.capLen = len;
  p.capEnd = len;
  const st = decodeFrame(b, 0, len, b.length, f.linkType, p);
  return { p, b, st };
}

const ip4 = (s: string): number => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);

test('Ethernet / IPv4 / TCP SYN with options', () => {
  const { p, st } = decode('eth_ipv4_tcp_syn');
  assert.equal(st, DecodeStatus.Ok);
  assert.equal(p.layers & (Layer.Ethernet | Layer.Ipv4 | Layer.Tcp), Layer.Ethernet | Layer.Ipv4 | Layer.Tcp);
  assert.equal(p.ethType, 0x0800);
  assert.equal(p.netType, 0x0800);
  assert.equal(p.ethDstOff, 0);
  assert.equal(p.ethSrcOff, 6);
  assert.equal(p.l3Offset, 14);
  assert.equal(p.ipVersion, 4);
  assert.equal(p.ipHeaderLen, 20);
  assert.equal(p.ipTotalLen, 60);
  assert.equal(p.ipId, 4660);
  assert.equal(p.ipDf, 1);
  assert.equal(p.ipMf, 0);
  assert.equal(p.ipTtl, 64);
  assert.equal(p.ipChecksumOk, 1);
  assert.equal(p.src4, ip4('10.0.0.1'));
  assert.equal(p.dst4, ip4('10.0.0.2'));
  assert.equal(p.ipProto, 6);
  assert.equal(p.l4Offset, 34);
  assert.equal(p.srcPort, 40000);
  assert.equal(p.dstPort, 80);
  assert.equal(p.tcpSeq, 1000);
  assert.equal(p.tcpAck, 0);
  assert.equal(p.tcpFlags, TcpFlag.SYN);
  assert.equal(p.tcpWindow, 64240);
  assert.equal(p.tcpHeaderLen, 40);
  assert.equal(p.tcpMss, 1460);
  assert.equal(p.tcpSackOk, 1);
  assert.equal(p.tcpTsVal, 1);
  assert.equal(p.tcpTsEcr, 0);
  assert.equal(p.tcpWscale, 7);
  assert.equal(p.payloadLen, 0);
  assert.equal(p.encapOffset, -1);
});

test('IPv4 header checksum verdict', () => {
  const f = FIXTURES.find((x) => x.name === 'eth_ipv4_tcp_syn')!;
  const b = fixtureBytes(f);
  b[14 + 10] ^= 0xff; // damage the checksum
  const p = new PacketInfo();
  decodeFrame(b, 0, b.length, b.length, 1, p);
  assert.equal(p.ipChecksumOk, 0);
  assert.equal(p.srcPort, 40000, 'a bad checksum is a verdict, not an error');
});

test('Ethernet / 802.1Q / IPv6 / UDP', () => {
  const { p, b, st } = decode('eth_vlan_ipv6_udp');
  assert.equal(st, DecodeStatus.Ok);
  assert.equal(p.vlanCount, 1);
  assert.equal(p.vlanId0, 100);
  assert.equal(p.vlanTagOffs[0], 14);
  assert.equal(p.ethType, 0x8100);
  assert.equal(p.netType, 0x86dd);
  assert.equal(p.ipVersion, 6);
  assert.equal(p.ipTotalLen, 52);
  assert.equal(p.src6Off, 18 + 8);
  assert.equal(b[p.src6Off + 15], 1);
  assert.equal(b[p.dst6Off + 15], 2);
  assert.equal(p.ipProto, 17);
  assert.equal(p.srcPort, 5353);
  assert.equal(p.dstPort, 53);
  assert.equal(p.udpLen, 12);
  assert.equal(p.payloadLen, 4);
});

test('ICMP echo, ARP, SLL, BSD loopback', () => {
  let r = decode('eth_ipv4_icmp_echo');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.icmpType, r.p.icmpCode, r.p.icmpId, r.p.icmpSeq, r.p.srcPort], [8, 0, 16962, 7, -1]);
  r = decode('eth_arp_request');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.equal(r.p.arpOp, 1);
  assert.equal(r.p.l3Offset, 14);
  assert.equal(r.p.ipVersion, 0);
  r = decode('sll_ipv4_udp');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.sllPktType, r.p.sllProto, r.p.ethSrcOff, r.p.srcPort], [0, 0x0800, 6, 5353]);
  assert.equal(r.p.layers & Layer.Ethernet, 0);
  r = decode('null_ipv6_icmpv6_echo');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.nullFamily, r.p.ipVersion, r.p.icmpType, r.p.icmpId, r.p.icmpSeq], [30, 6, 128, 153, 3]);
});

test('BSD loopback: the family in either byte order; LOOP in network order', () => {
  const f = FIXTURES.find((x) => x.name === 'null_ipv6_icmpv6_echo')!;
  const b = fixtureBytes(f);
  b.set([0, 0, 0, 30], 0); // big-endian host
  const p = new PacketInfo();
  assert.equal(decodeFrame(b, 0, b.length, b.length, 0, p), DecodeStatus.Ok);
  assert.equal(p.nullFamily, 30);
  assert.equal(p.ipVersion, 6);
  assert.equal(decodeFrame(b, 0, b.length, b.length, 108, p), DecodeStatus.Ok);
  assert.equal(p.ipVersion, 6);
  b.set([0, 0, 0, 2], 0);
  decodeFrame(b, 0, b.length, b.length, 108, p);
  assert.equal(p.ipVersion, 0, 'family 2 on IPv6 bytes: the IPv4 decoder rejects version 6');
  assert.equal(p.status, DecodeStatus.Malformed);
});

test('IPv4 fragments: only the first carries ports', () => {
  const { p, st } = decode('raw_ipv4_fragment');
  assert.equal(st, DecodeStatus.Ok);
  assert.equal(p.netType, 0x0800);
  assert.equal(p.ipMf, 1);
  assert.equal(p.ipFragOffset, 1480);
  assert.ok(p.layers & Layer.Fragment);
  assert.equal(p.ipProto, 17);
  assert.equal(p.srcPort, -1);
  assert.equal(p.l4Offset, -1);
});

test('IPv6 hop-by-hop + fragment header (first fragment) carries ports', () => {
  const { p, st } = decode('ipv6_hbh_frag_udp');
  assert.equal(st, DecodeStatus.Ok);
  assert.equal(p.ipFirstProto, 0);
  assert.equal(p.ipProto, 17);
  assert.equal(p.ip6FragHdrOff, 48);
  assert.equal(p.ipFragOffset, 0);
  assert.equal(p.ipMf, 1);
  assert.equal(p.ipId, 0xdeadbeef);
  assert.ok(p.layers & Layer.Fragment);
  assert.equal(p.srcPort, 5353);
  // A later fragment: no ports.
  const f = FIXTURES.find((x) => x.name === 'ipv6_hbh_frag_udp')!;
  const b = fixtureBytes(f);
  b[48 + 3] = 0xb9; // offset 23 (184 bytes), M=1
  const q = new PacketInfo();
  decodeFrame(b, 0, b.length, b.length, 229, q);
  assert.equal(q.ipFragOffset, 184);
  assert.equal(q.srcPort, -1);
});

test('802.3 LLC/SNAP and Q-in-Q', () => {
  let r = decode('eth_8023_snap_ipv4');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.equal(r.p.ethType, 40, 'eth.type holds the 802.3 length');
  assert.ok(r.p.layers & Layer.Llc);
  assert.equal(r.p.netType, 0x0800);
  assert.equal(r.p.srcPort, 5353);
  r = decode('eth_qinq_ipv4');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.vlanCount, r.p.vlanId0, r.p.vlanId1, r.p.netType, r.p.dstPort], [2, 100, 200, 0x0800, 53]);
});

test('tunnels: the outer packet in PacketInfo, the inner one decodable from encapOffset', () => {
  let r = decode('eth_ipv4_gre_ipv4');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.equal(r.p.ipProto, 47);
  assert.equal(r.p.srcPort, -1);
  assert.equal(r.p.src4, ip4('10.0.0.1'));
  assert.equal(r.p.encapType, 0x0800);
  assert.equal(r.p.encapOffset, 14 + 20 + 4);
  const inner = new PacketInfo();
  assert.equal(decodeEncapsulated(r.b, r.p.encapOffset, r.p.encapEnd, r.p.encapType, inner), DecodeStatus.Ok);
  assert.equal(inner.src4, ip4('192.168.0.1'));
  assert.equal(inner.dstPort, 53);

  r = decode('eth_ipv4_icmp_unreach');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.icmpType, r.p.icmpCode, r.p.icmpId], [3, 3, -1]);
  assert.equal(r.p.encapOffset, 14 + 20 + 8);
  const st = decodeEncapsulated(r.b, r.p.encapOffset, r.p.encapEnd, r.p.encapType, inner);
  assert.equal(st, DecodeStatus.Ok);
  assert.deepEqual([inner.src4, inner.srcPort, inner.dstPort], [ip4('10.0.0.2'), 5353, 53]);
});

test('VXLAN, MPLS, PPPoE, IPv4 options with ECE/CWR, LOOP, ICMPv6 errors', () => {
  let r = decode('eth_ipv4_udp_vxlan_tcp');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.srcPort, r.p.dstPort, r.p.encapType, r.p.encapOffset], [50000, 4789, 0x6558, 14 + 20 + 8 + 8]);
  const inner = new PacketInfo();
  decodeEncapsulated(r.b, r.p.encapOffset, r.p.encapEnd, r.p.encapType, inner);
  assert.deepEqual([inner.ethType, inner.srcPort, inner.tcpFlags, inner.payloadLen], [0x0800, 443, 0xd8, 5]);
  r = decode('eth_mpls_ipv4_udp');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.mplsCount, r.p.netType, r.p.ipVersion, r.p.dstPort], [2, 0x0800, 4, 53]);
  assert.ok(r.p.layers & Layer.Mpls);
  r = decode('eth_pppoe_ipv6_icmpv6');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.netType, r.p.icmpType, r.p.icmpId, r.p.icmpSeq], [0x86dd, 129, 153, 4]);
  r = decode('eth_ipv4opts_tcp_data');
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.p.ipHeaderLen, r.p.ipChecksumOk, r.p.l4Offset, r.p.payloadLen], [28, 1, 42, 5]);
  assert.equal(r.p.tcpFlags, TcpFlag.CWR | TcpFlag.ECE | TcpFlag.ACK | TcpFlag.PSH);
  assert.deepEqual([r.p.tcpSeq, r.p.tcpAck, r.p.tcpWindow], [0x11223344, 0x55667788, 501]);
  r = decode('loop_ipv4_icmp');
  assert.deepEqual([r.st, r.p.nullFamily, r.p.icmpType], [DecodeStatus.Ok, 2, 8]);
  r = decode('eth_ipv6_icmpv6_unreach');
  assert.deepEqual([r.st, r.p.icmpType, r.p.icmpCode, r.p.encapType], [DecodeStatus.Ok, 1, 4, 0x86dd]);
  decodeEncapsulated(r.b, r.p.encapOffset, r.p.encapEnd, r.p.encapType, inner);
  assert.deepEqual([inner.ipVersion, inner.srcPort, inner.dstPort], [6, 5353, 53]);
});

test('unsupported link types are a status, not an error', () => {
  const p = new PacketInfo();
  assert.equal(decodeFrame(new Uint8Array(64), 0, 64, 64, 127, p), DecodeStatus.Unsupported);
  assert.equal(isSupportedLinkType(127), false);
  assert.equal(isSupportedLinkType(276), true);
});

test('Linux SLL2', () => {
  // SLL2 header: protocol 0x86dd, reserved, ifindex 2, ARPHRD_ETHER, packet type 4 (outgoing),
  // address length 6, address + 2 pad; then the IPv6/UDP packet of eth_vlan_ipv6_udp.
  const v6 = fixtureBytes(FIXTURES.find((x) => x.name === 'eth_vlan_ipv6_udp')!).subarray(18);
  const hdr = Buffer.from('86dd000000000002000104060011223344550000', 'hex');
  const b = Uint8Array.from(Buffer.concat([hdr, Buffer.from(v6)]));
  const p = new PacketInfo();
  assert.equal(decodeFrame(b, 0, b.length, b.length, 276, p), DecodeStatus.Ok);
  assert.deepEqual([p.sllProto, p.sllPktType, p.ethSrcOff, p.ipVersion, p.dstPort], [0x86dd, 4, 12, 6, 53]);
  assert.ok(p.layers & Layer.Sll2);
});

test('malformed headers: bad IHL, TCP data offset < 5, UDP length < 8', () => {
  const b = fixtureBytes(FIXTURES.find((x) => x.name === 'eth_ipv4_tcp_syn')!);
  const p = new PacketInfo();
  const bad = Uint8Array.from(b);
  bad[14] = 0x44;
  assert.equal(decodeFrame(bad, 0, bad.length, bad.length, 1, p), DecodeStatus.Malformed);
  const tcp = Uint8Array.from(b);
  tcp[34 + 12] = 0x40;
  assert.equal(decodeFrame(tcp, 0, tcp.length, tcp.length, 1, p), DecodeStatus.Malformed);
  assert.equal(p.srcPort, 40000, 'fields decoded before the contradiction stay');
  const u = fixtureBytes(FIXTURES.find((x) => x.name === 'sll_ipv4_udp')!);
  u[16 + 20 + 5] = 4;
  assert.equal(decodeFrame(u, 0, u.length, u.length, 113, p), DecodeStatus.Malformed);
  assert.equal(p.dstPort, 53);
});

test('headers that nest (VLAN, Cisco MetaData, Arista, MACsec) are bounded: no stack exhaustion', () => {
  // CMD -> Arista -> CMD -> Arista ... 40000 levels deep in one 320 KB frame.
  const parts = [Buffer.from('66778899aabb0011223344558909', 'hex')];
  for (let i = 0; i < 20000; i++) {
    parts.push(Buffer.from('010100000000d28b', 'hex'), Buffer.from('000100100000000000000000' + '8909', 'hex'));
  }
  const b = Uint8Array.from(Buffer.concat(parts));
  const p = new PacketInfo();
  assert.equal(decodeFrame(b, 0, b.length, b.length, 1, p), DecodeStatus.Malformed);
  // Random sequences of such headers.
  const shim = fc.constantFrom('8100000a', '88a8000b', '9100000c', '010100000000', '0001001000000000000000000000');
  fc.assert(
    fc.property(fc.array(fc.tuple(shim, fc.constantFrom('8100', '88a8', '9100', '8909', 'd28b', '88e5')), { maxLength: 60 }), (hs) => {
      const hex = '66778899aabb001122334455' + hs.map(([h, t]) => t + h).join('') + '0800';
      const f = Uint8Array.from(Buffer.from(hex, 'hex'));
      decodeFrame(f, 0, f.length, f.length, 1, p);
      assert.ok(p.shimCount <= 16);
    }),
    { numRuns: 2000 },
  );
});

/** Decodes data[off .. off+len) (and its inner layers) with every check the sweep makes. */
function checkNoThrow(data: Uint8Array, off: number, len: number, linkType: number, p: PacketInfo, inner: PacketInfo): DecodeStatus {
  const st = decodeFrame(data, off, len, len, linkType, p);
  const end = off + len;
  for (const o of [p.ethDstOff, p.ethSrcOff, p.l3Offset, p.l4Offset, p.src6Off, p.dst6Off, p.encapOffset]) {
    if (o >= 0) assert.ok(o >= off && o < end, `offset ${o} outside [${off}, ${end})`);
  }
  if (p.ipEnd >= 0) assert.ok(p.ipEnd <= end);
  let cur = p;
  for (let n = 0; n < 16 && cur.encapOffset >= 0; n++) {
    assert.ok(cur.encapEnd <= end);
    decodeEncapsulated(data, cur.encapOffset, cur.encapEnd, cur.encapType, inner);
    cur = cur === inner ? new PacketInfo() : inner;
  }
  return st;
}

test('prefix sweep: every fixture cut at every length never throws; short cuts are Truncated', () => {
  const p = new PacketInfo();
  const inner = new PacketInfo();
  for (const f of FIXTURES) {
    const b = fixtureBytes(f);
    const full = decodeFrame(b, 0, b.length, b.length, f.linkType, p);
    assert.equal(full, DecodeStatus.Ok, f.name);
    for (let n = 0; n < b.length; n++) {
      // Decode from a copy of exactly n bytes so any read past the cut would be visible as undefined.
      const cut = b.slice(0, n);
      const st = checkNoThrow(cut, 0, n, f.linkType, p, inner);
      assert.ok(st === DecodeStatus.Truncated || st === DecodeStatus.Ok, `${f.name} cut at ${n}: status ${st}`);
      if (st === DecodeStatus.Ok) {
        // Only a cut inside a payload (after every header) may decode Ok.
        assert.ok(p.payloadOffset >= 0 || p.l3Offset >= 0 || p.arpOp >= 0, `${f.name} cut at ${n}`);
      }
    }
  }
});

test('random bytes never throw, whatever the link type', () => {
  const p = new PacketInfo();
  const inner = new PacketInfo();
  const linkTypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...linkTypes), (b, lt) => {
      checkNoThrow(b, 0, b.length, lt, p, inner);
    }),
    { numRuns: 20000 },
  );
  // Random bytes behind valid headers reach the deeper decoders.
  const prefixes = FIXTURES.map((f) => ({ lt: f.linkType, b: fixtureBytes(f) }));
  fc.assert(
    fc.property(fc.nat(prefixes.length - 1), fc.nat(80), fc.uint8Array({ maxLength: 120 }), (i, keep, tail) => {
      const { lt, b } = prefixes[i];
      const k = Math.min(keep, b.length);
      const buf = new Uint8Array(k + tail.length);
      buf.set(b.subarray(0, k));
      buf.set(tail, k);
      checkNoThrow(buf, 0, buf.length, lt, p, inner);
    }),
    { numRuns: 20000 },
  );
});

test('corpus prefix sweep: every packet of every supported capture, cut at every length', { skip: HAVE_CORPUS ? false : `corpus not found at ${CORPUS}`, timeout: 240_000 }, async (t) => {
  const rows = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).filter((l) => l.length > 0);
  const p = new PacketInfo();
  const inner = new PacketInfo();
  let packets = 0;
  let decodes = 0;
  const statuses = [0, 0, 0, 0];
  for (const row of rows) {
    const cells = row.split('\t');
    const lts = cells[9].split(/[;,]/).map((x) => parseInt(x, 10));
    if (!lts.every(isSupportedLinkType)) continue;
    let src;
    try {
      src = await openCaptureFile(path.join(CORPUS, cells[0]));
    } catch (e) {
      if (e instanceof CaptureError) continue;
      throw e;
    }
    try {
      for await (const b of src.batches()) {
        for (let i = 0; i < b.count; i++) {
          const off = b.offset[i];
          const cap = b.capLen[i];
          const lt = b.linkType[i];
          packets++;
          statuses[checkNoThrow(b.data, off, cap, lt, p, inner)]++;
          // Every length up to 256, then a coarser step: the headers live at the front.
          for (let n = 0; n < cap; n += n < 256 ? 1 : 61) {
            const cut = b.data.slice(off, off + n);
            checkNoThrow(cut, 0, n, lt, p, inner);
            decodes++;
          }
        }
      }
    } catch (e) {
      if (!(e instanceof CaptureError)) throw e;
    }
  }
  t.diagnostic(`corpus: ${packets} packets, ${decodes} cut decodes; full-packet status ok ${statuses[0]}, truncated ${statuses[1]}, malformed ${statuses[2]}, unsupported ${statuses[3]}`);
  assert.ok(packets > 5000);
});
