#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# netpkt.py - frames the shell tests cannot make with iproute2 and ping:
#
#   vlan-send IF VID N        N broadcast frames tagged VID on IF
#   vlan-recv IF VID SECONDS  count frames tagged VID seen on IF (a tag is
#                             read from PACKET_AUXDATA, where the kernel
#                             puts it after taking it off the frame)
#   gso-send IP PORT SEG N    one send of N datagrams of SEG bytes with
#                             UDP_SEGMENT: one UDP super-frame
#   udp-recv IP PORT SECONDS  the datagrams received, as "count size,size"
#   pcap FILE                 "frames link-type max-length" of a pcap file
#   fuzz-seeds DIR            inputs for hk-net-fuzz that reach each branch
#                             of the frame path (see net-server/fuzz.c)
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
UDP_SEGMENT = 103
MARK = b"hybridkit-vlan-test"


def vlan_send(ifname, vid, n):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    src = s.getsockname()[4]
    frame = (b"\xff" * 6 + src + struct.pack("!HH", 0x8100, vid) +
             struct.pack("!H", 0x88B5) + MARK + b"\0" * 30)
    for _ in range(n):
        s.send(frame)
        time.sleep(0.02)


def vlan_recv(ifname, vid, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, 0))
    s.settimeout(0.2)
    seen = 0
    end = time.time() + seconds
    while time.time() < end:
        try:
            data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(64))
        except socket.timeout:
            continue
        tci = None
        for level, kind, value in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                status = struct.unpack_from("I", value, 0)[0]
                if status & TP_STATUS_VLAN_VALID:
                    tci = struct.unpack_from("H", value, 16)[0]
        if tci is None and data[12:14] == b"\x81\x00":
            tci = struct.unpack_from("!H", data, 14)[0]
        if tci is not None and tci & 0xFFF == vid and MARK in data:
            seen += 1
    print(seen)


def gso_send(ip, port, seg, n):
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, seg)
    s.sendto(bytes((i // seg) & 0xFF for i in range(seg * n)), (ip, port))


def udp_recv(ip, port, seconds):
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((ip, port))
    s.settimeout(seconds)
    sizes = []
    good = True
    try:
        while True:
            d = s.recv(65536)
            sizes.append(len(d))
            good = good and len(set(d)) == 1
            s.settimeout(0.5)
    except socket.timeout:
        pass
    print(len(sizes), ",".join(map(str, sizes)) or "-", "intact" if good else "mixed")


def pcap(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic, _, _, _, _, snap, link = struct.unpack("<IHHiIII", head)
        if magic != 0xA1B2C3D4:
            print("bad-magic")
            return
        frames = longest = 0
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            _, _, caplen, _ = struct.unpack("<IIII", rec)
            f.read(caplen)
            frames += 1
            longest = max(longest, caplen)
    print(frames, link, longest)


def vnet(flags=0, gso=0, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0):
    return struct.pack("<BBHHHH", flags, gso, hdr_len, gso_size, csum_start, csum_offset)


def ipv4(proto, payload, dst=b"\x0a\x00\x00\x01"):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, 0x4000, 64, proto, 0,
                       b"\x0a\x00\x00\x02", dst) + payload


def ipv6(nh, payload, dst):
    src = bytes.fromhex("fd000000000000000000000000000002")
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 255) + src + dst + payload


def fuzz_seeds(d):
    import os
    mac_a, mac_s = b"\x02\x00\x00\x00\x00\x02", b"\x02\x68\x6b\x00\x00\x01"
    bcast, other = b"\xff" * 6, b"\x02\x00\x00\x00\x00\x09"
    ip6_s = bytes.fromhex("fd000000000000000000000000000001")
    tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1000, 0, 0x50, 0x18, 65535, 0, 0)
    udp = struct.pack("!HHHH", 40000, 53, 0, 0)
    seeds = {
        "arp": b"\0" + vnet() + bcast + mac_a + b"\x08\x06" +
        struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac_a, b"\x0a\0\0\x02",
                    b"\0" * 6, b"\x0a\0\0\x01"),
        "echo": b"\0" + vnet() + mac_s + mac_a + b"\x08\x00" +
        ipv4(1, b"\x08\x00\x00\x00\x00\x01\x00\x01" + b"x" * 56),
        "ns": b"\0" + vnet() + b"\x33\x33\xff\x00\x00\x01" + mac_a + b"\x86\xdd" +
        ipv6(58, b"\x87\0\0\0\0\0\0\0" + ip6_s + b"\x01\x01" + mac_a,
             bytes.fromhex("ff0200000000000000000001ff000001")),
        "echo6": b"\0" + vnet() + mac_s + mac_a + b"\x86\xdd" +
        ipv6(58, b"\x80\0\0\0\0\x01\0\x01" + b"y" * 56, ip6_s),
        "tso4": b"\0" + vnet(1, 1, 54, 1448, 34, 16) + other + mac_a + b"\x08\x00" +
        ipv4(6, tcp + b"z" * 5000, b"\x0a\0\0\x09"),
        "tso6": b"\0" + vnet(1, 4, 74, 1428, 54, 16) + other + mac_a + b"\x86\xdd" +
        ipv6(6, tcp + b"z" * 5000, bytes.fromhex("fd000000000000000000000000000009")),
        "uso4": b"\0" + vnet(1, 5, 42, 1000, 34, 6) + other + mac_a + b"\x08\x00" +
        ipv4(17, udp + b"u" * 4000, b"\x0a\0\0\x09"),
        "csum": b"\0" + vnet(1, 0, 0, 0, 34, 6) + other + mac_a + b"\x08\x00" +
        ipv4(17, udp + b"c" * 300, b"\x0a\0\0\x09"),
        "vlan": b"\x01" + vnet() + bcast + mac_a + b"\x81\x00\x00\x2a\x08\x06" + b"\0" * 28,
    }
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main(argv):
    cmd = argv[1]
    if cmd == "vlan-send":
        vlan_send(argv[2], int(argv[3]), int(argv[4]))
    elif cmd == "vlan-recv":
        vlan_recv(argv[2], int(argv[3]), float(argv[4]))
    elif cmd == "gso-send":
        gso_send(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif cmd == "udp-recv":
        udp_recv(argv[2], int(argv[3]), float(argv[4]))
    elif cmd == "pcap":
        pcap(argv[2])
    elif cmd == "fuzz-seeds":
        fuzz_seeds(argv[2])
    else:
        sys.exit("netpkt.py: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
