import pytest

from appdutil import APP_SHELL, APPD, APPS, COMPOSITOR, RUNTIME, STANDIN, WEFTCTL, Weft, \
    missing_programs, stop_and_check


def lane():
    servo = "skipped: weft-app-shell not built" if not APP_SHELL.exists() else \
        "tests/e2e, the servo-e2e lane"
    return f"appd lane: stand-in app-shell; with Servo: {servo}"


def pytest_report_header(config):
    return [lane(), f"weft-appd: {APPD}"]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(lane())


def pytest_sessionstart(session):
    missing = missing_programs((COMPOSITOR, APPD, WEFTCTL, RUNTIME, STANDIN,
                                APPS / "org.weft.demo.counter"))
    if missing:
        raise pytest.UsageError(missing)


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
    try:
        stop_and_check(started)
    finally:
        for w in started:
            w.cleanup()


@pytest.fixture
def weft(start):
    """The real compositor, headless, running appd."""
    return start()
