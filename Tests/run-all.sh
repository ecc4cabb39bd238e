#!/usr/bin/env bash
# The whole test suite: format lint, module-boundary checks, unit tests at 1 rank, the
# collective suites at 2 and 3 ranks, and the end-to-end checks in Tests/integration/.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/mpi-env.sh
step() { printf '\n=== %s\n' "$*"; }

step "swift format lint"
swift format lint --strict --recursive Sources Tests Package.swift

step "only Sources/Collective imports MPI"
offenders=$(grep -rlE '^import CMPI' Sources | grep -v '^Sources/Collective/' || true)
[[ -z "$offenders" ]] || { echo "files outside Sources/Collective import CMPI: $offenders"; exit 1; }
offenders=$(grep -rlE '^import CBLAS' Sources | grep -v '^Sources/Trainer/Layers/Linear.swift$' || true)
[[ -z "$offenders" ]] || { echo "files other than Layers/Linear.swift import CBLAS: $offenders"; exit 1; }

step "build (debug with tests, release)"
swift build --build-tests
swift build -c release --product dalle-train

step "all suites, 1 rank"
timeout --kill-after=10 1800 swift test --skip-build

xctest=".build/debug/dalle-trainPackageTests.xctest"
for ranks in 2 3; do
    for suite in $(cat Tests/multi-rank-suites.txt); do
        step "$suite under mpirun -np $ranks"
        # A collective mismatch would hang every rank: bound each run instead of the whole CI job.
        timeout --kill-after=10 900 mpirun -np "$ranks" --oversubscribe "$xctest" \
            --testing-library swift-testing --no-parallel --filter "$suite"
    done
done

step "fuzz targets (libFuzzer + AddressSanitizer), 30 s each"
Tests/fuzz/run.sh 30

for script in Tests/integration/*.sh; do
    step "$script"
    bash "$script"
done
echo
echo "all tests passed"
