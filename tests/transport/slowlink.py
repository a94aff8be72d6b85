"""A slow path to a device, for deadline tests: a TCP relay on 127.0.0.1 whose answers from the
far end, after the first (the SSH version) and those within `fast_for` seconds of it, arrive
`delay` seconds late (a delay line, not a queue: answers sent together arrive together, each
round trip costs `delay`), as from a device or bastion whose control plane is busy, or that
asks a slow AAA server. Every step of an SSH login then waits round trips that its own timeout
allows, while the steps together outlast the host's deadline."""
from __future__ import annotations

import queue
import socket
import threading
import time


class SlowLink:
    def __init__(self, port: int, delay: float, known_hosts: str = "", fast_for: float = 0.0):
        self.target, self.delay, self.known_hosts, self.fast_for = port, delay, known_hosts, fast_for
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self.listener.accept()
                far = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                return
            far.settimeout(None)
            self.connections += 1
            self.sockets += [near, far]
            threading.Thread(target=self._forward, args=(near, far), daemon=True).start()
            late: queue.Queue = queue.Queue()
            threading.Thread(target=self._read_into, args=(far, late), daemon=True).start()
            threading.Thread(target=self._deliver, args=(late, near), daemon=True).start()

    @staticmethod
    def _forward(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _shut(sink)

    def _read_into(self, source: socket.socket, late: queue.Queue) -> None:
        slow_from = None   # the first answer (the SSH version) comes at once
        try:
            while data := source.recv(65536):
                now = time.monotonic()
                if slow_from is None:
                    slow_from, delay = now + self.fast_for, 0.0
                else:
                    delay = self.delay if now >= slow_from else 0.0
                late.put((now + delay, data))
        except OSError:
            pass
        late.put((time.monotonic() + self.delay, b""))

    def _deliver(self, late: queue.Queue, sink: socket.socket) -> None:
        while True:
            due, data = late.get()
            time.sleep(max(0.0, due - time.monotonic()))
            if not data:
                _shut(sink)
                return
            try:
                sink.sendall(data)
            except OSError:
                return

    def known_hosts_line(self) -> str:
        """The far end's lines of `known_hosts`, named by this relay's port (where clients
        connect), as a known_hosts file would have them for a device reached so."""
        name = f"[127.0.0.1]:{self.target} "
        return "".join(f"[127.0.0.1]:{self.port} " + line[len(name):] + "\n"
                       for line in self.known_hosts.splitlines() if line.startswith(name))

    def close(self) -> None:
        self.listener.close()
        for sock in self.sockets:
            sock.close()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
