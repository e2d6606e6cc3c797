"""generate-key and trust add/list/remove."""

import os
import re
import stat

from packutil import openssl_keys


def test_generate_key(wp, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    r = wp.run("generate-key", keys, ok=True)
    priv, pub = keys / "weft.key", keys / "weft.pub"
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    seed = priv.read_text().strip()
    pub_hex = pub.read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", seed)
    assert re.fullmatch(r"[0-9a-f]{64}", pub_hex)
    assert pub_hex in r.stdout and str(priv) in r.stdout and seed not in r.stdout
    # The public key is the one the seed derives (checked with openssl).
    _, derived = openssl_keys(bytes.fromhex(seed), tmp_path)
    assert derived.hex() == pub_hex


def test_generate_key_creates_a_private_dir(wp, tmp_path):
    keys = tmp_path / "new"
    wp.run("generate-key", keys, ok=True)
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert (keys / "weft.key").exists() and (keys / "weft.pub").exists()


def test_generate_key_default_dir_and_fresh_keys(wp, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    wp.run("generate-key", cwd=a, ok=True)
    wp.run("generate-key", b, ok=True)
    assert (a / "weft.key").read_text() != (b / "weft.key").read_text()


def test_generate_key_never_overwrites(wp, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    wp.run("generate-key", keys, ok=True)
    before = (keys / "weft.key").read_bytes(), (keys / "weft.pub").read_bytes()
    r = wp.run("generate-key", keys, ok=False)
    assert "already exist" in r.stderr
    assert ((keys / "weft.key").read_bytes(), (keys / "weft.pub").read_bytes()) == before
    # Either file alone blocks it, and nothing is written.
    only_pub = tmp_path / "only-pub"
    only_pub.mkdir()
    (only_pub / "weft.pub").write_text("mine\n")
    wp.run("generate-key", only_pub, ok=False)
    assert sorted(os.listdir(only_pub)) == ["weft.pub"]
    assert (only_pub / "weft.pub").read_text() == "mine\n"


def test_trust_add_list_remove(wp, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    wp.run("generate-key", keys, ok=True)
    pub_hex = (keys / "weft.pub").read_text().strip()

    assert wp.run("trust", "list", ok=True).stdout == ""
    r = wp.run("trust", "add", keys / "weft.pub", ok=True)
    installed = wp.trust_dir / f"{pub_hex[:16]}.pub"
    assert installed.read_text().strip() == pub_hex
    assert str(installed) in r.stdout
    # The directories it made are private.
    assert stat.S_IMODE(wp.trust_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(wp.trust_dir.parent.stat().st_mode) == 0o700

    r = wp.run("trust", "add", keys / "weft.pub", ok=False)
    assert "already trusted" in r.stderr

    r = wp.run("trust", "list", ok=True)
    assert r.stdout.split() == [pub_hex, str(installed)]

    # By hex, in either case; then it is gone.
    wp.run("trust", "remove", pub_hex.upper(), ok=True)
    assert not installed.exists()
    assert wp.run("trust", "list", ok=True).stdout == ""
    r = wp.run("trust", "remove", pub_hex, ok=False)
    assert "not trusted" in r.stderr


def test_trust_add_hex_and_remove_by_file(wp, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    wp.run("generate-key", keys, ok=True)
    pub_hex = (keys / "weft.pub").read_text().strip()
    wp.run("trust", "add", pub_hex, ok=True)
    assert wp.run("trust", "list", ok=True).stdout.startswith(pub_hex)
    wp.run("trust", "remove", keys / "weft.pub", ok=True)
    assert list(wp.trust_dir.iterdir()) == []


def test_trust_list_order_and_malformed(wp, tmp_path):
    k1, k2 = tmp_path / "k1", tmp_path / "k2"
    for k in (k1, k2):
        k.mkdir()
        wp.run("generate-key", k, ok=True)
        wp.run("trust", "add", k / "weft.pub", ok=True)
    (wp.trust_dir / "broken.pub").write_text("not hex\n")
    r = wp.run("trust", "list", ok=True)
    listed = [line.split()[0] for line in r.stdout.splitlines()]
    assert sorted(listed) == sorted((k / "weft.pub").read_text().strip() for k in (k1, k2))
    # A malformed key file is warned about, not listed, and not fatal.
    assert "broken.pub" in r.stderr
