"""The command line of the Python benchmarks: bench/NAME [RUNS]."""

import sys


def runs_arg(usage, default):
    """RUNS from the command line, default without one; --help prints usage."""
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(usage.strip())
        sys.exit(0)
    if len(sys.argv) == 1:
        return default
    if len(sys.argv) > 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        print(f"{sys.argv[0]}: RUNS must be one positive number (see --help)",
              file=sys.stderr)
        sys.exit(2)
    return int(sys.argv[1])
