// `-T fields` conformance on the real-capture corpus: for EVERY packet of EVERY capture whose link
// types portscope decodes, each field below must equal tshark 4.0's value in truth/*.tsv. The
// exceptions are listed with their reason, keyed by capture + field (+ frames); an exception that
// no longer matches anything fails too, so the list stays honest. Runs in-process: the file reader,
// the pipeline and the fields printer, as `portscope dump -r F -T fields -e ...` runs them.
// Skips cleanly when ../shared/corpus is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCaptureFile } from '../src/capture/open';
import { CaptureError } from '../src/capture/batch';
import { PcapngReader } from '../src/capture/pcapng-reader';
import { runPipeline, type PacketSink } from '../src/pipeline';
import { OutBuf } from '../src/print/out';
import { FieldsPrinter, parseFieldsOptions } from '../src/print/fields';
import { isSupportedLinkType } from '../decoders/frame';
import type { PacketInfo } from '../decoders/packet-info';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const HAVE = fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
const SKIP = HAVE ? false : `corpus not found at ${CORPUS}`;

/** The fields compared (every truth column that portscope prints). */
const FIELDS = [
  'frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id',
  'eth.src', 'eth.dst', 'eth.type', 'vlan.id', 'sll.etype', 'null.family',
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.proto', 'ipv6.nxt', 'ip.flags.mf', 'ip.frag_offset',
  'ipv6.fraghdr.offset', 'ipv6.fraghdr.more',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'udp.srcport', 'udp.dstport',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'arp.opcode',
];
const ALL = '*' as const;
/** Pseudo-field of an exception: tshark has packets we do not read at all. */
const MISSING = '(packets)';
const IP_FIELDS = ['ip.src', 'ip.dst', 'ip.proto', 'ip.flags.mf', 'ip.frag_offset'];
const L4 = ['tcp.srcport', 'tcp.dstport', 'tcp.flags', 'udp.srcport', 'udp.dstport', 'icmp.type', 'icmp.code', 'icmpv6.type'];
const INNER = ['eth.src', 'eth.dst', 'eth.type', 'vlan.id', ...IP_FIELDS, 'ipv6.src', 'ipv6.dst', 'ipv6.nxt', ...L4, 'arp.opcode'];

interface Exception {
  file: string;
  /** Fields concerned. */
  fields: string[];
  /** Frame numbers concerned, or ALL. */
  frames: number[] | typeof ALL;
  reason: string;
}

/**
 * Where we knowingly differ from tshark 4.0. Every one is a layer tshark decodes and portscope
 * does not (we decode what statistics and filters need), or a reader decision on broken files.
 */
