"""tools/image: a reproducible OCI image of a binary, built with umoci and checked with skopeo
inspect and umoci unpack, its entry point run from the unpacked root file system.

The binary is $CAIRN_BIN for now; the daemons' images (cairn-tsdb as 65534, cairn-dash as 472)
take its place once they are built.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
IMAGE = os.path.join(SOURCE, "tools", "image")
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


@unittest.skipUnless(shutil.which("umoci") and shutil.which("skopeo"),
                     "umoci and skopeo are missing: run tools/install-deps")
class Image(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.binary = os.environ["CAIRN_BIN"]
        cls.tmp = tempfile.mkdtemp(prefix="cairn-image-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def build(self, out, user="65534", *extra):
        done = run(IMAGE, "--user", user, "--name", "cairn", "--tag", "test", "--epoch", EPOCH,
                   "--out", os.path.join(self.tmp, out), *extra, self.binary)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        ref, digest = done.stdout.split()
        self.assertEqual(ref, f"oci:{self.tmp}/{out}:test")
        self.assertRegex(digest, r"^sha256:[0-9a-f]{64}$")
        return ref, digest

    def inspect(self, ref, *args):
        done = run("skopeo", "inspect", *args, ref)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_reproducible_and_minimal(self):
        files = os.path.join(self.tmp, "dashboards")  # what --add puts in, say dashboards
        os.makedirs(os.path.join(files, "team"))
        for rel, text in (("a.json", "{}"), ("team/b.json", "[]")):
            with open(os.path.join(files, rel), "w") as f:
                f.write(text)
        add = ("--port", "9090", "--add", f"{files}:/etc/grafana/dashboards")
        ref, digest = self.build("a", "65534", *add)
        self.assertEqual(self.build("b", "65534", *add)[1], digest)
        info = self.inspect(ref)
        self.assertEqual(info["Digest"], digest)
        self.assertEqual((info["Os"], len(info["Layers"])), ("linux", 1))
        self.assertEqual(info["Created"], "2026-01-01T00:00:00Z")
        config = self.inspect(ref, "--config")["config"]
        self.assertEqual(config["User"], "65534:65534")
        self.assertEqual(config["Entrypoint"], ["/usr/local/bin/cairn"])
        self.assertEqual(config["ExposedPorts"], {"9090/tcp": {}})
        self.assertIn("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", config["Env"])

        bundle = os.path.join(self.tmp, "bundle")
        done = run("umoci", "unpack", "--image", ref.removeprefix("oci:"), bundle)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(bundle, "config.json")) as f:
            process = json.load(f)["process"]
        self.assertEqual(process["user"], {"uid": 65534, "gid": 65534})
        self.assertEqual(process["args"], ["/usr/local/bin/cairn"])
        rootfs = os.path.join(bundle, "rootfs")
        files = set()
        for dirpath, _, names in os.walk(rootfs):
            files |= {os.path.relpath(os.path.join(dirpath, n), rootfs) for n in names}
        ldd = run("ldd", self.binary).stdout
        libs = {w.lstrip("/") for w in ldd.split() if w.startswith("/")}
        self.assertTrue(libs)
        self.assertEqual(files, libs | {"usr/local/bin/cairn", "etc/ssl/certs/ca-certificates.crt",
                                        "etc/passwd", "etc/group", "etc/nsswitch.conf",
                                        "etc/hosts", "etc/grafana/dashboards/a.json",
                                        "etc/grafana/dashboards/team/b.json"})
        with open(os.path.join(rootfs, "etc/grafana/dashboards/team/b.json")) as f:
            self.assertEqual(f.read(), "[]")
        st = os.stat(os.path.join(rootfs, "etc/grafana/dashboards/a.json"))
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o644))
        self.assertNotIn("bin/sh", files)  # nothing but the binary runs in it
        with open(os.path.join(rootfs, "etc/passwd")) as f:
            self.assertIn("nobody:x:65534:65534:", f.read())
        want = run(self.binary, "--version").stdout
        if os.geteuid() == 0:  # the root file system alone runs it, as the image's user
            # /proc is mounted in a private mount namespace, as a container runtime does (a
            # sanitizer build's leak checker reads it).
            os.mkdir(os.path.join(rootfs, "proc"))
            got = run("unshare", "--mount", "--fork", "sh", "-c",
                      'mount -t proc proc "$1/proc" && exec chroot --userspec=65534:65534 "$@"',
                      "-", rootfs, *process["args"], "--version")
        else:  # without chroot: its own loader and libraries
            loader = [p for p in libs if "ld-linux" in p][0]
            got = run(os.path.join(rootfs, loader), "--inhibit-cache", "--library-path",
                      os.path.join(rootfs, "lib/x86_64-linux-gnu"),
                      os.path.join(rootfs, "usr/local/bin/cairn"), "--version")
        self.assertEqual((got.returncode, got.stdout), (0, want), got.stderr)
        self.assertTrue(want.startswith("cairn "))

    def test_user_472_and_errors(self):
        ref, digest = self.build("g", "472")
        self.assertEqual(self.inspect(ref, "--config")["config"]["User"], "472:472")
        self.assertNotEqual(digest, self.build("h", "65534")[1])
        bad = run(IMAGE, "--user", "0", self.binary)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("must not run as root", bad.stderr)
        bad = run(IMAGE, os.path.join(self.tmp, "missing"))
        self.assertEqual(bad.returncode, 1)
        self.assertIn("not an executable file", bad.stderr)


if __name__ == "__main__":
    unittest.main()
