#!/usr/bin/env python3
"""make-corpus.py - writes the checked-in seed corpus of the fuzz targets (fuzz/corpus/TARGET/)
from scratch: a few small valid inputs of each target's input format, and invalid ones near the
edges, and the regressions of bugs found (named regress-*). An input a fuzzer finds that
crashed is added here too, as a regress-* line, once its bug is fixed. Usage: fuzz/make-corpus.py [DIR]   (default fuzz/corpus)"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def u32(*v):
    return struct.pack("<%dI" % len(v), *v)


def ram(size, *placed):
    """Guest RAM of size bytes with (address, bytes) pairs written into it."""
    b = bytearray(size)
    for at, data in placed:
        b[at:at + len(data)] = data
    return bytes(b).rstrip(b"\0")  # the targets zero RAM past the input


# ---------------------------------------------------------------- the kernel loader
MB_MAGIC, MB_FLAGS = 0x1BADB002, 0x3


def elf(paddr, vaddr, entry, text, memsz, phoff=52, machine=3, cls=1, phnum=1, mb=True):
    ident = b"\x7fELF" + bytes([cls, 1, 1]) + bytes(9)
    hdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, entry, phoff, 0, 0, 52, 32,
                              phnum, 0, 0, 0)
    body = (u32(MB_MAGIC, MB_FLAGS, (-(MB_MAGIC + MB_FLAGS)) & 0xFFFFFFFF) if mb else b"") + text
    off = 84
    ph = u32(1, off, vaddr, paddr, len(body), memsz, 5, 0x1000)
    return hdr + ph + body


TEXT = b"\x90" * 16 + b"\xc3"
put("loader", "kernel-high", elf(0x100000, 0x80100000, 0x80100000, TEXT, 0x2000))
put("loader", "kernel-phys-entry", elf(0x200000, 0x200000, 0x200004, TEXT, 0x1000))
put("loader", "image-user", elf(0x400000, 0x400000, 0x400000, TEXT, 0x1000, mb=False))
put("loader", "kernel-low", elf(0x1000, 0x1000, 0x1000, TEXT, 0x1000))  # below the info area
put("loader", "kernel-in-info-area", elf(0x9000, 0x9000, 0x9000, TEXT, 0x1000))
put("loader", "elf64", elf(0x100000, 0x100000, 0x100000, TEXT, 0x1000, cls=2))
put("loader", "truncated", elf(0x100000, 0x100000, 0x100000, TEXT, 0x1000)[:70])
put("loader", "phoff-past-end", elf(0x100000, 0x100000, 0x100000, TEXT, 0x1000, phoff=0xFFFFFFF0))
# The regression of the misaligned program-header read: the ELF header alone, e_phoff 2.
put("loader", "regress-phoff-2", elf(0x100000, 0x100000, 0x100000, TEXT, 0x1000, phoff=2)[:52])

# ---------------------------------------------------------------- the guest's image loader
put("guest_elf", "image", elf(0x400000, 0x400000, 0x400000, TEXT, 0x1000, mb=False))
# Two segments sharing a page (code, then data with bss), and a hole before a third.
two = bytearray(elf(0x400000, 0x400000, 0x400000, TEXT, 0x800, mb=False, phnum=3))
two[84:84] = u32(1, 84, 0x400800, 0x400800, 17, 0x3000, 6, 0x1000) + \
    u32(1, 84, 0x500000, 0x500000, 17, 0x10, 4, 0x1000)
put("guest_elf", "image-three-segments", bytes(two))
put("guest_elf", "image-in-kernel-space", elf(0x80000000, 0x80000000, 0x80000000, TEXT, 0x1000,
                                             mb=False))
put("guest_elf", "image-wraps", elf(0x400000, 0xFFFFF000, 0xFFFFF000, TEXT, 0x2000, mb=False))

# ---------------------------------------------------------------- the image store
FILE = bytes(range(256)) * 20 + b"tail"   # 5124 bytes: one page and a bit
put("image_store", "two-reads", bytes([2]) + bytes([0]) + u32(0, 1) + bytes([1]) + u32(0x1000, 2)
    + FILE)
put("image_store", "bad-requests", bytes([4]) + bytes([2]) + u32(0, 1) + bytes([0]) + u32(1, 1)
    + bytes([0]) + u32(0x2000, 1) + bytes([0]) + u32(0, 0xFFFFF) + FILE[:100])
put("image_store", "empty-file", bytes([1]) + bytes([0]) + u32(0, 1))

# ---------------------------------------------------------------- hypercalls
RAM_SEED = 0x1400


def calls(seq, flags, *placed):
    out = bytes([len(seq)])
    for nr, value in seq:
        out += bytes([nr]) + u32(value)
    return out + bytes([flags]) + ram(RAM_SEED, *placed)


put("hypercall", "console", calls([(1, 0x40), (1, 0x60)], 0,
                                  (0x40, u32(1, 0x100, 6, 0)), (0x60, u32(2, 0x100, 6, 0)),
                                  (0x100, b"hello\n")))
put("hypercall", "console-bad", calls([(1, 0x40), (0x11, 0x40), (0x21, 0xFFFFFFF0)], 16,
                                      (0x40, u32(1, 0x3FFFE, 6, 0))))
put("hypercall", "pagefile", calls([(8, 0x40), (9, 0x80), (9, 0xE0), (9, 0x140)], 32,
                                   (0x40, u32(0, 0)),
                                   (0x80, u32(2, 1, 2, 1, 2) + bytes(56)),
                                   (0xE0, u32(1, 1, 2, 3, 4) + bytes(56)),
                                   (0x140, u32(1, 1, 2, 3, 3) + bytes(56)),
                                   (0x1000, b"frame one")))
put("hypercall", "image-read", calls([(10, 0x40), (10, 0x60)], 0,
                                     (0x40, u32(0, 0x1000, 1, 0, 0)),
                                     (0x60, u32(1, 0, 1, 0, 0))))
REC = u32(1, 7, 0x401000, 0x402000, 6, 0, 0, 0, 0x3003, 0x5067, 1, 1, 0, 0x400000, 0x40FFFF,
          4) + bytes(32) + struct.pack("<QQ", 100, 200)
put("hypercall", "process-trace", calls(
    [(5, 0x40), (6, 0x80), (7, 0x90), (2, 0x300), (3, 0x400), (4, 0x500)], 4 | 8 | 1,
    (0x40, u32(7, 0, 0x400000, 0x410000) + b"a.elf".ljust(32, b"\0") + u32(0)),
    (0x80, u32(0x100, 32 + 2 * 112, 0)),
    (0x100, u32(0x52545650, 2, 1, 0, 0, 0, 0, 0) + REC),
    (0x300, u32(7, 0xC0000005, 1, 0x402000, 0x401000, 1, 0) + b"a.elf".ljust(32, b"\0")),
    (0x400, u32(0x7E, 1, 2, 3, 4))))
put("hypercall", "console-read", calls([(11, 0x40), (0, 0x40), (12, 0x40)], 0,
                                       (0x40, u32(0x100, 16, 0, 0, 0, 0))))



def file_open(name, flags):
    return name.ljust(128, b"\0") + u32(flags, 99, 99, 99, 99, 99)


def file_io(op, handle, offset, count, length, *frames):
    return u32(op, handle, offset & 0xFFFFFFFF, offset >> 32, count, length) + \
        u32(*frames).ljust(64, b"\0") + u32(99, 99)


# The volume (a file "a" of 5000 bytes, "sub/b", links "in" -> a and "out" leading out): opens,
# a read past the end, a write to a read-only handle, a created file written, sized, closed.
put("hypercall", "volume", calls(
    [(12, 0x40), (13, 0x100), (13, 0x180), (12, 0x200), (13, 0x300), (15, 0x380), (14, 0x3A0),
     (14, 0x3A0)], 0,
    (0x40, file_open(b"a", 0)),
    (0x100, file_io(1, 1, 0, 3, 0, 1, 2, 3)),
    (0x180, file_io(2, 1, 0, 1, 10, 1)),
    (0x200, file_open(b"sub/new", 3)),
    (0x300, file_io(2, 2, 0x2000, 2, 4097, 1, 1)),
    (0x380, u32(2, 12345, 0, 99)),
    (0x3A0, u32(2, 99))))
put("hypercall", "volume-names", calls(
    [(12, 0x40), (12, 0x100), (12, 0x1C0), (12, 0x280), (12, 0x340), (12, 0x400)], 0,
    (0x40, file_open(b"../x", 3)),
    (0x100, file_open(b"out", 0)),
    (0x1C0, file_open(b"in", 15)),
    (0x280, file_open(b"sub", 0)),
    (0x340, b"n" * 128 + u32(0)),
    (0x400, file_open(b"/etc/passwd", 0))))
put("hypercall", "volume-hostile-io", calls(
    [(12, 0x40), (13, 0x100), (13, 0x180), (13, 0x200), (15, 0x280), (14, 0x2A0)], 0,
    (0x40, file_open(b"a", 1)),
    (0x100, file_io(1, 1, 0, 2, 0, 5, 5)),
    (0x180, file_io(2, 1, 0xFFFFFFFFFFFFF000, 1, 4096, 1)),
    (0x200, file_io(1, 1, 0, 1, 0, 0xFFFFFFFF)),
    (0x280, u32(1, 0, 0x80000000, 99)),
    (0x2A0, u32(0, 99))))
put("hypercall", "volume-none", calls([(12, 0x40), (13, 0x100)], 64,
                                      (0x40, file_open(b"a", 0)),
                                      (0x100, file_io(1, 1, 0, 1, 0, 1))))

# ---------------------------------------------------------------- the trace ring
def trace(flags, ring_gpa, ring_bytes, head2, procs, report_pid, status, cr3, cr2, *placed):
    out = bytes([flags]) + u32(ring_gpa, ring_bytes, head2) + bytes([len(procs)])
    for pid, pcr3, name in procs:
        out += bytes([pid]) + u32(pcr3) + name.ljust(32, b"\0")
    return out + bytes([report_pid]) + u32(status, cr3, cr2) + ram(0x3000, *placed)


# A page directory at 0 whose entry 1 maps 0x00400000 by a 4 MiB page to physical 0 (the
# tracer assumes CR4.PSE); the faulting instruction (mov eax,[eax]) at 0x400010.
PT = [(4, u32(0x0083)), (0x10, b"\x8b\x00\xc3")]
REC2 = u32(1, 7, 0x400010, 0x500000, 4, 0, 0x83, 0, 0x83, 0, 1, 7, 0xC0000005,
           0x400000, 0x4FFFFF, 4) + bytes(32) + struct.pack("<QQ", 100, 300)
REC1 = u32(1, 7, 0x400010, 0x402000, 6, 0, 0, 0, 0x3003, 0x5067, 1, 1, 0, 0x400000, 0x40FFFF,
           4) + bytes(32) + struct.pack("<QQ", 100, 200)
RING = (0x100, u32(0x52545650, 4, 2, 0, 1, 0, 0, 0) + REC1 + REC2)
for fmt in range(3):
    put("trace", "ring-format-%d" % fmt,
        trace(fmt | 4, 0x100, 32 + 4 * 112, 3, [(7, 0, b"a.elf")], 7, 0xC0000005, 0,
              0x500000, RING, *PT))
put("trace", "ring-head-ahead", trace(1 | 8, 0x100, 32 + 4 * 112, 0xFFFFFFFF,
                                      [(7, 0, b"a.elf"), (7, 0, b"b.elf")], 7, 0x7E,
                                      0, 0x400000,
                                      (0x100, u32(0x52545650, 4, 9, 0, 0, 0, 0, 0)), *PT))
put("trace", "ring-bad-magic", trace(0, 0x100, 32 + 4 * 112, 0, [], 0, 0, 0, 0,
                                     (0x100, u32(0x12345678, 3, 1, 0))))


# ---------------------------------------------------------------- the page-table walker
def walk(flags, cr3, walk_va, va, length, *placed):
    return bytes([flags]) + u32(cr3, walk_va, va, length) + ram(0x3000, *placed)


# 4 KiB pages: directory at 0, its entry 1 -> table at 0x1000, whose entry 0 -> frame 0.
put("pt_walk", "small-page", walk(1 | 4, 0, 0x400010, 0x400ff0, 0x20,
                                  (4, u32(0x1003)), (0x1000, u32(0x0003)), (0x10, b"abc")))
put("pt_walk", "large-page", walk(1 | 2 | 4, 0, 0x400010, 0x400000, 0x100, (4, u32(0x0083))))
put("pt_walk", "paging-off", walk(4, 0, 0, 0x300, 0x200, (0x300, b"abc")))
put("pt_walk", "top-of-4g", walk(1 | 2 | 4, 0, 0xFFFFFFFF, 0xFFFFFF00, 0x1000,
                                 (4092, u32(0x0083))))
put("pt_walk", "table-outside", walk(1, 0, 0x400000, 0x400000, 16, (4, u32(0xFFFF0003))))


# ---------------------------------------------------------------- the gdb stub
def packet(data):
    return b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF)


# A session as gdb drives it (pieces of 7 bytes), then Ctrl-C and a stop.
put("gdb_stub", "session", b"\x07" + b"+".join(packet(p) for p in [
    b"qSupported:xmlRegisters=i386", b"vMustReplyEmpty", b"QStartNoAckMode",
    b"qXfer:features:read:target.xml:0,ffb", b"g", b"p22", b"P8=00104000", b"m100,20",
    b"M100,2:abcd", b"Z0,100,1", b"z0,100,1", b"Z3,100,4", b"qRcmd,21766d", b"vCont?",
    b"c"]) + b"\x03" + packet(b"?") + packet(b"s") + packet(b"D"))
# A NUL inside a packet, packets cut off by '$', bad checksums, stray escapes.
put("gdb_stub", "broken", b"\x01$m\x00\x01#9e$$$$##zz$M0,4:0011#00}}}***")
# Longer than any packet the stub takes.
put("gdb_stub", "overlong", b" $" + b"m" * 6000)
