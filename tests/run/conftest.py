import os
import sys
from pathlib import Path

import pytest

# The appd tests' helpers: the build's programs, waiting, leftover processes.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "appd"))

from appdutil import APP_SHELL, APPS, COMPOSITOR, APPD, STANDIN, WEFTCTL  # noqa: E402


def lane():
    if APP_SHELL.exists():
        return "run lane: scripts/run-weft with weft-app-shell (Servo)"
    return ("run lane: scripts/run-weft with the stand-in app-shell; the Servo part "
            "skipped (weft-app-shell not built)")


def pytest_report_header(config):
    return [lane()]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(lane())


def pytest_sessionstart(session):
    needed = (COMPOSITOR, APPD, WEFTCTL, STANDIN, APPS / "org.weft.demo.counter")
    missing = [str(p) for p in needed if not os.path.exists(p)]
    if missing:
        raise pytest.UsageError("not built: " + ", ".join(missing))
