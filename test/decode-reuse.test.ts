// The decoders' record reuse and byte reads: decodeFrame resets a reused PacketInfo lazily, by
// field groups (see PacketInfo.rareDirty), and reads words through a cached DataView (viewOf).
// Property: whatever the record held before, decoding a packet into it gives exactly the fields
// that decoding into a fresh record gives; and the bytes' buffer (its offset, a Node Buffer from
// the pool, a subarray) never changes a field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeFrame, decodeEncapsulated } from '../decoders/frame';
import { PacketInfo } from '../decoders/packet-info';
import { ipv4ChecksumOk } from '../decoders/ipv4';
import { openCaptureFile } from '../src/capture/open';
import { FIXTURES, fixtureBytes } from './decoders-fixtures';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const corpusPresent = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

interface Case {
  bytes: Uint8Array;
  linkType: number;
  name: string;
}

/** Asserts that two records hold the same fields (a loop: deepEqual on every case is slow). */
function assertSameFields(got: PacketInfo, want: PacketInfo, name: string): void {
  const g = got as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(want)) {
    if (k === 'vlanTagOffs') continue;
    if (g[k] !== v) assert.deepEqual(fields(got), fields(want), `${name}: ${k}`);
  }
  for (let i = 0; i < Math.min(want.vlanCount, want.vlanTagOffs.length); i++) {
    if (got.vlanTagOffs[i] !== want.vlanTagOffs[i]) assert.deepEqual(fields(got), fields(want), `${name}: vlanTagOffs`);
  }
}

/** Every field of the record, as [name, value] (the VLAN tag offsets that are valid). */
function fields(p: PacketInfo): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(p)) {
    if (k === 'vlanTagOffs') out.push([k, Array.from(p.vlanTagOffs.subarray(0, Math.min(p.vlanCount, p.vlanTagOffs.length)))]);
    else out.push([k, v]);
  }
  return out;
}

function decodeInto(p: PacketInfo, data: Uint8Array, off: number, capLen: number, linkType: number): number {
  p.capLen = capLen;
  p.frameStart = off;
  p.capEnd = off + capLen;
  p.linkType = linkType;
  return decodeFrame(data, off, capLen, capLen, linkType, p);
}

/** Decodes every case into one reused record (and its encapsulated packet into another) and into fresh ones. */
function checkReuse(cases: Case[]): number {
  const reused = new PacketInfo();
  const reusedInner = new PacketInfo();
  let n = 0;
  for (const c of cases) {
    const fresh = new PacketInfo();
    const st = decodeInto(fresh, c.bytes, 0, c.bytes.length, c.linkType);
    const st2 = decodeInto(reused, c.bytes, 0, c.bytes.length, c.linkType);
    assert.equal(st2, st, c.name);
    assertSameFields(reused, fresh, c.name);
    if (fresh.encapOffset >= 0) {
      const freshInner = new PacketInfo();
      const e = decodeEncapsulated(c.bytes, fresh.encapOffset, fresh.encapEnd, fresh.encapType, freshInner);
      const e2 = decodeEncapsulated(c.bytes, reused.encapOffset, reused.encapEnd, reused.encapType, reusedInner);
      assert.equal(e2, e, c.name + ' (encapsulated)');
      assertSameFields(reusedInner, freshInner, c.name + ' (encapsulated)');
    }
    n++;
  }
  return n;
}

