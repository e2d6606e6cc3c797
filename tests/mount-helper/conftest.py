import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("WEFT_BUILD_DIR", os.path.join(ROOT, "build"))
# Built with its image store and runtime base in BUILD/tests/mount-helper/.
HELPER = os.path.join(BUILD, "mount-helper", "weft-mount-helper-test")
# Built as installed: the system stores, /run/user.
INSTALLED = os.path.join(BUILD, "mount-helper", "weft-mount-helper")
# Makes the real images (build-image).
WEFT_PACK = os.environ.get("WEFT_PACK") or os.path.join(BUILD, "pack", "weft-pack")


def pytest_report_header(config):
    return f"weft-mount-helper: {HELPER}"


def pytest_collection_modifyitems(config, items):
    if not os.access(HELPER, os.X_OK):
        skip = pytest.mark.skip(reason=f"{HELPER} is not built (libcryptsetup-dev missing?)")
        for item in items:
            item.add_marker(skip)
