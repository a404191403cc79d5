"""Print the pip requirements pinned in environment.yml, one per line (stdlib only).

make installs .venv from this output, so environment.yml stays the one list of versions.
Usage: python3 scripts/pins.py [environment.yml]
"""

import re
import sys


def pip_pins(text):
    """The `name==version` entries of the `- pip:` section of a conda environment file."""
    pins, in_pip = [], False
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if re.fullmatch(r"\s*-\s*pip:\s*", stripped):
            in_pip = True
        elif in_pip and (entry := re.fullmatch(r"\s+-\s*(\S+==\S+)\s*", stripped)):
            pins.append(entry.group(1))
        elif in_pip and stripped.strip():
            in_pip = False
    return pins


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "environment.yml"
    with open(path, encoding="utf-8") as f:
        pins = pip_pins(f.read())
    if not pins:
        sys.exit(f"no pinned pip requirements found in {path}")
    print("\n".join(pins))