/** Each packet, its prefixes, and some mutations (other bytes, another link type), shuffled. */
function variants(base: Case[], seed: number, maxCut: number, mutations = 8): Case[] {
  const r = rng(seed);
  const out: Case[] = [];
  for (const c of base) {
    out.push(c);
    for (let k = 0; k < Math.min(c.bytes.length, maxCut); k++) {
      out.push({ bytes: c.bytes.subarray(0, k), linkType: c.linkType, name: `${c.name} cut ${k}` });
    }
    for (let m = 0; m < mutations; m++) {
      const b = c.bytes.slice();
      for (let j = 1 + Math.floor(r() * 3); j > 0; j--) {
        const q = Math.floor(r() * Math.min(b.length, 80));
        b[q] = r() < 0.5 ? Math.floor(r() * 256) : b[q] ^ (1 << Math.floor(r() * 8));
      }
      out.push({ bytes: b, linkType: c.linkType, name: `${c.name} mutation ${m}` });
      out.push({ bytes: b, linkType: LINK_TYPES[Math.floor(r() * LINK_TYPES.length)], name: `${c.name} mutation ${m} other link` });
    }
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const fixtureCases: Case[] = FIXTURES.map((f) => ({ bytes: fixtureBytes(f), linkType: f.linkType, name: f.name }));

test('a reused record decodes like a fresh one (fixtures, their prefixes and mutations)', () => {
  const n = checkReuse(variants(fixtureCases, 20261127, 200));
  assert.ok(n > 1000, `${n} cases`);
});

test('a reused record decodes like a fresh one (random bytes behind IPv4, IPv6, VLAN headers)', () => {
  const r = rng(7);
  const heads = ['080045', '86dd60', '8100006408004500', '81000064810000c886dd6000', '88470001410045', '0806'];
  const cases: Case[] = [];
  for (let i = 0; i < 20000; i++) {
    const len = Math.floor(r() * 100);
    const b = new Uint8Array(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
    const h = heads[i % heads.length];
    for (let j = 0; j < h.length / 2 && 12 + j < len; j++) b[12 + j] = parseInt(h.slice(2 * j, 2 * j + 2), 16);
    cases.push({ bytes: b, linkType: i % 7 === 0 ? LINK_TYPES[Math.floor(r() * LINK_TYPES.length)] : 1, name: `random ${i}` });
  }
  checkReuse(cases);
});

test('a reused record decodes like a fresh one (corpus)', { skip: corpusPresent ? false : `no corpus at ${CORPUS}` }, async () => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const q = path.join(d, e.name);
      if (e.isDirectory()) walk(q);
      else if (/\.(pcap|pcapng|cap)$/i.test(e.name)) files.push(q);
    }
  };
  walk(CORPUS);
  const base: Case[] = [];
  for (const f of files) {
    let src;
    try {
      src = await openCaptureFile(f);
    } catch {
      continue; // not a capture we read: the capture tests cover those
    }
    try {
      for await (const b of src.batches()) {
        for (let i = 0; i < b.count; i++) {
          const bytes = b.data.slice(b.offset[i], b.offset[i] + b.capLen[i]);
          base.push({ bytes, linkType: b.linkType[i], name: `${path.relative(CORPUS, f)} #${base.length}` });
        }
      }
    } catch {
      // a damaged file: the packets read so far are enough
    }
  }
  assert.ok(base.length > 1000, `${base.length} corpus packets`);
  checkReuse(variants(base, 99, 0, 2));
});

test('the buffer holding the bytes does not change a field (offsets, pooled Buffers, subarrays)', () => {
  const pool = Buffer.allocUnsafe(3000); // a slice of Node's pool when small: byteOffset != 0
  const big = new Uint8Array(5000);
  const holders = [pool, big, big.subarray(333), Buffer.from(big.buffer, 17, 4000)];
  let k = 0;
  for (const c of variants(fixtureCases, 5, 0)) {
    const fresh = new PacketInfo();
    const st = decodeInto(fresh, c.bytes, 0, c.bytes.length, c.linkType);
    const h = holders[k++ % holders.length];
    const at = 1 + (k % 29);
    h.fill(0xa5);
    h.set(c.bytes, at);
    const p = new PacketInfo();
    // the capture length is what counts, not the bytes after it
    assert.equal(decodeInto(p, h, at, c.bytes.length, c.linkType), st, c.name);
    const moved = fields(p).map(([name, v]): [string, unknown] =>
      typeof v === 'number' && name.endsWith('Off') && v >= 0 ? [name, v - at] : [name, v],
    );
    const want = fields(fresh);
    for (let i = 0; i < want.length; i++) {
      const [name, v] = want[i];
      if (/(Offset|Off|Start|End|capEnd)$/.test(name) || name === 'vlanTagOffs') continue; // offsets move with the bytes
      assert.deepEqual(moved[i], [name, v], `${c.name}: ${name}`);
    }
  }
});

test('IPv4 header checksum verdict equals the byte-pair sum (with options, every fold case)', () => {
  const r = rng(3);
  const refOk = (b: Uint8Array, len: number): boolean => {
    let sum = 0;
    for (let i = 0; i < len; i += 2) sum += (b[i] << 8) | b[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return sum === 0xffff;
  };
  let good = 0;
  for (let i = 0; i < 20000; i++) {
    const len = 20 + 4 * Math.floor(r() * 11);
    const b = new Uint8Array(len);
    const fill = i % 3 === 0 ? 0xff : 0; // runs of 0xff bytes: sums that need two folds
    for (let j = 0; j < len; j++) b[j] = r() < 0.5 ? fill : Math.floor(r() * 256);
    if (i % 2 === 0) {
      // a right checksum half of the time
      b[10] = 0;
      b[11] = 0;
      let sum = 0;
      for (let j = 0; j < len; j += 2) sum += (b[j] << 8) | b[j + 1];
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      const c = ~sum & 0xffff;
      b[10] = c >> 8;
      b[11] = c & 0xff;
    }
    const want = refOk(b, len);
    if (want) good++;
    assert.equal(ipv4ChecksumOk(b, 0, len), want, `header ${Buffer.from(b).toString('hex')}`);
  }
  assert.ok(good > 5000 && good < 15000, `${good} good`);
});
