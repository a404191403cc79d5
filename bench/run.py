"""`make bench`: every module's headline comparison side by side, in one run.

Each bench_*.py file beside this one has a `run(table)` that measures and adds rows. Numbers
come from this run only; the table goes to bench/RESULTS.md with the machine it came from (a
run of some of them, `python bench/run.py class`, to bench/RESULTS-class.md).
"""

import datetime
import importlib.util
import os
import pathlib
import sys
import time

from scalinglab import machine

HERE = pathlib.Path(__file__).resolve().parent


class Table:
    """Rows of: workload, variant, seconds, ratio to the workload's baseline, the limit it faces."""

    def __init__(self):
        self.rows = []

    def add(self, workload, variant, seconds, baseline=None, limit=""):
        """baseline: the seconds of the workload's reference variant (None for the reference)."""
        ratio = "1.00x (baseline)" if baseline is None else f"{baseline / seconds:.2f}x"
        self.rows.append((workload, variant, f"{seconds:.4g} s", ratio, limit))
        print(f"  {workload:<38} {variant:<34} {seconds:10.4g} s  {ratio:>18}  {limit}", flush=True)

    def note(self, workload, variant, value, limit=""):
        """A row whose number is not a time (a bandwidth, a peak memory, a throughput)."""
        self.rows.append((workload, variant, value, "", limit))
        print(f"  {workload:<38} {variant:<34} {value:>12}  {'':>18}  {limit}", flush=True)

    def markdown(self):
        lines = ["| workload | variant | measured | ratio to baseline | limit |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def main(selected=()):
    me = machine.describe()
    print(me, "\n", flush=True)
    table, started = Table(), time.monotonic()
    for path in sorted(HERE.glob("bench_*.py")):
        if selected and not any(word in path.stem for word in selected):
            continue
        print(f"{path.stem}:", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.run(table)
    elapsed = time.monotonic() - started
    # A partial run (`python bench/run.py class`) gets a file of its own: RESULTS.md stays whole.
    name = f"RESULTS-{'-'.join(selected)}.md" if selected else "RESULTS.md"
    settings = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_")]
    command = " ".join([*settings, "python bench/run.py", *selected]) if selected or settings else "make bench"
    report = (f"# Benchmark results\n\nMeasured by `{command}` on {datetime.date.today()} in {elapsed:.0f} s.\n\n"
              f"```\n{me}\n```\n\n{table.markdown()}\n")
    (HERE / name).write_text(report)
    print(f"\nwrote bench/{name} ({elapsed:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
