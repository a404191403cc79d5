"""The course's class-grading tool: `python -m autograder grade MODULE --submissions PATH`.

Built on nbgrader (its Autograde converter, preprocessors, gradebook and commands), run per
student on Dask. One job per file:

    __main__.py        the command line
    classrun.py        one grading run: collect, skip what is done, grade on Dask, merge, report
    collect.py         submissions from a folder (nbgrader's submitted/ layout) or an LMS zip
    worker.py          the Dask task: a private course folder per student, graded in a subprocess
    student.py         that subprocess: checks, integrity scan, autograde, feedback, result
    converter.py       nbgrader's Autograde and preprocessors, made fault-tolerant
    sandbox.py         the kernel manager: process cap watchdog, cleanup
    kernel_launcher.py the kernel's limits (memory, core files, parent death, RLIMIT_NPROC)
    fairness.py        timing cells run alone on their machine
    integrity.py       static scan for clock, builtins, sys.modules and grader tampering
    feedback.py        feedback shows a hidden test's error, not the traceback that quotes it
    gradebook.py       template gradebook, serialised merge into SQLite or PostgreSQL
    report.py          progress line, summary table, CSVs and the integrity report
    course.py          paths, and the nbgrader_config.py of every folder the tool creates
"""
