#!/usr/bin/env python3
"""Small network peers for scripts/record-fixtures.sh (standard library only, Python >= 3.7).

  fixture-peer.py serve
      In the server namespace, until killed, on every address (IPv4 and IPv6):
        TCP 8081  reads one chunk, answers "bye\\n", then closes with SO_LINGER 0 -> RST (Zeek RSTR)
        TCP 8082  reads until EOF or reset (the client aborts it: Zeek RSTO)
        TCP 8083  echo: sends back what it reads, closes after the client's FIN (Zeek SF)
        UDP 9999  echo: one datagram back per datagram
        UDP/TCP 53  a tiny authoritative DNS server for the zone "fixture.test":
                    A/AAAA for www, mail, ns1; NXDOMAIN for anything else
  fixture-peer.py rst-client HOST PORT LOCAL_PORT
      Connects from LOCAL_PORT, sends "hello\\n", waits 0.2 s (the ACK), closes with SO_LINGER 0 (RST).

Prints "ready" on stdout once every socket listens.
"""
import socket
import struct
import sys
import threading
import time

ZONE = "fixture.test"
RECORDS = {
    "www": ("10.99.0.80", "fd00:99::80"),
    "mail": ("10.99.0.25", "fd00:99::25"),
    "ns1": ("10.99.0.2", "fd00:99::2"),
}
QTYPE_A, QTYPE_AAAA = 1, 28


def dns_answer(query):
    """Builds the response to one DNS query message (bytes), or None if it is not a query."""
    if len(query) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qd != 1:
        return None
    # Question: labels, then QTYPE, QCLASS.
    off, labels = 12, []
    while off < len(query):
        n = query[off]
        off += 1
        if n == 0:
            break
        labels.append(query[off:off + n].decode("ascii", "replace").lower())
        off += n
    if off + 4 > len(query):
        return None
    qtype, qclass = struct.unpack("!HH", query[off:off + 4])
    question = query[12:off + 4]
    name = ".".join(labels)
    answers = []
    rcode = 0
    host = name[: -len(ZONE) - 1] if name.endswith("." + ZONE) else None
    if host in RECORDS:
        v4, v6 = RECORDS[host]
        if qtype == QTYPE_A:
            answers.append(struct.pack("!HHHIH", 0xC00C, QTYPE_A, 1, 300, 4) + socket.inet_pton(socket.AF_INET, v4))
        elif qtype == QTYPE_AAAA:
            answers.append(struct.pack("!HHHIH", 0xC00C, QTYPE_AAAA, 1, 300, 16) + socket.inet_pton(socket.AF_INET6, v6))
    elif name != ZONE:
        rcode = 3  # NXDOMAIN
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | rcode  # QR, AA, copy RD
    header = struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0)
    return header + question + b"".join(answers)


def listeners(kind, port):
    """One IPv6 dual-stack socket (IPv4-mapped addresses reach it too)."""
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    if kind == socket.SOCK_STREAM:
        s.listen(16)
    return s


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        chunk = c.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_server(sock, handler):
    def loop():
        while True:
            c, _ = sock.accept()
            threading.Thread(target=guarded, args=(handler, c), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def guarded(handler, c):
    try:
        handler(c)
    except OSError:
        pass
    finally:
        try:
            c.close()
        except OSError:
            pass


def abort(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def rst_after_read(c):
    c.recv(4096)
    c.sendall(b"bye\n")
    abort(c)


def drain(c):
    while c.recv(4096):
        pass


def echo(c):
    while True:
        d = c.recv(4096)
        if not d:
            break
        c.sendall(d)


def dns_tcp(c):
    while True:
        hdr = recv_exact(c, 2)
        if hdr is None:
            return
        q = recv_exact(c, struct.unpack("!H", hdr)[0])
        if q is None:
            return
        r = dns_answer(q)
        if r is not None:
            c.sendall(struct.pack("!H", len(r)) + r)


def udp_server(sock, respond):
    def loop():
        while True:
            d, addr = sock.recvfrom(65535)
            r = respond(d)
            if r is not None:
                sock.sendto(r, addr)
    threading.Thread(target=loop, daemon=True).start()


def serve():
    tcp_server(listeners(socket.SOCK_STREAM, 8081), rst_after_read)
    tcp_server(listeners(socket.SOCK_STREAM, 8082), drain)
    tcp_server(listeners(socket.SOCK_STREAM, 8083), echo)
    tcp_server(listeners(socket.SOCK_STREAM, 53), dns_tcp)
    udp_server(listeners(socket.SOCK_DGRAM, 9999), lambda d: d)
    udp_server(listeners(socket.SOCK_DGRAM, 53), dns_answer)
    print("ready", flush=True)
    threading.Event().wait()


def rst_client(host, port, lport):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", lport))
    c.settimeout(5)
    c.connect((host, port))
    c.sendall(b"hello\n")
    time.sleep(0.2)
    abort(c)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["rst-client"] and len(sys.argv) == 5:
        rst_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
