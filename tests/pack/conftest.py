import os

import pytest

from packutil import WEFT_PACK, WeftPack


def pytest_report_header(config):
    return f"weft-pack: {WEFT_PACK}"


def pytest_sessionstart(session):
    if not os.access(WEFT_PACK, os.X_OK):
        raise pytest.UsageError(f"{WEFT_PACK} is not built (set WEFT_PACK or build it first)")


@pytest.fixture
def wp(tmp_path):
    return WeftPack(tmp_path)
