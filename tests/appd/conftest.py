import os

import pytest

from appdutil import APP_SHELL, APPD, APPS, COMPOSITOR, RUNTIME, STANDIN, WEFTCTL, Weft, \
    wait_until

SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def lane():
    servo = "skipped: weft-app-shell not built" if not APP_SHELL.exists() else \
        "tests/e2e, the servo-e2e lane"
    return f"appd lane: stand-in app-shell; with Servo: {servo}"


def pytest_report_header(config):
    return [lane(), f"weft-appd: {APPD}"]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(lane())


def pytest_sessionstart(session):
    needed = (COMPOSITOR, APPD, WEFTCTL, RUNTIME, STANDIN, APPS / "org.weft.demo.counter")
    missing = [str(p) for p in needed
               if not os.path.exists(p)]
    if missing:
        raise pytest.UsageError("not built: " + ", ".join(missing))


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """One component cache for the whole run: the runtime compiles once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def start(tmp_path, cache_dir):
    """start(**kw) -> Weft; everything is stopped and checked afterwards."""
    started = []

    def _start(**kw):
        w = Weft(tmp_path / f"w{len(started)}", cache_dir, **kw)
        started.append(w)
        return w

    yield _start
    for w in reversed(started):
        w.stop()
    for w in started:
        try:
            wait_until("every process to be gone", lambda: not w.leftovers(), timeout=10)
        except AssertionError:
            pytest.fail(f"processes left behind: {w.leftovers()}\n{w.logs()}")
        logs = w.logs()
        for report in SANITIZER_REPORTS:
            assert report not in logs, logs
    for w in started:
        w.cleanup()


@pytest.fixture
def weft(start):
    """The real compositor, headless, running appd."""
    return start()
