# The two entry points named in README.md. Both work on a fresh Debian 12 machine as root.
.PHONY: run test setup fuzz

# Set up and run the main job: a 2-rank training run on the built-in default.
run: setup
	deploy/local/run.sh 2

# Set up and run the whole test suite (what .ci/run calls).
test:
	deploy/setup.sh --no-build
	Tests/run-all.sh

setup:
	deploy/setup.sh

# Long fuzzing of every reader of untrusted input: 30 minutes per target (make test runs 30 s each).
fuzz: setup
	Tests/fuzz/run.sh 1800
