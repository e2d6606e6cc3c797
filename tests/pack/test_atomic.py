"""install --replace killed with SIGKILL at random moments: the store always
holds the old version or the new one, complete, never a mix or nothing."""

import os
import random
import subprocess
import time

from packutil import WEFT_PACK

ID = "org.example.hello"
ITERATIONS = 30


def test_install_survives_kill_9(wp, tmp_path):
    # Big enough that a kill often lands in the middle of copying or hashing.
    files = {f"ui/blob{i:02d}.bin": os.urandom(256 * 1024) for i in range(8)}
    versions = {}
    for version in ("1.0.0", "2.0.0"):
        pkg = wp.signed_package(tmp_path / version, version=version, files=files)
        versions[version] = pkg
    pub = wp.key()[1]
    dest = wp.store / ID
    rng = random.Random(0x5EED)
    seen = set()
    installed = False
    stale = 0
    deadline = time.monotonic() + 40
    for i in range(ITERATIONS):
        if time.monotonic() > deadline:
            break
        version = "1.0.0" if i % 2 == 0 else "2.0.0"
        proc = subprocess.Popen([WEFT_PACK, "install", "--replace", versions[version]],
                                env=wp.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # An install takes about 100 ms here (mostly fsync): the kills land
        # before, during and after it.
        time.sleep(rng.uniform(0, 0.15))
        proc.kill()
        proc.wait()
        if not dest.exists():
            assert not installed, f"iteration {i}: the installed package disappeared"
            continue
        installed = True
        r = wp.run("verify", dest, "--key", pub)
        assert r.returncode == 0, f"iteration {i}: {r.stderr}"
        text = (dest / "wapp.toml").read_text()
        found = [v for v in versions if f'version = "{v}"' in text]
        assert len(found) == 1, text
        seen.add(found[0])
        # Only the package and our own dot entries are in the store.
        assert [e for e in wp.store_entries() if not e.startswith(".tmp-")] == [ID]
        stale += len(wp.store_entries()) - 1

    # A normal install afterwards cleans up and works.
    r = wp.run("install", "--replace", versions["2.0.0"], ok=True)
    assert wp.store_entries() == [ID]
    wp.run("verify", dest, ok=True)
    assert 'version = "2.0.0"' in (dest / "wapp.toml").read_text()
    print(f"versions seen after kills: {sorted(seen)}, {stale} stale temporaries")
