"""The clean child process of grading.measure_speedup: times two functions on fresh inputs.

The clock is bound first, before any student code is unpickled, so a student function
that patches time.perf_counter does not change the clock used here.
"""
from time import perf_counter as clock  # noqa: I001 (bound before anything else is imported)

import os
import pickle
import sys
import traceback

import cloudpickle  # noqa: F401 (unpickling cloudpickled functions needs it importable)
import numpy as np


def _describe(exc):
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last if len(last) < 300 else last[:300] + " ..."


def run(job):
    """Interleaved repeats; each function gets its own fresh inputs of the same seed."""
    seed, timed = job["seed"], {"candidate": [], "baseline": []}
    for repeat in range(job["warmup"] + job["repeats"]):
        order = ("candidate", "baseline") if repeat % 2 == 0 else ("baseline", "candidate")
        results = {}
        for role in order:
            args = job["make_inputs"](np.random.default_rng([seed, repeat]))
            start = clock()
            try:
                results[role] = job[role](*args)
            except Exception as exc:  # a student's error is a result to report, not a crash
                who = job["what"] if role == "candidate" else "the baseline"
                return {"error": f"{who} raised {_describe(exc)} on fresh inputs (seed {seed}, run {repeat})"}
            elapsed = clock() - start
            if repeat >= job["warmup"]:
                timed[role].append(elapsed)
        if not job["check"](results["candidate"], results["baseline"]):
            return {"error": f"{job['what']} gave a wrong result on fresh inputs (seed {seed}, run {repeat}); "
                             "check it on small inputs you can verify by hand, edge cases included"}
    return {"error": None, **timed}


def main(job_path, result_path):
    sys.path.insert(0, os.getcwd())  # the notebook's folder, as in the kernel
    try:
        with open(job_path, "rb") as f:
            job = pickle.load(f)
    except Exception as exc:
        outcome = {"error": f"the grader could not copy your function into its measuring process ({_describe(exc)}). "
                            "Functions wrapped by decorators such as functools.lru_cache cannot be copied: "
                            "remove the decorator (caching cannot help on the fresh inputs the grader uses)."}
    else:
        outcome = run(job)
    with open(result_path, "wb") as f:
        pickle.dump(outcome, f)


if __name__ == "__main__":
    main(*sys.argv[1:3])
