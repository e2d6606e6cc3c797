"""sign and verify: round trip, tampering, and compatibility with the design §5
scheme as computed here with hashlib and openssl (the known-answer test)."""

import hashlib
import os
import re

import pytest

from packutil import (make_package, openssl_keys, openssl_sign, openssl_verify,
                      package_digest)

# A fixed seed: the same key every run, so the signatures below are fixed too.
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")


def kat_package(path):
    """A package whose digest depends on the bytewise order of tricky names:
    upper case before lower case, "a.txt" before "a/...", nested dirs, an
    empty file, and a top-level-only exclusion of signature.sig."""
    return make_package(path, files={
        "B.txt": b"upper\n",
        "a.txt": b"dot\n",
        "a/z/deep.bin": bytes(range(256)) * 4,
        "a/empty": b"",
        "ui/style.css": b"p { color: red }\n",
        "ui/signature.sig": b"only the top-level one is excluded\n",
        "\u00e9t\u00e9.txt": "non-ASCII name\n".encode(),
    })


def write_seed(path):
    path.write_text(SEED.hex() + "\n")
    os.chmod(path, 0o600)
    return path


def test_sign_verify_round_trip(wp, tmp_path):
    pkg = make_package(tmp_path / "pkg")
    priv, pub = wp.key()
    pub_hex = pub.read_text().strip()
    r = wp.run("sign", pkg, "--key", priv, ok=True)
    assert pub_hex in r.stdout
    assert re.fullmatch(r"[0-9a-f]{128}\n?", (pkg / "signature.sig").read_text())
    r = wp.run("verify", pkg, "--key", pub, ok=True)
    assert r.stdout == f"OK: signed by {pub_hex} ({pub})\n"
    # Against the trust store (the key was trusted by wp.key()).
    r = wp.run("verify", pkg, ok=True)
    trusted = wp.trust_dir / f"{pub_hex[:16]}.pub"
    assert r.stdout == f"OK: signed by {pub_hex} ({trusted})\n"
    # Signing again replaces the signature (Ed25519 is deterministic).
    before = (pkg / "signature.sig").read_text()
    wp.run("sign", pkg, "--key", priv, ok=True)
    assert (pkg / "signature.sig").read_text() == before


def test_sign_without_manifest_warns(wp, tmp_path):
    pkg = tmp_path / "bare"
    pkg.mkdir()
    (pkg / "data").write_text("x")
    r = wp.run("sign", pkg, "--key", wp.key()[0], ok=True)
    assert "wapp.toml" in r.stderr and "warning" in r.stderr
    wp.run("verify", pkg, ok=True)


def test_verify_untrusted_key(wp, tmp_path):
    pkg = make_package(tmp_path / "pkg")
    other = tmp_path / "other"
    other.mkdir()
    wp.run("generate-key", other, ok=True)
    wp.key()  # a trusted key exists, but it is not the one that signs
    wp.run("sign", pkg, "--key", other / "weft.key", ok=True)
    r = wp.run("verify", pkg, ok=False)
    assert "does not match any trusted key" in r.stderr
    r = wp.run("verify", pkg, "--key", wp.key()[1], ok=False)
    assert "does not match" in r.stderr
    wp.run("verify", pkg, "--key", other / "weft.pub", ok=True)


def test_verify_empty_trust_store(wp, tmp_path):
    pkg = make_package(tmp_path / "pkg")
    keys = tmp_path / "keys"
    keys.mkdir()
    wp.run("generate-key", keys, ok=True)
    wp.run("sign", pkg, "--key", keys / "weft.key", ok=True)
    r = wp.run("verify", pkg, ok=False)
    assert "trust store is empty" in r.stderr


def flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


TAMPER = {
    "byte flipped in module": lambda p: flip_byte(p / "app.wasm"),
    "byte flipped in manifest": lambda p: flip_byte(p / "wapp.toml"),
    "file added": lambda p: (p / "ui" / "extra.js").write_text("alert(1)\n"),
    "empty file added": lambda p: (p / "new").write_bytes(b""),
    "file removed": lambda p: (p / "ui" / "index.html").unlink(),
    "file renamed": lambda p: (p / "ui" / "index.html").rename(p / "ui" / "main.html"),
    "dir renamed": lambda p: (p / "ui").rename(p / "UI"),
    "signature truncated": lambda p: (p / "signature.sig").write_text(
        (p / "signature.sig").read_text().strip()[:100]),
    "signature garbage": lambda p: (p / "signature.sig").write_text("zz" * 64),
    "signature empty": lambda p: (p / "signature.sig").write_text(""),
    "signature of other data": lambda p: (p / "signature.sig").write_text("00" * 64),
    "signature removed": lambda p: (p / "signature.sig").unlink(),
}


