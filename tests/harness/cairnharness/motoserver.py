"""Start and stop moto_server on a free loopback port.

moto runs in its own process (the same Python as the harness, so the same
moto and botocore). Three things keep it from outliving its owner: stop(),
an atexit hook, and PR_SET_PDEATHSIG, which makes the kernel send it SIGTERM
if the owning thread dies without cleaning up (a crashed or killed test).
That last one fires when the *thread* that started moto exits, so start
emulators from a thread that lives as long as they do (the main thread).
"""

import atexit
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# Run by the child: die with the parent, then become moto_server. Written to
# the temp dir and run from there, so that no harness module can shadow one
# of moto's imports and ps shows what the process is.
_CHILD = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != int(os.environ.pop("CAIRN_HARNESS_PARENT")):
    sys.exit("cairnharness: parent exited before moto started")
# Answers go out at once: werkzeug writes headers and body in separate sends,
# and without TCP_NODELAY the body waits for the peer's delayed ACK (40 ms).
import socket
from werkzeug import serving
_setup = serving.WSGIRequestHandler.setup
def _setup_nodelay(self):
    _setup(self)
    try:
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
serving.WSGIRequestHandler.setup = _setup_nodelay
from moto.server import main
main(sys.argv[1:])
"""


class MotoStartError(RuntimeError):
    """moto_server did not come up; the message carries its output."""


def free_port(host="127.0.0.1"):
    """A TCP port that was free on host a moment ago (bind to port 0, ask, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class MotoServer:
    """One moto_server process on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(self, port=0, timeout=30.0):
        self.requested_port = port  # 0: pick a free one
        self.port = None
        self.timeout = timeout
        self.process = None
        self.workdir = None  # temp dir holding moto.log; removed by stop()
        self._log = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        # A port picked by free_port() can be taken before moto binds it;
        # try again with another one rather than fail the test run.
        attempts = 1 if self.requested_port else 3
        for attempt in range(attempts):
            self.port = self.requested_port or free_port()
            try:
                self._spawn()
                self._wait_ready()
                atexit.register(self.stop)
                return self
            except MotoStartError:
                output = self.output()
                self.stop()
                if attempt + 1 == attempts or "Address already in use" not in output:
                    raise

    def _spawn(self):
        self.workdir = tempfile.mkdtemp(prefix="cairn-moto-")
        self._log = open(os.path.join(self.workdir, "moto.log"), "wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        env["CAIRN_HARNESS_PARENT"] = str(os.getpid())
        env["MOTO_PORT"] = str(self.port)
        # AWS's managed policies exist in every account (the backup role attaches one).
        env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        script = os.path.join(self.workdir, "run_moto.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(_CHILD)
        self.process = subprocess.Popen(
            [sys.executable, script, "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            env=env,
            start_new_session=True,  # a Ctrl-C aimed at the test is not moto's
        )

    def _wait_ready(self):
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process.poll() is not None:
                raise MotoStartError(
                    f"moto_server exited with status {self.process.returncode} "
                    f"before answering on port {self.port}:\n{self.output()}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/moto-api/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            if time.monotonic() > deadline:
                raise MotoStartError(
                    f"moto_server did not answer on port {self.port} within "
                    f"{self.timeout:.0f}s:\n{self.output()}"
                )
            time.sleep(0.05)

    def output(self):
        """What moto has printed so far (its log is in a temp dir)."""
        if not self.workdir:
            return ""
        try:
            with open(os.path.join(self.workdir, "moto.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def reset(self):
        """Forget every resource moto holds (POST /moto-api/reset)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", "/moto-api/reset")
            conn.getresponse().read()
        finally:
            conn.close()

    def stop(self):
        """Terminate moto (SIGTERM, then SIGKILL after 5 s) and remove its temp dir."""
        atexit.unregister(self.stop)
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
