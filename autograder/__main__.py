"""`python -m autograder grade MODULE --submissions PATH [options]`: grade a whole class.

Run it from the repository (or anywhere, with the course's environment): see the README's
instructor guide. Exit status 0 when every student was graded, 1 when some could not be
(run again to retry just those), 2 for a usage error.
"""

import argparse
import sys

from .classrun import DEFAULT_OUT, grade_class


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="autograde every submission of a module, in parallel")
    grade.add_argument("module", help="the assignment, e.g. 00-measuring-scale (a folder of solutions/)")
    grade.add_argument("--submissions", metavar="PATH",
                       help="a folder laid out as nbgrader's submitted/ (STUDENT/MODULE/*.ipynb) or an LMS zip "
                            f"(default: {DEFAULT_OUT / 'submitted'})")
    grade.add_argument("--workers", type=int, help="Dask worker processes of the local cluster (default: the cores)")
    grade.add_argument("--scheduler", metavar="ADDRESS", help="use this Dask scheduler instead, e.g. tcp://host:8786")
    grade.add_argument("--db", metavar="URL", help="main gradebook: sqlite:///... or postgresql://... "
                                                   "(default: sqlite in --out)")
    grade.add_argument("--out", metavar="DIR", help=f"the output course folder (default: {DEFAULT_OUT})")
    grade.add_argument("--timeout", type=float, default=600, metavar="S",
                       help="seconds of run time per notebook (default 600)")
    grade.add_argument("--cell-timeout", type=int, metavar="S",
                       help="seconds per cell (default: the course's ExecutePreprocessor.timeout)")
    grade.add_argument("--memory", type=int, default=4096, metavar="MB",
                       help="address-space cap per kernel process in MiB (default 4096; 0: none)")
    grade.add_argument("--processes", type=int, metavar="N",
                       help="processes one notebook may run (default: max(64, 4 x cores))")
    grade.add_argument("--source", metavar="DIR", help="the folder holding MODULE's source (default: solutions/)")
    grade.add_argument("--regexp", help="FileNameCollectorPlugin.named_regexp for an LMS zip")
    grade.add_argument("--force", action="store_true", help="regrade students already graded")
    args = parser.parse_args(argv)
    run = grade_class(args.module, submissions=args.submissions, workers=args.workers, scheduler=args.scheduler,
                      db=args.db, out=args.out, source=args.source, timeout=args.timeout,
                      cell_timeout=args.cell_timeout, memory_mb=args.memory, max_processes=args.processes,
                      regexp=args.regexp, force=args.force)
    return 1 if run["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
