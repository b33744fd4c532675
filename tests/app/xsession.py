# SPDX-License-Identifier: GPL-3.0-or-later
"""A display and a session bus of the test's own, for the tests that drive
the real app through AT-SPI and real key presses.

Why not the display `xvfb-run -a` gives: xvfb-run picks a display number by
looking for a free lock file, so two runs starting together (eight people
share this machine) can both pick :99; one server starts, the other test
gets a display whose cookie (XAUTHORITY, a temp file of the other xvfb-run)
does not match, and the app dies with "cannot open display: :99". Here
Xvfb chooses a free display itself (-displayfd, atomic), listens on no TCP
port, and needs no cookie; the session bus is a private one, started with
that display in its environment, so that the accessibility bus it starts
for the app sees the same display.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class SessionError(RuntimeError):
    pass


class XSession:
    def __init__(self, width=1280, height=800):
        self.size = (width, height)
        self.dir = tempfile.mkdtemp(prefix="pcmbn-xsession-")
        self.xvfb = None
        self.dbus_pid = None
        self.display = None
        self.bus = None

    def _start_xvfb(self):
        rfd, wfd = os.pipe()
        log = open(os.path.join(self.dir, "xvfb.log"), "w")
        self.xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(wfd), "-screen", "0", "%dx%dx24" % self.size,
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(wfd,), stdout=log, stderr=log, start_new_session=True)
        os.close(wfd)
        number = b""
        with os.fdopen(rfd, "rb") as r:
            # Xvfb writes the number once it accepts connections.
            while not number.endswith(b"\n"):
                chunk = r.read(1)
                if not chunk:
                    break
                number += chunk
        if not number.strip():
            self.xvfb.wait(5)
            with open(os.path.join(self.dir, "xvfb.log")) as f:
                raise SessionError("Xvfb did not start: " + f.read()[-500:])
        self.display = ":" + number.decode().strip()

    def start(self):
        # meson ends a test that runs too long with SIGTERM: leave by the
        # finally blocks, which stop the app, the server and this display.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
        # One retry, with the reason: a display that did not come up is the
        # environment's fault, not the app's, and says so.
        for attempt in (1, 2):
            try:
                self._start_xvfb()
                break
            except SessionError as e:
                if attempt == 2:
                    raise
                print("xsession: %s; trying once more" % e, flush=True)
        env = dict(os.environ, DISPLAY=self.display)
        env.pop("XAUTHORITY", None)
        out = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--nosyslog", "--print-address=1",
             "--print-pid=1"], env=env, capture_output=True, text=True, check=True).stdout
        lines = out.split()
        self.bus, self.dbus_pid = lines[0], int(lines[1])
        # Everything started from here on (the app, xdotool, import, the
        # AT-SPI client in this process) uses this display and this bus.
        os.environ["DISPLAY"] = self.display
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = self.bus
        os.environ.pop("XAUTHORITY", None)
        os.environ.pop("WAYLAND_DISPLAY", None)
        self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        """The display answers before anyone opens a window on it."""
        deadline = time.time() + timeout
        while subprocess.run(["xdotool", "getmouselocation"], capture_output=True).returncode:
            if time.time() > deadline:
                raise SessionError("the display %s does not answer" % self.display)
            time.sleep(0.1)

    def stop(self):
        if self.dbus_pid:
            try:
                os.kill(self.dbus_pid, 15)
            except ProcessLookupError:
                pass
            self.dbus_pid = None
        if self.xvfb and self.xvfb.poll() is None:
            self.xvfb.terminate()
            try:
                self.xvfb.wait(10)
            except subprocess.TimeoutExpired:
                self.xvfb.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
