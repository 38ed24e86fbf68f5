"""An MT-SICS responder written from the protocol description only (it shares no code with instruments.sim).

It answers S, SI, I4 and anything else with ES, using 11-character right-aligned weight fields
(``S S      100.00 g``, as in the project's reference text), CR LF line ends, on a raw pty.
"""
import os
import select
import threading
import tty


class IndependentMtSics:
    """Serve a fixed 100.00 g load: the first two SI replies are dynamic, then stable."""

    def __init__(self, answers_s=True):
        self.answers_s = answers_s  # False: a level-0 device that knows only SI (answers ES to S)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _answer(self, line):
        if line == b"I4":
            return b'I4 A "0123456789"'
        if line == b"S" and not self.answers_s:
            return b"ES"
        if line in (b"S", b"SI"):
            self.count += 1
            if line == b"SI" and self.count <= 2:
                return b"S D      %6.2f g" % (100.0 - 3.0 / self.count)
            return b"S S      100.00 g"
        return b"ES"

    def _run(self):
        buf = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                buf += os.read(self.master, 1024)
            except OSError:
                return
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                os.write(self.master, self._answer(line.strip()) + b"\r\n")

    def close(self):
        self._stop.set()
        self._thread.join(1)
        os.close(self.master)
        os.close(self.slave)
