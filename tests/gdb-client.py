#!/usr/bin/env python3
"""gdb-client.py - a small GDB remote-protocol client for tests/gdb.sh: what gdb itself will
not send (garbage, bad checksums, overlong packets, a Ctrl-C byte at a chosen moment) and
checks of the raw replies.

Usage: gdb-client.py ADDRESS SCENARIO   (ADDRESS: a TCP port on 127.0.0.1, or a socket path)
Prints one line per check, "ok: ..." or "FAIL: ...", and exits 1 when any failed.
"""
import socket
import sys
import time

failures = 0


def check(cond, what):
    global failures
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures += 1


class Remote:
    def __init__(self, address, timeout=60):
        if address.isdigit():
            self.s = socket.create_connection(("127.0.0.1", int(address)), timeout=timeout)
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(timeout)
            self.s.connect(address)
        self.buf = b""

    def raw(self, data):
        self.s.sendall(data)

    def send(self, payload):
        body = payload.encode() if isinstance(payload, str) else payload
        self.raw(b"$" + body + b"#%02x" % (sum(body) & 0xFF))

    def byte(self):
        while not self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("the stub closed the connection")
            self.buf += chunk
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def ack(self):
        """The next acknowledgement byte ('+' or '-')."""
        while True:
            b = self.byte()
            if b in (b"+", b"-"):
                return b

    def packet(self):
        """The next packet's payload (acknowledged), skipping acks."""
        while self.byte() != b"$":
            pass
        body = b""
        while True:
            b = self.byte()
            if b == b"#":
                break
            body += b
        csum = self.byte() + self.byte()
        self.raw(b"+")
        if int(csum, 16) != sum(body) & 0xFF:
            raise ValueError("bad checksum from the stub: %r" % body)
        return body.decode("latin-1")

    def ask(self, payload):
        self.send(payload)
        a = self.ack()
        if a != b"+":
            raise ValueError("stub refused %r" % payload)
        return self.packet()

    def reply_to(self, payload):
        """The reply after any console ('O') packets."""
        self.send(payload)
        self.ack()
        while True:
            p = self.packet()
            if not (p.startswith("O") and p != "OK"):
                return p


def hostile(r):
    """Garbage in every shape gets an error or a NAK, and the session still works after it."""
    r.raw(b"\x00\xff garbage before any packet +++---")
    r.raw(b"$g#00")
    check(r.ack() == b"-", "a bad checksum is answered '-'")
    r.raw(b"$qSupported#zz")
    check(r.ack() == b"-", "a checksum that is no hex is answered '-'")
    body = b"m" + b"0" * 9000
    r.raw(b"$" + body + b"#%02x" % (sum(body) & 0xFF))
    r.ack()
    check(r.packet() == "E01", "an overlong packet gets E01")
    check(r.ask("m0,ffffffff") != "", "a huge read is clamped, not refused or overrun")
    check(r.ask("mffffffff,2") == "E14", "a read at the top of 4 GiB outside RAM answers E14")
    check(r.ask("m1ffff000,10") == "E14", "an unmapped guest address answers E14")
    check(r.ask("M1ffff000,2:zz") == "E01", "a write with bad hex answers E01")
    check(r.ask("M1ffff000,4:00") == "E01", "a write whose length disagrees answers E01")
    check(r.ask("P5=1234") == "E01", "a register write with a short value answers E01")
    check(r.ask("P8a=00000000") == "E01", "a register that does not exist answers E01")
    check(r.ask("Z0,zz,1") == "E01", "a breakpoint at no address answers E01")
    check(r.ask("Z9,0,1") == "E01", "a breakpoint of no type answers E01")
    check(r.ask("qRcmd,zz") == "E01", "a monitor command that is no hex answers E01")
    check(r.reply_to("qRcmd," + b"!frobnicate".hex()) == "E01",
          "an unknown monitor command answers E01")
    check(r.ask("vFrobnicate") == "", "an unknown packet gets the empty reply")
    regs = r.ask("g")
    check(len(regs) == 2 * (16 * 4 + 8 * 10 + 8 * 4 + 4 * 4), "g still answers all registers")
    cr0 = int.from_bytes(bytes.fromhex(regs[-32:-24]), "little")
    check(cr0 & 1 == 1, "CR0 in the g reply has PE set (%08x)" % cr0)


def main():
    address, scenario = sys.argv[1], sys.argv[2]
    r = Remote(address)
    if scenario == "hostile":
        # The guest waits at its entry (--gdb-wait): garbage, a pause longer than --timeout
        # (time held for a debugger is not charged to it), then detach: the run goes on.
        hostile(r)
        time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 0)
        check(r.ask("D") == "OK", "detach answers OK")
    elif scenario == "interrupt-kill":
        # The guest runs (no --gdb-wait): a debugger attaches, lets it run, stops it with
        # Ctrl-C (SIGINT, in ring 3: spin loops there), looks, and kills it.
        check(r.ask("?").startswith("T05"), "attaching stops the guest (T05)")
        r.send("c")
        check(r.ack() == b"+", "continue is acknowledged")
        time.sleep(2)
        r.raw(b"\x03")
        stop = r.packet()
        check(stop.startswith("T02"), "Ctrl-C stops the guest with SIGINT: " + stop[:3])
        regs = r.ask("g")
        eip = int.from_bytes(bytes.fromhex(regs[8 * 8:8 * 8 + 8]), "little")
        cs = int.from_bytes(bytes.fromhex(regs[10 * 8:10 * 8 + 8]), "little")
        check(eip < 0x80000000 and cs & 3 == 3,
              "spin was stopped in ring 3 (eip %08x, cs %x)" % (eip, cs))
        r.send("k")
    else:
        sys.exit("unknown scenario " + scenario)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
