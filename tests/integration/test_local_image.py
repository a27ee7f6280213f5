"""tools/image: the daemons' OCI images (cairn-tsdb as 65534, cairn-dash as 472), built with umoci
twice to the same digests, checked with skopeo inspect and umoci unpack, and each image's entry
point run from the unpacked root file system on loopback until its health endpoint answers and
its own health check (exec form, no shell in the image) passes.

As root (CI) the root file system runs alone: chroot as the image's user, /proc mounted in a
private mount namespace as a container runtime does. Otherwise the image's own loader runs the
binary with the image's libraries (--inhibit-cache --library-path), its paths the host's.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
IMAGE = os.path.join(SOURCE, "tools", "image")
BUILD = os.path.dirname(os.environ["CAIRN_DASH_UI_DIR"])  # the build tree of the binaries
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
ROOT = os.geteuid() == 0
# What each image must be: the stack's image parameters name cairn/cairn-tsdb and
# cairn/cairn-dash; the users are the EFS access points' (stacks/dev-davidshaevel.yaml).
SPEC = {
    "cairn-tsdb": {"bin": os.environ["CAIRN_TSDB_BIN"], "user": 65534, "port": "9090/tcp",
                   "cmd": ["--config.file=/etc/prometheus/prometheus.yml",
                           "--storage.tsdb.path=/prometheus"],
                   "owned": "prometheus", "health": "/-/healthy",
                   "files": {"etc/prometheus/prometheus.yml"}},
    "cairn-dash": {"bin": os.environ["CAIRN_DASH_BIN"], "user": 472, "port": "3000/tcp",
                   "cmd": None, "owned": "var/lib/grafana", "health": "/api/health",
                   "files": {"etc/grafana/dashboards/application-overview.json",
                             "etc/grafana/dashboards/monitoring-the-monitors.json",
                             "usr/share/cairn-dash/ui/index.html"}},
}


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def free_port(ip):
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, r.read().decode()
    except OSError as e:
        return None, str(e)


@unittest.skipUnless(shutil.which("umoci") and shutil.which("skopeo"),
                     "umoci and skopeo are missing: run tools/install-deps")
class Image(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cairn-image-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.refs = {}  # build -> {name: (ref, digest)}
        for build in ("a", "b"):
            done = run(IMAGE, "--build", BUILD, "--epoch", EPOCH,
                       "--out", os.path.join(cls.tmp, build), "all")
            if done.returncode != 0:
                raise AssertionError(f"tools/image all: {done.stdout}{done.stderr}")
            lines = [line.split() for line in done.stdout.splitlines()]
            cls.refs[build] = {os.path.basename(ref.rsplit(":", 1)[0]): (ref, digest)
                               for ref, digest in lines}

    def inspect(self, ref, *args):
        done = run("skopeo", "inspect", *args, ref)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_both_images_twice_same_digests(self):
        a, b = self.refs["a"], self.refs["b"]
        self.assertEqual(set(a), {"cairn-tsdb", "cairn-dash"})
        for name in a:
            self.assertRegex(a[name][1], r"^sha256:[0-9a-f]{64}$")
            self.assertEqual(a[name][1], b[name][1], f"{name}: two builds, two digests")
            self.assertEqual(a[name][0], f"oci:{self.tmp}/a/{name}:0.1.0")  # the stack's tag
        self.assertNotEqual(a["cairn-tsdb"][1], a["cairn-dash"][1])

    def test_skopeo_inspect(self):
        for name, spec in SPEC.items():
            with self.subTest(name):
                ref, digest = self.refs["a"][name]
                info = self.inspect(ref)
                self.assertEqual(info["Digest"], digest)
                self.assertEqual((info["Os"], len(info["Layers"])), ("linux", 1))
                self.assertEqual(info["Created"], "2026-01-01T00:00:00Z")
                config = self.inspect(ref, "--config")["config"]
                user = spec["user"]
                self.assertEqual(config["User"], f"{user}:{user}")
                self.assertEqual(config["Entrypoint"], [f"/usr/local/bin/{name}"])
                self.assertEqual(config.get("Cmd"), spec["cmd"])
                self.assertEqual(config["ExposedPorts"], {spec["port"]: {}})
                self.assertIn("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", config["Env"])
                # skopeo's parsed config drops Docker's Healthcheck field; the raw blob has it.
                raw = self.inspect(ref, "--config", "--raw")["config"]
                self.assertEqual(raw["Healthcheck"]["Test"],
                                 ["CMD", f"/usr/local/bin/{name}", "healthcheck"])
                self.assertEqual(raw["Healthcheck"]["Retries"], 3)

    def unpack(self, name):
        bundle = os.path.join(self.tmp, f"bundle-{name}")
        ref = self.refs["a"][name][0].removeprefix("oci:")
        done = run("umoci", "unpack", *(() if ROOT else ("--rootless",)), "--image", ref,
                   bundle)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(bundle, "config.json")) as f:
            return json.load(f)["process"], os.path.join(bundle, "rootfs")

    def launcher(self, rootfs, user, env):
        """argv prefix and environment that run a path of the image from rootfs."""
        if ROOT:
            os.makedirs(os.path.join(rootfs, "proc"), exist_ok=True)
            return ["unshare", "--mount", "sh", "-c",
                    'mount -t proc proc "$1/proc" && shift && exec "$@"', "-", rootfs,
                    shutil.which("chroot"), f"--userspec={user}:{user}", rootfs], env
        loader = [p for p in os.listdir(os.path.join(rootfs, "lib64"))
                  if p.startswith("ld-linux")][0]
        libdir = os.path.join(rootfs, "lib/x86_64-linux-gnu")
        env = dict(env, CAIRN_DASH_UI_DIR=os.path.join(rootfs, "usr/share/cairn-dash/ui"),
                   GF_PATHS_DATA=os.path.join(self.tmp, "dash-data"))
        return [os.path.join(rootfs, "lib64", loader), "--inhibit-cache", "--library-path",
                libdir], env

    def image_path(self, rootfs, path):
        return path if ROOT else os.path.join(rootfs, path.lstrip("/"))

    def test_unpack_and_run_entry_points(self):
        for name, spec in SPEC.items():
            with self.subTest(name):
                self.run_image(name, spec)

    def run_image(self, name, spec):
        process, rootfs = self.unpack(name)
        user = spec["user"]
        self.assertEqual(process["user"], {"uid": user, "gid": user})
        self.assertEqual(process["args"], [f"/usr/local/bin/{name}"] + (spec["cmd"] or []))
        files = set()
        for dirpath, _, names in os.walk(rootfs):
            files |= {os.path.relpath(os.path.join(dirpath, n), rootfs) for n in names}
        libs = {w.lstrip("/") for w in run("ldd", spec["bin"]).stdout.split()
                if w.startswith("/")}
        self.assertTrue(libs)
        want = libs | spec["files"] | {f"usr/local/bin/{name}",
                                       "etc/ssl/certs/ca-certificates.crt", "etc/passwd",
                                       "etc/group", "etc/nsswitch.conf", "etc/hosts"}
        if name == "cairn-dash":  # the web UI's files, whatever they are, under its folder
            files = {f for f in files if not f.startswith("usr/share/cairn-dash/ui/")} | \
                {"usr/share/cairn-dash/ui/index.html"}
        self.assertEqual(files, want)
        self.assertNotIn("bin/sh", files)  # nothing but the daemon runs in it
        with open(os.path.join(rootfs, "etc/passwd")) as f:
            self.assertIn(f":x:{user}:{user}:", f.read())
        st = os.stat(os.path.join(rootfs, spec["owned"]))  # its data directory is its own
        if ROOT:
            self.assertEqual((st.st_uid, st.st_gid), (user, user))

        ip = "127.0.0.1"
        port = free_port(ip)
        env = {k: v for k, v in (e.split("=", 1) for e in process["env"])}
        env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        args = [self.image_path(rootfs, a) if a.startswith("/usr/") else a
                for a in process["args"]]
        if name == "cairn-tsdb":
            listen = [f"--web.listen-address={ip}:{port}"]
            if not ROOT:  # its paths are the host's: a data directory and the config in rootfs
                args = [args[0], "--config.file=" + os.path.join(
                    rootfs, "etc/prometheus/prometheus.yml"),
                    "--storage.tsdb.path=" + os.path.join(self.tmp, "tsdb-data")]
            args += listen
            check = [args[0], "healthcheck"] + listen
        else:
            env.update(GF_SERVER_HTTP_ADDR=ip, GF_SERVER_HTTP_PORT=str(port),
                       GF_SECURITY_ADMIN_PASSWORD="image-test")
            check = [args[0], "healthcheck"]
        prefix, env = self.launcher(rootfs, user, env)
        log = open(os.path.join(self.tmp, f"{name}.log"), "w+")
        self.addCleanup(log.close)
        proc = subprocess.Popen(prefix + args, env=env, stdout=log, stderr=subprocess.STDOUT)

        def stop():  # unshare, sh and chroot exec: proc.pid is the daemon's
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.addCleanup(stop)
        deadline = time.monotonic() + 30
        status, body = None, ""
        while time.monotonic() < deadline and proc.poll() is None:
            status, body = get(f"http://{ip}:{port}{spec['health']}")
            if status == 200:
                break
            time.sleep(0.2)
        log.seek(0)
        self.assertEqual(status, 200, f"{name}: {body}\n{log.read()}")
        if name == "cairn-dash":
            self.assertEqual(json.loads(body)["database"], "ok")
        done = run(*prefix, *check, env=env)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("healthy", done.stdout)
        stop()
        self.assertEqual(proc.returncode, 0, f"{name} did not stop cleanly")
        # The same check fails once the daemon is gone: it is a real probe.
        done = run(*prefix, *check, env=env)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)

    def test_errors(self):
        bad = run(IMAGE, "--user", "0", SPEC["cairn-tsdb"]["bin"])
        self.assertEqual(bad.returncode, 1)
        self.assertIn("must not run as root", bad.stderr)
        bad = run(IMAGE, os.path.join(self.tmp, "missing"))
        self.assertEqual(bad.returncode, 1)
        self.assertIn("not an executable file", bad.stderr)
        bad = run(IMAGE, "--build", os.path.join(self.tmp, "nowhere"), "all")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("no such directory", bad.stderr)


if __name__ == "__main__":
    unittest.main()
