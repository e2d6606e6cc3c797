import os
import sys
from pathlib import Path

import pytest

# The appd tests' helpers: the build's programs, waiting, leftover processes.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "appd"))

from appdutil import APPD, BUILD, COMPOSITOR, STANDIN, WEFTCTL  # noqa: E402


def pytest_report_header(config):
    return [f"session lane: {BUILD / 'session'}"]


def pytest_sessionstart(session):
    needed = (COMPOSITOR, APPD, WEFTCTL, STANDIN, BUILD / "session" / "weft-session")
    missing = [str(p) for p in needed if not os.path.exists(p)]
    if missing:
        raise pytest.UsageError("not built: " + ", ".join(missing))
