"""A private network namespace with only loopback, for tests that run real servers.

Commands run inside it with ``nsenter``, so whatever they start (a Hub mirror,
a Ray cluster) can only ever talk to 127.0.0.1, and a test passes only if
nothing needs the internet. Needs root (``unshare --net``).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

# Brings the namespace's loopback up (SIOCSIFFLAGS: IFF_UP | IFF_LOOPBACK | IFF_RUNNING) and holds it.
HOLD_NAMESPACE = (
    "import fcntl, signal, socket, struct\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "fcntl.ioctl(s, 0x8914, struct.pack('16sH', b'lo', 0x1 | 0x8 | 0x40))\n"
    "print('up', flush=True)\n"
    "signal.pause()\n"
)


def die_with_parent() -> None:
    """Popen preexec: the servers and the namespace end with this test process, even if it is killed."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Sandbox:
    """A network namespace with only loopback; commands run inside it with the environment ``env``."""

    def __init__(self, home: Path, env: dict[str, str]):
        self.holder = subprocess.Popen([shutil.which("unshare"), "--net", sys.executable, "-c", HOLD_NAMESPACE],
                                       stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        if self.holder.stdout.readline().strip() != "up":
            raise RuntimeError("cannot make a network namespace (needs root: unshare --net)")
        self.home = home
        self.env = env

    def command(self, args: list) -> list[str]:
        return [shutil.which("nsenter"), f"--net=/proc/{self.holder.pid}/ns/net", "--", *map(str, args)]

    def run(self, args: list, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(args), env={**self.env, **env}, capture_output=True, text=True,
                              cwd=cwd or self.home)

    def start(self, args: list, ready: str, cwd: Path) -> subprocess.Popen:
        """Start a server and wait until it prints ``ready`` (or dies)."""
        server = subprocess.Popen(self.command(args), env=self.env, cwd=cwd, text=True, preexec_fn=die_with_parent,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        log, up = [], threading.Event()

        def drain() -> None:
            for line in server.stdout:
                log.append(line)
                if ready in line:
                    up.set()
            up.set()

        threading.Thread(target=drain, daemon=True).start()
        up.wait()
        if server.poll() is not None:
            raise RuntimeError(f"{args[0]} did not start:\n{''.join(log)}")
        return server

    def processes(self) -> list[int]:
        """Every process in the namespace but its holder: all of them were started by the test
        (daemons too, which outlive the command that started them)."""
        namespace = os.readlink(f"/proc/{self.holder.pid}/ns/net")
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != self.holder.pid:
                try:
                    if os.readlink(entry / "ns" / "net") == namespace:
                        found.append(int(entry.name))
                except OSError:  # gone meanwhile
                    pass
        return found

    def close(self) -> None:
        self.holder.kill()
        self.holder.wait()
