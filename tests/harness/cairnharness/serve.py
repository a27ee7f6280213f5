"""python3 -m cairnharness.serve: run an Emulator in the foreground until signalled.

tools/emulator starts this in the background. Once the emulator answers it
writes, into --state-dir: 'env' (export lines for a shell), 'url' (the
proxy), 'moto-url' and 'pid'; calls.log and violations.log grow as requests
arrive. SIGTERM or SIGINT stops everything and removes url, env and pid.
"""

import argparse
import os
import shlex
import signal
import sys
import threading

from .emulator import Emulator

# Variables that would override the emulator's dummy credentials.
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def _write(path, text):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)  # readers never see half a file


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m cairnharness.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True, help="where url, env, pid and logs go")
    parser.add_argument("--port", type=int, default=0, help="proxy port (default: a free one)")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--data-dir", help="EFS file systems' content and AWS Backup's copies "
                        "of it (efsdata.py); default: none, file systems hold no files")
    args = parser.parse_args(argv)
    try:
        os.setsid()  # detach from the terminal's signals and hang-ups
    except OSError:
        pass  # already a session leader

    os.makedirs(args.state_dir, exist_ok=True)
    for name in ("calls.log", "violations.log"):
        open(os.path.join(args.state_dir, name), "w").close()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    emu = Emulator(region=args.region, port=args.port, log_dir=args.state_dir).start()
    if args.data_dir:
        from . import efsdata

        efsdata.set_data_dir(emu, args.data_dir)
    try:
        exports = "".join(
            f"export {k}={shlex.quote(v)}\n" for k, v in sorted(emu.env(base={}).items())
        )
        state = {
            "env": f"unset {' '.join(UNSET)}\n{exports}",
            "moto-url": emu.moto_endpoint + "\n",
            "pid": f"{os.getpid()}\n",
            "url": emu.endpoint + "\n",  # last: its presence means "ready"
        }
        for name, text in state.items():
            _write(os.path.join(args.state_dir, name), text)
        print(f"cairn emulator ready at {emu.endpoint} (moto {emu.moto_endpoint})", flush=True)
        while not stop.wait(1):
            pass
    finally:
        emu.stop()
        for name in ("url", "env", "pid", "moto-url"):
            try:
                os.remove(os.path.join(args.state_dir, name))
            except FileNotFoundError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
