"""cairn's AWS test harness: moto behind a proxy that validates every request
against botocore's service models.

    with cairnharness.Emulator() as emu:
        subprocess.run([cairn, "drift", stack], env=emu.env())
        emu.assert_clean(self)                       # no request broke the model
        assert not [c for c in emu.calls if c.is_write]

See tests/harness/README.md.
"""

from .emulator import Emulator
from .faults import Faults
from .motoserver import MotoServer, MotoStartError, free_port
from .proxy import Call, StrictProxy
from .testcase import CairnTestCase
from .validator import Validator, Verdict, WireRequest

__all__ = [
    "CairnTestCase",
    "Call",
    "Emulator",
    "Faults",
    "MotoServer",
    "MotoStartError",
    "StrictProxy",
    "Validator",
    "Verdict",
    "WireRequest",
    "free_port",
]
