"""Helpers for the weft-pack black-box tests: running the binary in a private
home, building packages, and an implementation of the design §5 signature
scheme that shares nothing with the C code (hashlib + openssl)."""

import hashlib
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WEFT_PACK = os.environ.get("WEFT_PACK") or str(REPO / "build" / "pack" / "weft-pack")

# A component with no sections: magic, version 0x0d, layer 1.
COMPONENT = bytes.fromhex("0061736d0d000100")
CORE_MODULE = bytes.fromhex("0061736d01000000")

# PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows.
PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
# SubjectPublicKeyInfo DER prefix of an Ed25519 public key.
SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")


def manifest_text(app_id, name="Hello", version="1.0.0", capabilities=(), module="app.wasm",
                  entry="ui/index.html", extra=""):
    caps = ", ".join(f'"{c}"' for c in capabilities)
    return (
        "[package]\n"
        f'id = "{app_id}"\n'
        f'name = "{name}"\n'
        f'version = "{version}"\n'
        'description = "A test package"\n'
        'author = "WEFT tests"\n'
        f"capabilities = [{caps}]\n"
        f"{extra}"
        "\n[runtime]\n"
        f'module = "{module}"\n'
        "\n[ui]\n"
        f'entry = "{entry}"\n'
    )


def make_package(path, app_id="org.example.hello", version="1.0.0", capabilities=(),
                 module_bytes=COMPONENT, files=None, **kw):
    """A package directory at path; files maps extra relative paths to bytes."""
    path = Path(path)
    (path / "ui").mkdir(parents=True, exist_ok=True)
    (path / "wapp.toml").write_text(manifest_text(app_id, version=version,
                                                  capabilities=capabilities, **kw))
    (path / "app.wasm").write_bytes(module_bytes)
    (path / "ui" / "index.html").write_text(f"<!doctype html><p>{app_id} {version}</p>\n")
    for rel, data in (files or {}).items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(data)
    return path


def package_digest(root):
    """The design §5 digest, computed independently of weft-pack."""
    root = Path(root)
    entries = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix().encode()
            if rel == b"signature.sig":
                continue
            entries.append((rel, full))
    entries.sort(key=lambda e: e[0])  # bytewise
    lines = b"".join(rel + b"\t" + hashlib.sha256(full.read_bytes()).hexdigest().encode()
                     + b"\n" for rel, full in entries)
    return hashlib.sha256(lines).digest()


def openssl(*args, data=None):
    return subprocess.run(["openssl", *map(str, args)], input=data, capture_output=True,
                          check=True).stdout


def openssl_keys(seed, workdir):
    """Writes the seed as a DER private key; returns (der path, public key bytes)."""
    der = Path(workdir) / f"ed25519-{seed.hex()[:8]}.der"
    der.write_bytes(PKCS8_ED25519_PREFIX + seed)
    spki = openssl("pkey", "-inform", "DER", "-in", der, "-pubout", "-outform", "DER")
    assert spki.startswith(SPKI_ED25519_PREFIX) and len(spki) == 44
    return der, spki[len(SPKI_ED25519_PREFIX):]


def openssl_sign(der, message, workdir):
    msg = Path(workdir) / "message.bin"
    msg.write_bytes(message)
    sig = openssl("pkeyutl", "-sign", "-inkey", der, "-keyform", "DER", "-rawin", "-in", msg)
    assert len(sig) == 64
    return sig


def openssl_verify(pub, message, sig, workdir):
    workdir = Path(workdir)
    (workdir / "pub.der").write_bytes(SPKI_ED25519_PREFIX + pub)
    (workdir / "message.bin").write_bytes(message)
    (workdir / "sig.bin").write_bytes(sig)
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                        workdir / "pub.der", "-keyform", "DER", "-rawin", "-in",
                        workdir / "message.bin", "-sigfile", workdir / "sig.bin"],
                       capture_output=True)
    return r.returncode == 0


class WeftPack:
    """Runs weft-pack with HOME and XDG_* pointing into a temporary home."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.home = tmp_path / "home"
        self.home.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("XDG_") and k not in ("WEFT_APP_STORE", "WEFT_LOG",
                                                               "SOURCE_DATE_EPOCH")}
        self.env.update({
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
        })
        self._key = None

    @property
    def store(self):
        if "WEFT_APP_STORE" in self.env:
            return Path(self.env["WEFT_APP_STORE"])
        return Path(self.env["XDG_DATA_HOME"]) / "weft" / "apps"

    @property
    def trust_dir(self):
        return Path(self.env["XDG_CONFIG_HOME"]) / "weft" / "trusted-keys"

    def data_dir(self, app_id):
        return Path(self.env["XDG_DATA_HOME"]) / "weft" / "data" / app_id

    def run(self, *args, ok=None, cwd=None, timeout=60, env=None):
        """Runs weft-pack. ok=True: must succeed. ok=False: must fail with
        exactly one line on stderr, "weft-pack: ..."."""
        r = subprocess.run([WEFT_PACK, *map(str, args)], capture_output=True, text=True,
                           errors="replace", cwd=cwd or self.tmp, env=env or self.env,
                           timeout=timeout)
        what = f"weft-pack {' '.join(map(str, args))}"
        if ok is True:
            assert r.returncode == 0, f"{what} failed ({r.returncode}):\n{r.stderr}{r.stdout}"
        elif ok is False:
            assert r.returncode != 0, f"{what} succeeded:\n{r.stdout}"
            assert_one_error_line(r, what)
        return r

    def key(self):
        """A key pair made by generate-key, trusted; returns (private, public) paths."""
        if self._key is None:
            keydir = self.tmp / "keys"
            keydir.mkdir()
            self.run("generate-key", keydir, ok=True)
            self.run("trust", "add", keydir / "weft.pub", ok=True)
            self._key = (keydir / "weft.key", keydir / "weft.pub")
        return self._key

    def signed_package(self, path, **kw):
        make_package(path, **kw)
        self.run("sign", path, "--key", self.key()[0], ok=True)
        return Path(path)

    def store_entries(self):
        """What the store holds, apart from its lock file."""
        if not self.store.exists():
            return []
        return sorted(p.name for p in self.store.iterdir() if p.name != ".lock")


def assert_one_error_line(r, what="weft-pack"):
    lines = r.stderr.splitlines()
    assert len(lines) == 1, f"{what}: expected one line on stderr, got:\n{r.stderr}"
    assert lines[0].startswith("weft-pack: "), f"{what}: {lines[0]!r}"
    assert r.returncode in (1, 2), f"{what}: exit status {r.returncode}"
