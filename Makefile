# The course's commands. `make lab` and `make test` are the two a user needs.
.PHONY: lab test lessons grade bench venv test-venv

lab: venv
	scripts/lab.sh

test: test-venv
	.venv/bin/python -m pytest

# Regenerate lessons/ from solutions/ with nbgrader (the instructor's edit -> release step).
lessons: venv
	cd autograder && ../.venv/bin/nbgrader generate_assignment --force --CourseDirectory.assignment_id='*' --log-level=WARN

# Plain nbgrader autograde of a collected class: make grade ASSIGNMENT=00-measuring-scale
grade: venv
	cd autograder && ../.venv/bin/nbgrader autograde "$(ASSIGNMENT)"

bench: venv
	.venv/bin/python bench/run.py

venv:
	scripts/venv.sh runtime

test-venv:
	scripts/venv.sh test
