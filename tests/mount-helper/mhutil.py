"""Where the helper under test and its companions are."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("WEFT_BUILD_DIR", os.path.join(ROOT, "build"))
# Built with its image store and runtime base in BUILD/tests/mount-helper/.
HELPER = os.path.join(BUILD, "mount-helper", "weft-mount-helper-test")
# Built as installed: the system stores, /run/user.
INSTALLED = os.path.join(BUILD, "mount-helper", "weft-mount-helper")
# Makes the real images (build-image).
WEFT_PACK = os.environ.get("WEFT_PACK") or os.path.join(BUILD, "pack", "weft-pack")