const EXCEPTIONS: Exception[] = [
  { file: 'tcpdump/tests/DTP.pcap', fields: ['eth.dst'], frames: ALL,
    reason: 'Cisco ISL (dst 01:00:0c:00:00:00): tshark shows the encapsulated frame\'s eth.dst; we do not decode ISL' },
  { file: 'tcpdump/tests/of10_s4810.pcap', fields: INNER, frames: ALL,
    reason: 'OpenFlow 1.0 messages carry whole packets inside TCP; we do not decode application payloads' },
  { file: 'tcpdump/tests/of13_ericsson.pcapng', fields: INNER, frames: ALL,
    reason: 'OpenFlow 1.3 messages carry whole packets inside TCP; we do not decode application payloads' },
  { file: 'tcpdump/tests/sflow-print-v6.pcap', fields: INNER, frames: ALL,
    reason: 'sFlow samples carry packet headers inside UDP; we do not decode application payloads' },
  { file: 'tcpdump/tests/sflow_expanded.pcap', fields: INNER, frames: ALL,
    reason: 'sFlow samples carry packet headers inside UDP; we do not decode application payloads' },
  { file: 'tcpdump/tests/nhrp-trace.pcap', fields: INNER, frames: ALL,
    reason: 'NHRP (GRE 0x2001) error indications quote a packet; we do not decode NHRP' },
  { file: 'tcpdump/tests/nsh.pcap', fields: INNER, frames: ALL,
    reason: 'Network Service Header (EtherType 0x894f) carries a packet; we do not decode NSH' },
  { file: 'tcpdump/tests/nsh-over-vxlan-gpe.pcap', fields: INNER, frames: ALL,
    reason: 'VXLAN-GPE (UDP 4790) + NSH; we do not decode either' },
  { file: 'libpcap/tests/filter/AH-IPcomp-IPv4.pcap', fields: INNER, frames: [3, 4, 5, 7],
    reason: 'IPComp (protocol 108) with DEFLATE: tshark inflates the payload; we do not decompress' },
  { file: 'libpcap/tests/filter/AH-IPcomp-IPv6.pcap', fields: INNER, frames: ALL,
    reason: 'IPComp (next header 108) with DEFLATE: tshark inflates the payload; we do not decompress' },
  { file: 'tcpdump/tests/timestamp_invalid_micro.pcap', fields: ['frame.time_epoch'], frames: [3],
    reason: 'microseconds field >= 10^6: tshark prints a 32-bit overflow artefact; the reader keeps the raw fraction (tcpdump\'s "invalid us")' },
  { file: 'tcpdump/tests/rx_serviceid_oobr.pcap', fields: ['frame.time_epoch'], frames: [2],
    reason: 'microseconds field >= 10^6: tshark prints a 32-bit overflow artefact; the reader keeps the raw fraction (tcpdump\'s "invalid us")' },
  { file: 'tcpdump/tests/timestamp_invalid_nano.pcap', fields: ['frame.time_epoch'], frames: [3],
    reason: 'nanoseconds field >= 10^9: tshark prints a 32-bit overflow artefact; the reader keeps the raw fraction' },
  ...['atm-heapoverflow.pcap', 'atm-oam-heapoverflow.pcap', 'atm-oam-loopback-print-overrun.pcap'].map((f): Exception => ({
    file: `tcpdump/tests/${f}`,
    fields: ['frame.len', 'frame.cap_len'],
    frames: ALL,
    reason: 'LINKTYPE_SUNATM: tshark\'s wiretap moves the 4-byte ATM pseudo-header out of the frame (len and caplen - 4)',
  })),
  { file: 'tcpdump/tests/atm-oam-loopback-print-overrun.pcap', fields: ['frame.time_epoch'], frames: [1],
    reason: 'microseconds field >= 10^6: tshark prints a 32-bit overflow artefact; the reader keeps the raw fraction' },
  { file: 'libpcap/tests/pcap-invalid-version-2.pcap', fields: [MISSING], frames: ALL,
    reason: 'pcap version 2.5: libpcap and tcpdump refuse it ("unsupported pcap savefile version"), tshark reads it' },
];

/**
 * Records longer than the file's snapshot length (tagged caplen>snaplen in the manifest): libpcap,
 * tcpdump and our reader cut them to the snapshot length, tshark keeps every byte. Every field of
 * such a packet is excused when our frame.cap_len is the shorter one.
 */
const CAPLEN_OVER_SNAPLEN = 'caplen>snaplen';

interface Row {
  [k: string]: string;
}

function readTsv(file: string): { head: string[]; rows: string[][] } {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  return { head: lines.length > 0 ? lines[0].split('\t') : [], rows: lines.slice(1).map((l) => l.split('\t')) };
}

function manifest(): Row[] {
  const { head, rows } = readTsv(path.join(CORPUS, 'MANIFEST.tsv'));
  return rows.map((cells) => {
    const r: Row = {};
    head.forEach((h, i) => (r[h] = cells[i] ?? ''));
    return r;
  });
}

/** "1:EN10MB(hi=0x3000);113:LINUX_SLL" -> [1, 113]. */
function linkTypes(s: string): number[] {
  return s.split(/[;,]/).filter((x) => x.length > 0).map((x) => parseInt(x, 10));
}

/** Runs reader + pipeline + fields printer over one capture; returns one line per packet. */
async function fieldsOf(file: string): Promise<{ lines: string[]; error: string | null }> {
  const lines: string[] = [];
  const out = new OutBuf(-1, 1 << 16);
  let src;
  try {
    src = await openCaptureFile(file);
  } catch (e) {
    if (e instanceof CaptureError) return { lines, error: e.message };
    throw e;
  }
  const opts = parseFieldsOptions([]);
  opts.interfaceIds = src instanceof PcapngReader;
  const printer = new FieldsPrinter(out, FIELDS, opts);
  const sink: PacketSink = {
    onPacket(p: PacketInfo, data: Uint8Array): void {
      printer.onPacket(p, data);
      lines.push(out.take().replace(/\n$/, ''));
    },
  };
  try {
    await runPipeline(src, { decode: true, sinks: [sink] });
  } catch (e) {
    if (e instanceof CaptureError) return { lines, error: e.message };
    throw e;
  }
  return { lines, error: null };
}

