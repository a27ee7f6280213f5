"""Emulator: moto plus the strict proxy in front of it, as one object."""

import atexit
import os
import threading

from .model import Models
from .motoserver import MotoServer
from .proxy import StrictProxy
from .validator import Validator

# Dummy credentials: moto accepts anything, and nothing real may leak in.
ACCESS_KEY = "testing"
SECRET_KEY = "testing"


class Emulator:
    """moto_server and a strict validating proxy, both on 127.0.0.1.

        with Emulator() as emu:
            subprocess.run([...], env=emu.env())
            emu.assert_clean(self)
    """

    def __init__(self, region="us-east-1", port=0, log_dir=None, startup_timeout=30.0):
        self.region = region
        self._port = port  # the proxy's port; 0 picks a free one
        self._log_dir = log_dir  # if set, calls.log and violations.log go there
        self._timeout = startup_timeout
        self.moto = None
        self.proxy = None
        self._reset_hooks = []  # what emulated operations remember goes with moto's state

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        """Start moto, then the proxy; returns self."""
        models = Models()
        # Loading botocore's models takes about as long as moto's start-up:
        # overlap the two.
        warm = threading.Thread(target=models.warm, daemon=True)
        warm.start()
        try:
            self.moto = MotoServer(timeout=self._timeout).start()
            warm.join()
            self.proxy = StrictProxy(
                self.moto.port, port=self._port, validator=Validator(models), log_dir=self._log_dir
            ).start()
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)
        from . import gaps  # here: it needs a started emulator

        gaps.install(self)
        return self

    def stop(self):
        """Stop the proxy and moto; safe to call twice."""
        atexit.unregister(self.stop)
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self.moto is not None:
            self.moto.stop()

    @property
    def endpoint(self):
        """URL of the strict proxy: what AWS_ENDPOINT_URL points at."""
        return self.proxy.endpoint

    @property
    def moto_endpoint(self):
        """URL of moto itself, for out-of-band setup that bypasses validation."""
        return self.moto.endpoint

    def env(self, base=None):
        """Environment for a subprocess that talks to the emulator.

        Starts from base (default os.environ), drops every AWS_* variable so
        no real profile, token or endpoint leaks in, and adds the endpoint,
        dummy credentials, the region and the switches that keep SDKs off the
        network (no IMDS, no config files). env(base={}) gives just those.
        """
        env = dict(os.environ if base is None else base)
        for key in [k for k in env if k.startswith("AWS_")]:
            del env[key]
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_REGION=self.region,
            AWS_DEFAULT_REGION=self.region,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE="/nonexistent",
            AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        )
        return env

    @property
    def violations(self):
        """Violation messages so far, e.g. "ec2 DescribeVpcs: unknown member 'Filtr' ..."."""
        return self.proxy.journal.snapshot()[1]

    @property
    def calls(self):
        """Calls so far, as Call(service, operation, is_write) tuples."""
        return self.proxy.journal.snapshot()[0]

    def clear(self):
        """Forget the calls and violations recorded so far."""
        self.proxy.journal.clear()

    def reset(self):
        """Clear the journal and every resource in moto: a fresh account."""
        self.moto.reset()
        self.clear()
        for hook in self._reset_hooks:
            hook()

    def faults(self, faults):
        """Inject faults (a faults.Faults) into every valid request from now on; None: stop.
        Returns faults, whose .injected lists what was done."""
        self.proxy.faults = faults
        return faults

    def on_reset(self, hook):
        """Call hook() after every reset(): for gaps that keep state of their own (gaps.py)."""
        self._reset_hooks.append(hook)

    def assert_clean(self, testcase=None, msg=None):
        """Fail (testcase.fail, or AssertionError) if any violation was recorded."""
        violations = self.violations
        if not violations:
            return
        text = f"{len(violations)} strict-validation violation(s):\n  " + "\n  ".join(violations)
        if msg:
            text = f"{msg}\n{text}"
        if testcase is not None:
            testcase.fail(text)
        raise AssertionError(text)

    def intercept(self, service, operation, handler):
        """See StrictProxy.intercept: answer or delay one operation's valid calls."""
        self.proxy.intercept(service, operation, handler)

    def boto3_client(self, service, via_proxy=False, **kwargs):
        """A boto3 client for moto directly (out-of-band setup), or via the proxy."""
        import boto3  # here, so importing the harness stays cheap

        session = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=self.region,
        )
        kwargs.setdefault("endpoint_url", self.endpoint if via_proxy else self.moto_endpoint)
        return session.client(service, **kwargs)
