# The course's commands. `make lab` and `make test` are the two a user needs.
.PHONY: lab instructor test test-full lessons grade grade-class bench venv test-venv

# nbgrader runs tools such as alembic by name: the environment's bin/ comes first.
export PATH := $(CURDIR)/.venv/bin:$(PATH)

lab: venv
	scripts/lab.sh

# The instructor's JupyterLab: the whole course, with nbgrader's formgrader working.
instructor: venv
	LAB_DIR=$(CURDIR) scripts/lab.sh

test: test-venv
	python -m pytest

# Every tier, with the submission corpus graded for every module (make test does module 00's).
test-full: test-venv
	AUTOGRADER_CORPUS=all python -m pytest

# Regenerate lessons/ from solutions/ with nbgrader (the instructor's edit -> release step).
lessons: venv
	cd autograder && nbgrader generate_assignment --force --CourseDirectory.assignment_id='*' --log-level=WARN

# Plain nbgrader autograde of a collected class: make grade ASSIGNMENT=00-measuring-scale
grade: venv
	cd autograder && nbgrader autograde "$(ASSIGNMENT)"

# The whole class in parallel (see the README): make grade-class ASSIGNMENT=... [SUBMISSIONS=dir-or-zip] [WORKERS=n]
grade-class: venv
	python -m autograder grade "$(ASSIGNMENT)" $(if $(SUBMISSIONS),--submissions "$(SUBMISSIONS)") \
		$(if $(WORKERS),--workers $(WORKERS))

bench: venv
	python bench/run.py

venv:
	scripts/venv.sh runtime

test-venv:
	scripts/venv.sh test