test('fields: every packet of the corpus agrees with tshark 4.0 (listed exceptions aside)', { skip: SKIP, timeout: 120_000 }, async (t) => {
  const rows = manifest();
  let files = 0;
  let packets = 0;
  let compared = 0;
  let excused = 0;
  let cutPackets = 0;
  let frameOnlyFiles = 0;
  const skipped = new Map<string, number>();
  const used = new Map<Exception, number>();
  const failures: string[] = [];
  const byField = new Map<string, number>();
  for (const r of rows) {
    const lts = linkTypes(r.linktypes);
    // Link types we do not decode still get the frame.* fields compared.
    const frameOnly = lts.length === 0 || !lts.every(isSupportedLinkType);
    if (frameOnly) frameOnlyFiles++;
    const truthFile = path.join(CORPUS, r.truth);
    if (!r.truth || !fs.existsSync(truthFile)) {
      skipped.set('no truth file', (skipped.get('no truth file') ?? 0) + 1);
      continue;
    }
    const truth = readTsv(truthFile);
    if (truth.rows.length === 0) {
      skipped.set('empty truth (tshark read no packet)', (skipped.get('empty truth (tshark read no packet)') ?? 0) + 1);
      continue;
    }
    const cols = FIELDS.map((f) => (frameOnly && !f.startsWith('frame.') ? -1 : truth.head.indexOf(f)));
    const mine = await fieldsOf(path.join(CORPUS, r.path));
    files++;
    const exc = EXCEPTIONS.filter((e) => e.file === r.path);
    const cutBySnaplen = r.tags.split(',').includes(CAPLEN_OVER_SNAPLEN);
    const capCol = truth.head.indexOf('frame.cap_len');
    for (let i = 0; i < truth.rows.length; i++) {
      const want = truth.rows[i];
      const frame = Number(want[0]);
      const got = (mine.lines[i] ?? '').split('\t');
      if (i >= mine.lines.length) {
        const e = exc.find((x) => x.fields.includes(MISSING));
        if (e) {
          used.set(e, (used.get(e) ?? 0) + truth.rows.length - i);
          excused += truth.rows.length - i;
          break;
        }
        failures.push(`${r.path}#${frame}: packet missing (tshark has ${truth.rows.length}, we read ${mine.lines.length}${mine.error ? `: ${mine.error}` : ''})`);
        break;
      }
      packets++;
      if (cutBySnaplen && Number(got[FIELDS.indexOf('frame.cap_len')]) < Number(want[capCol])) {
        cutPackets++;
        continue;
      }
      for (let j = 0; j < FIELDS.length; j++) {
        if (cols[j] < 0) continue;
        compared++;
        const w = want[cols[j]] ?? '';
        const g = got[j] ?? '';
        if (w === g) continue;
        const e = exc.find((x) => x.fields.includes(FIELDS[j]) && (x.frames === ALL || x.frames.includes(frame)));
        if (e) {
          used.set(e, (used.get(e) ?? 0) + 1);
          excused++;
          continue;
        }
        byField.set(FIELDS[j], (byField.get(FIELDS[j]) ?? 0) + 1);
        failures.push(`${r.path}#${frame} ${FIELDS[j]}: tshark "${w}", portscope "${g}"`);
      }
    }
  }
  const unused = EXCEPTIONS.filter((e) => !used.has(e)).map((e) => `${e.file} [${e.fields.join(',')}]`);
  t.diagnostic(
    `files ${files}, packets ${packets}, fields compared ${compared}, excused ${excused} ` +
      `(${EXCEPTIONS.length} exceptions), packets cut by the snaplen (not compared) ${cutPackets}, ` +
      `files of link types we do not decode (frame.* compared only) ${frameOnlyFiles}, ` +
      `mismatches ${failures.length}; skipped: ` +
      [...skipped].map(([k, v]) => `${v} ${k}`).join(', '),
  );
  for (const [e, n] of used) t.diagnostic(`excused ${n}: ${e.file}: ${e.reason}`);
  if (byField.size > 0) t.diagnostic(`mismatches by field: ${[...byField].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  assert.ok(files > 500, `only ${files} captures compared`);
  assert.deepEqual(failures.slice(0, 40), [], `${failures.length} mismatches`);
  assert.deepEqual(unused, [], 'exceptions that no longer match anything: remove them');
});
