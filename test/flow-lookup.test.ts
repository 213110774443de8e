// FlowTable's lookup path (the per-direction cache in front of its KeyTable, the LRU list,
// eviction, idle expiry and id reuse) against a plain Map model: random UDP traffic over IPv4 and
// IPv6 among more keys than the table holds, so cache entries go stale as ids are freed and reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketInfo } from '../decoders/packet-info';
import { FlowTable, FlowRecord } from '../src/stats/flows';

/** xorshift32: deterministic traffic. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

interface Endpoint {
  /** IPv4 address, or the last word of an IPv6 one. */
  addr: number;
  port: number;
}

const DATA = new Uint8Array(64);
const SRC6 = 8;
const DST6 = 24;

function fill(p: PacketInfo, fam: number, s: Endpoint, d: Endpoint, t: number): void {
  p.reset();
  p.ipVersion = fam;
  p.ipProto = 17;
  p.ipFirstProto = 17;
  p.srcPort = s.port;
  p.dstPort = d.port;
  p.payloadLen = 10;
  p.ipTotalLen = fam === 4 ? 38 : 58;
  p.wireLen = p.ipTotalLen + 14;
  p.capLen = p.wireLen;
  p.tsSec = 1_700_000_000 + Math.floor(t / 1e6);
  p.tsNsec = (t % 1e6) * 1000;
  if (fam === 4) {
    p.src4 = s.addr;
    p.dst4 = d.addr;
  } else {
    // 2001:db8::<addr>
    for (const [off, a] of [[SRC6, s.addr], [DST6, d.addr]] as const) {
      DATA.fill(0, off, off + 16);
      DATA[off] = 0x20; DATA[off + 1] = 0x01; DATA[off + 2] = 0x0d; DATA[off + 3] = 0xb8;
      DATA[off + 12] = a >>> 24; DATA[off + 13] = (a >>> 16) & 0xff; DATA[off + 14] = (a >>> 8) & 0xff; DATA[off + 15] = a & 0xff;
    }
    p.src6Off = SRC6;
    p.dst6Off = DST6;
  }
}

function modelKey(fam: number, s: Endpoint, d: Endpoint): string {
  const x = `${s.addr}:${s.port}`;
  const y = `${d.addr}:${d.port}`;
  return `${fam}|${x < y ? x + '|' + y : y + '|' + x}`;
}

test('flow lookup: packets, evictions, expiries and LRU order match a Map model', () => {
  const CAP = 500;
  const TIMEOUT = 8_000; // µs
  const flows = new FlowTable({ maxFlows: CAP, udpTimeout: TIMEOUT / 1e6 });
  const rec = new FlowRecord();
  const next = rng(12345);
  // 1200 flows between 40 hosts (some addresses above 2^31), both families
  const hosts = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0xc0000200 : 0x0a000000) + i);
  const pairs: { fam: number; a: Endpoint; b: Endpoint }[] = [];
  for (let i = 0; i < 1200; i++) {
    const h1 = hosts[next() % hosts.length];
    const h2 = hosts[next() % hosts.length];
    pairs.push({ fam: i % 5 === 0 ? 6 : 4, a: { addr: h1, port: 1000 + (next() % 50) }, b: { addr: h2, port: 2000 + (next() % 50) } });
  }
  // Map insertion order = LRU order (oldest first): [packets, last time]
  const model = new Map<string, [number, number]>();
  const keyOfId = new Map<number, string>();
  let evicted = 0;
  let expired = 0;
  let total = 0;
  const p = new PacketInfo();
  let t = 0;
  let last = 0; // time of the previous packet (the table's clock when expire() runs)
  for (let n = 0; n < 60_000; n++) {
    t += next() % 1024 === 0 ? 2000 : 10; // µs; pauses let idle flows expire
    // skewed: a few pairs carry most packets, many are seen rarely (evicted in between)
    const u = next() / 4294967296;
    const pr = pairs[Math.floor(u * u * pairs.length)];
    const fwd = (next() & 1) === 0;
    const s = fwd ? pr.a : pr.b;
    const d = fwd ? pr.b : pr.a;
    const key = modelKey(pr.fam, s, d);
    if (n % 256 === 0) {
      // between batches: idle flows end, idlest first
      flows.expire();
      for (const [k, v] of model) {
        if (last - v[1] <= TIMEOUT) break;
        model.delete(k);
        expired++;
      }
    }
    let seen = model.get(key);
    if (seen !== undefined) {
      model.delete(key);
      if (t - seen[1] > TIMEOUT) {
        // idle too long: a new flow under the same key
        seen = undefined;
        expired++;
        total++;
      }
    } else {
      total++;
      if (model.size === CAP) {
        const oldest = model.keys().next().value as string;
        model.delete(oldest);
        evicted++;
      }
    }
    model.set(key, [(seen?.[0] ?? 0) + 1, t]);
    last = t;

    fill(p, pr.fam, s, d, t);
    const id = flows.add(p, DATA);
    assert.ok(id >= 0, `packet ${n}`);
    keyOfId.set(id, key);
    flows.readFlow(id, rec);
    assert.equal(rec.origPkts + rec.respPkts, model.get(key)?.[0], `packet ${n}: count of ${key}`);
    assert.equal(rec.family, pr.fam);
    const origIsSrc = flows.lastFromOrig === 1;
    const o = origIsSrc ? s : d;
    assert.equal(rec.origPort, o.port, `packet ${n}: direction`);
    assert.equal(rec.origAddr[pr.fam === 4 ? 0 : 3], o.addr, `packet ${n}: direction`);
  }
  assert.equal(flows.evicted, evicted);
  assert.equal(flows.expired, expired);
  assert.equal(flows.total, total);
  assert.ok(evicted > 5000 && expired > 5000, `evictions (${evicted}) and expiries (${expired}) exercised`);
  // most recently used first
  const order: string[] = [];
  flows.table.forEach((id) => order.push(keyOfId.get(id) as string));
  assert.deepEqual(order, [...model.keys()].reverse());
});