@pytest.mark.parametrize("change", TAMPER.keys())
def test_tampered_package_fails(wp, tmp_path, change):
    pkg = wp.signed_package(tmp_path / "pkg")
    wp.run("verify", pkg, ok=True)
    TAMPER[change](pkg)
    r = wp.run("verify", pkg, ok=False)
    assert r.returncode == 1
    r = wp.run("verify", pkg, "--key", wp.key()[1], ok=False)
    assert r.returncode == 1
    # And such a package does not install.
    wp.run("install", pkg, ok=False)
    assert wp.store_entries() == []


def test_known_answer_openssl_signed_verifies(wp, tmp_path):
    """A package signed as WEFT OS does (digest by hashlib, Ed25519 by openssl)
    verifies with weft-pack."""
    pkg = kat_package(tmp_path / "pkg")
    der, pub = openssl_keys(SEED, tmp_path)
    sig = openssl_sign(der, package_digest(pkg), tmp_path)
    (pkg / "signature.sig").write_text(sig.hex())
    pub_file = tmp_path / "kat.pub"
    pub_file.write_text(pub.hex() + "\n")
    r = wp.run("verify", pkg, "--key", pub_file, ok=True)
    assert r.stdout.startswith(f"OK: signed by {pub.hex()}")
    # The same signature over a digest computed any other way must fail:
    # a changed file changes the digest.
    (pkg / "a.txt").write_text("dot!\n")
    wp.run("verify", pkg, "--key", pub_file, ok=False)


def test_known_answer_weft_pack_signature_is_openssls(wp, tmp_path):
    """weft-pack sign produces exactly the signature openssl computes over the
    design §5 digest, and openssl verifies it."""
    pkg = kat_package(tmp_path / "pkg")
    seed_file = write_seed(tmp_path / "kat.key")
    der, pub = openssl_keys(SEED, tmp_path)
    r = wp.run("sign", pkg, "--key", seed_file, ok=True)
    assert pub.hex() in r.stdout
    written = (pkg / "signature.sig").read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{128}", written)
    digest = package_digest(pkg)
    expected = openssl_sign(der, digest, tmp_path)
    assert written == expected.hex()
    assert openssl_verify(pub, digest, bytes.fromhex(written), tmp_path)


def test_known_answer_fixed_vector(wp, tmp_path):
    """Pinned values (the seed is RFC 8032's first test key): catches a change
    of scheme that the helpers above and weft-pack might share."""
    pkg = tmp_path / "fixed"
    (pkg / "ui").mkdir(parents=True)
    (pkg / "wapp.toml").write_bytes(b"[package]\n")
    (pkg / "app.wasm").write_bytes(bytes.fromhex("0061736d0d000100"))
    (pkg / "ui" / "index.html").write_bytes(b"<p>hi</p>\n")
    lines = (
        b"app.wasm\t24eaf3439a60c96764c4f2c92a0a81b52bd4fe5d5b91f090184a0f6486b1bf29\n"
        b"ui/index.html\t11e6d60e8d8b1830e6ebe95ad0d470f546936d07a5109b8b2004e3f81fbdf847\n"
        b"wapp.toml\t8a3cd5a81b3f9a621aa493d90c45f42ab571d4e42b8ae5aff351cb0a02d06d82\n"
    )
    assert package_digest(pkg) == hashlib.sha256(lines).digest()
    pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    sig = ("0fce44f775117aaddc2ab090f2bb77214bc39f9ad06f5bdf28d73516d5708339"
           "c09c2232c23ca68f9a3404be5bec22ed28d9c669604a96613de7e9dc9a0a9e06")
    r = wp.run("sign", pkg, "--key", write_seed(tmp_path / "kat.key"), ok=True)
    assert pub in r.stdout
    assert (pkg / "signature.sig").read_text().strip() == sig
    pub_file = tmp_path / "kat.pub"
    pub_file.write_text(pub + "\n")
    wp.run("verify", pkg, "--key", pub_file, ok=True)
