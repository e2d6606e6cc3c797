"""The names of WEFT's control protocols, read from their headers
(libweft/include/weft/*-protocol.h), and the prose that describes them, for
the tests that check the two agree and that the daemons send only what the
headers define."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INCLUDE = ROOT / "libweft" / "include" / "weft"

# protocol -> (header, its prefix, the document and section that describe it)
PROTOCOLS = {
    "appd": ("appd-protocol.h", "WEFT_APPD_",
             ROOT / "appd" / "weft-appd.8.scd", "PROTOCOL"),
    "compositor": ("compositor-protocol.h", "WEFT_COMPOSITOR_",
                   ROOT / "compositor" / "weft-compositor.1.scd", "CONTROL CHANNEL"),
    "runtime": ("runtime-protocol.h", "WEFT_RUNTIME_",
                ROOT / "appd" / "weft-appd.8.scd", "RUNTIME CONTROL CHANNEL"),
}

# Constants that name no JSON member or value: paths and the like.
NOT_ON_THE_WIRE = {"WEFT_APPD_SOCKET_DIR", "WEFT_APPD_SOCKET_NAME", "WEFT_APPD_SOCKET_ENV",
                   "WEFT_RUNTIME_READY"}


def string_defines(path):
    """{NAME: "value"} of every #define NAME "value" in a header."""
    text = Path(path).read_text()
    return dict(re.findall(r'^#define (WEFT_\w+) "([^"]*)"', text, re.M))


def envelope():
    """weft/ipc.h's members every protocol shares: id, type, ok, error..."""
    return {v for k, v in string_defines(INCLUDE / "ipc.h").items() if k.startswith("WEFT_MSG_")}


class Protocol:
    def __init__(self, name):
        header, self.prefix, self.doc, self.section = PROTOCOLS[name]
        self.name = name
        self.header = INCLUDE / header
        self.defines = {k: v for k, v in string_defines(self.header).items()
                        if k.startswith(self.prefix) and k not in NOT_ON_THE_WIRE}

    def of(self, kind):
        """The values of the constants of one kind: REQ, EVENT, KEY, ERR..."""
        return {v for k, v in self.defines.items() if k.startswith(self.prefix + kind + "_")}

    @property
    def requests(self):
        return {v for k, v in self.defines.items()
                if k.startswith(self.prefix + "REQ_") and not k.endswith("_OLD")}

    @property
    def old_requests(self):
        return {v for k, v in self.defines.items()
                if k.startswith(self.prefix + "REQ_") and k.endswith("_OLD")}

    @property
    def names(self):
        """Every name this protocol puts on the wire, the envelope's too."""
        return set(self.defines.values()) | envelope()

    def doc_text(self):
        """The section of the man page that describes the protocol."""
        lines = self.doc.read_text().splitlines()
        start = lines.index("# " + self.section)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("# ")),
                   len(lines))
        return "\n".join(lines[start + 1:end])


def doc_error_codes(text):
    """The codes listed after "Error codes:" (one list, up to its full stop)."""
    m = re.search(r"Error codes:(.*?)\.(\s|$)", text, re.S)
    if m is None:
        return None
    return set(re.findall(r"\*([a-z0-9_]+)\*", m.group(1)))


def doc_mentions(text, value):
    """Whether the prose names value: as "value" or as *value*."""
    if value.endswith(" "):  # a prefix, such as "not enforced: " WHY
        return '"' + value in text
    v = re.escape(value)
    return re.search(rf'"{v}"|\*{v}\*|\*{v}[,:]|\*"{v}"', text) is not None
