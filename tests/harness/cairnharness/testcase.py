"""CairnTestCase: one emulator per test class, cairn run against it."""

import os
import subprocess
import unittest

from .emulator import Emulator


class CairnTestCase(unittest.TestCase):
    """Base class for integration tests that run $CAIRN_BIN against moto.

    setUpClass starts one Emulator for the class (self.emu), setUp clears its
    journal, tearDown fails the test if any request broke the model. Override
    emulator_options to pass Emulator arguments; call super() in overrides.
    """

    emulator_options = {}
    emu = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emu = Emulator(**cls.emulator_options).start()
        cls.addClassCleanup(cls.emu.stop)

    def setUp(self):
        super().setUp()
        self.emu.clear()

    def tearDown(self):
        try:
            self.emu.assert_clean(self)
        finally:
            super().tearDown()

    def cairn(self, *args, env_extra=None, input=None, timeout=300, cwd=None):
        """Run $CAIRN_BIN with args against the emulator; returns CompletedProcess (text).

        stdin is empty unless input is given, so a prompt cannot hang the test.
        """
        binary = os.environ.get("CAIRN_BIN")
        if not binary:
            self.fail("CAIRN_BIN is not set: run through ctest, or export CAIRN_BIN=<build>/cairn")
        env = self.emu.env()
        env.update(env_extra or {})
        return subprocess.run(
            [binary, *map(str, args)],
            env=env,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
        )
