"""bin/supervise: the wrapper that keeps the local worker and beat running (Procfile.dev)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.faults.broker_harness import ROOT, wait_until

SUPERVISE = [sys.executable, str(ROOT / "bin" / "supervise"), "--min-backoff", "0.2"]


def test_a_command_that_exits_is_started_again_with_backoff(tmp_path: Path):
    runs = tmp_path / "runs"
    crash = f"open({str(runs)!r}, 'a').write('run\\n'); raise SystemExit(3)"
    proc = subprocess.Popen([*SUPERVISE, "--", sys.executable, "-c", crash], stderr=subprocess.PIPE)
    try:
        wait_until(lambda: runs.exists() and runs.read_text().count("run") >= 3, 20, what="3 runs")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    log = proc.stderr.read().decode()
    assert "exited with code 3" in log and "restarting in 0.2s" in log and "0.4s" in log


def test_sigterm_goes_to_the_command_and_nothing_is_restarted(tmp_path: Path):
    marker = tmp_path / "terminated"
    body = (
        "import signal, sys, time\n"
        f"def stop(*_): open({str(marker)!r}, 'w').write('yes'); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        f"open({str(marker)!r} + '.started', 'w').write('yes')\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([*SUPERVISE, sys.executable, "-c", body])
    wait_until(lambda: Path(f"{marker}.started").exists(), 20, what="command started")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert marker.read_text() == "yes"
