import os

import pytest

from mhutil import HELPER


def pytest_report_header(config):
    return f"weft-mount-helper: {HELPER}"


def pytest_collection_modifyitems(config, items):
    if not os.access(HELPER, os.X_OK):
        skip = pytest.mark.skip(reason=f"{HELPER} is not built (libcryptsetup-dev missing?)")
        here = os.path.dirname(os.path.abspath(__file__))
        for item in items:
            if str(item.fspath).startswith(here + os.sep):
                item.add_marker(skip)
