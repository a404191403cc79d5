"""Where things are: the repository and its modules (the folders of solutions/)."""

import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent
MODULES = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
