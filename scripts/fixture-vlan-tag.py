#!/usr/bin/env python3
"""fixture-vlan-tag.py IN.pcap OUT.pcap

Used by scripts/record-fixtures.sh only where the kernel has no 802.1Q support (`ip link add ...
type vlan` fails: "Unknown device type"). Inserts VLAN tags into a classic Ethernet pcap by
address, as the VLAN sub-interfaces would have done:
  10.99.100.0/24, fd00:99:100::/64 (IPv4, IPv6, ARP)  -> 802.1Q tag 100
  10.99.201.0/24 (IPv4, ARP)                          -> 802.1ad tag 200 + 802.1Q tag 300 (Q-in-Q)
  anything else                                       -> untagged
The result is replayed with tcpreplay across the veth and captured again by tcpdump.
"""
import struct
import sys

TPID_8021Q, TPID_8021AD = 0x8100, 0x88A8


def tags_for(frame):
    if len(frame) < 14:
        return []
    et = struct.unpack("!H", frame[12:14])[0]
    addrs = []
    if et == 0x0800 and len(frame) >= 34:
        addrs = [frame[26:30], frame[30:34]]
    elif et == 0x0806 and len(frame) >= 42:
        addrs = [frame[28:32], frame[38:42]]
    elif et == 0x86DD and len(frame) >= 54:
        v6 = [frame[22:38], frame[38:54]]
        if any(a[:8] == bytes.fromhex("fd00009901000000") for a in v6):
            return [(TPID_8021Q, 100)]
        # Neighbour discovery for fd00:99:100::/64 goes to solicited-node multicast: look at the target.
        if len(frame) >= 86 and frame[20] == 58 and frame[54] in (135, 136) and \
                frame[62:70] == bytes.fromhex("fd00009901000000"):
            return [(TPID_8021Q, 100)]
        return []
    for a in addrs:
        if a[:3] == bytes([10, 99, 100]):
            return [(TPID_8021Q, 100)]
        if a[:3] == bytes([10, 99, 201]):
            return [(TPID_8021AD, 200), (TPID_8021Q, 300)]
    return []


def main(src, dst):
    data = open(src, "rb").read()
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        sys.exit(f"{src}: not a little-endian classic pcap")
    out = [data[:24]]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        tags = tags_for(frame)
        ins = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in tags)
        frame = frame[:12] + ins + frame[12:]
        out.append(struct.pack("<IIII", sec, frac, len(frame), orig + len(ins)) + frame)
    open(dst, "wb").write(b"".join(out))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
