"""The Servo lane's end-to-end tests: every part real, weft-app-shell with
Servo included. They share tests/appd's helpers."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "appd"))

from appdutil import APP_SHELL, APPD, APPS, BUILD, COMPOSITOR, RUNTIME, WEFTCTL, Weft, \
    missing_programs, stop_and_check  # noqa: E402

TEST_INPUT = BUILD / "tests" / "appd" / "weft-test-input"


def pytest_report_header(config):
    return [f"servo lane: weft-app-shell {APP_SHELL}"]


def pytest_terminal_summary(terminalreporter):
    # The walk-through's screenshots (test_walk_through_servo.py), one a step.
    shots = BUILD / "screenshots" / "walk-through"
    if shots.is_dir():
        terminalreporter.write_line(f"servo lane: walk-through screenshots in {shots} "
                                    f"({len(list(shots.glob('*.png')))} steps)")


def pytest_sessionstart(session):
    missing = missing_programs((COMPOSITOR, APPD, WEFTCTL, RUNTIME, APP_SHELL, TEST_INPUT,
                                APPS / "org.weft.demo.counter", APPS / "org.weft.demo.notes"))
    if missing:
        raise pytest.UsageError(missing)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def weft(tmp_path, cache_dir):
    """The headless compositor running appd, which runs the real weft-app-shell."""
    w = Weft(tmp_path / "w", cache_dir, env={"WEFT_APP_SHELL": str(APP_SHELL)})
    yield w
    try:
        stop_and_check([w])
    finally:
        w.cleanup()


@pytest.fixture
def weft_no_prewarm(tmp_path, cache_dir):
    """As weft, with appd keeping no spare app-shell."""
    w = Weft(tmp_path / "w", cache_dir, env={"WEFT_APP_SHELL": str(APP_SHELL)},
             appd_args=("--no-prewarm",))
    yield w
    try:
        stop_and_check([w])
    finally:
        w.cleanup()
