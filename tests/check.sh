#!/bin/bash
# Run every test and close with one line "N passed, N failed[, N skipped]".
#   unit tests:   build/tests/test-*   (cmocka, TAP output, one binary each)
#   system tests: tests/system/        (pytest, Debian's python3-pytest)
# Set TESTS=unit or TESTS=system to run one kind; PYTEST_ARGS is passed on.
set -u
BUILD=${BUILD:-build}
TESTS=${TESTS:-all}
passed=0 failed=0 skipped=0
failed_names=()

if [ "$TESTS" != system ]; then
    for t in "$BUILD"/tests/test-*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "$t" 2>&1)
        rc=$?
        ok=$(grep -c '^ok ' <<<"$out")
        bad=$(grep -c '^not ok ' <<<"$out")
        # cmocka prints skipped tests as "not ok N # SKIP" (1.1.5) or
        # "ok N # SKIP" (newer): neither is a pass or a failure.
        skip_ok=$(grep -c '^ok .*# SKIP' <<<"$out")
        skip_bad=$(grep -c '^not ok .*# SKIP' <<<"$out")
        skip=$((skip_ok + skip_bad))
        ok=$((ok - skip_ok))
        bad=$((bad - skip_bad))
        if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
            bad=1   # crashed or timed out outside a test case
        fi
        passed=$((passed + ok)) failed=$((failed + bad)) skipped=$((skipped + skip))
        if [ "$bad" -ne 0 ]; then
            failed_names+=("$name")
            echo "FAIL $name"
            echo "$out" | sed 's/^/    /'
        else
            extra=""
            [ "$skip" -ne 0 ] && extra=", $skip skipped"
            echo "ok   $name ($ok passed$extra)"
        fi
    done
fi

if [ "$TESTS" != unit ] && [ -d tests/system ]; then
    log=$(mktemp)
    # Debian's interpreter, not whatever python3 comes first on PATH.
    BUILD=$(realpath "$BUILD") /usr/bin/python3 -m pytest tests/system -q -rs \
        -p no:cacheprovider ${PYTEST_ARGS:-} 2>&1 | tee "$log"
    summary=$(tail -n 1 "$log")
    n() { grep -oE "[0-9]+ $1" <<<"$summary" | grep -oE '^[0-9]+' || echo 0; }
    passed=$((passed + $(n passed)))
    failed=$((failed + $(n failed) + $(n error)))
    skipped=$((skipped + $(n skipped)))
    if grep -qE "[0-9]+ (failed|error)" <<<"$summary"; then
        failed_names+=("pytest")
    fi
    rm -f "$log"
fi

[ ${#failed_names[@]} -ne 0 ] && echo "failed: ${failed_names[*]}"
if [ "$skipped" -ne 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
