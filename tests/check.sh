#!/bin/bash
# Run every test and close with one line "N passed, N failed[, N skipped]".
#   unit tests:   $BUILD/tests/test-*       (cmocka, TAP output)
#   tsan tests:   $TSAN_BUILD/tests/test-*  (the same, ThreadSanitizer build)
#   fuzz targets: $FUZZ_BUILD/fuzz/fuzz-*   (libFuzzer, FUZZ_SECONDS each)
#   system tests: tests/system/             (pytest, Debian's python3-pytest)
# Set TESTS=unit or TESTS=system to run one kind; PYTEST_ARGS is passed on.
set -u
BUILD=${BUILD:-build}
TESTS=${TESTS:-all}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0 failed=0 skipped=0
failed_names=()

# run_cmocka LABEL BINARY...: each binary's TAP lines count one test each.
run_cmocka() {
    local label=$1
    shift
    for t in "$@"; do
        [ -x "$t" ] || continue
        local name="$label$(basename "$t")"
        local out rc ok bad skip_ok skip_bad skip
        out=$(CMOCKA_MESSAGE_OUTPUT=TAP TSAN_OPTIONS=halt_on_error=1 \
              timeout 600 "$t" 2>&1)
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
            bad=1   # crashed, timed out or a sanitizer report
        fi
        passed=$((passed + ok)) failed=$((failed + bad))
        skipped=$((skipped + skip))
        if [ "$bad" -ne 0 ]; then
            failed_names+=("$name")
            echo "FAIL $name"
            echo "$out" | sed 's/^/    /' | tail -n 60
        else
            local extra=""
            [ "$skip" -ne 0 ] && extra=", $skip skipped"
            echo "ok   $name ($ok passed$extra)"
        fi
    done
}

if [ "$TESTS" = all ] || [ "$TESTS" = unit ]; then
    run_cmocka "" "$BUILD"/tests/test-*
    if [ -n "${TSAN_BUILD:-}" ]; then
        run_cmocka "tsan/" "$TSAN_BUILD"/tests/test-*
    fi
fi

if [ -n "${FUZZ_BUILD:-}" ] && { [ "$TESTS" = all ] || [ "$TESTS" = fuzz ]; }; then
    for f in "$FUZZ_BUILD"/fuzz/fuzz-*; do
        [ -x "$f" ] || continue
        name=$(basename "$f")
        corpus="$FUZZ_BUILD/corpus/$name"
        mkdir -p "$corpus"
        seeds="tests/fuzz/corpus-${name#fuzz-}"
        [ -d "$seeds" ] || seeds=""
        out=$("$f" -max_total_time="$FUZZ_SECONDS" -max_len=4096 \
              -artifact_prefix="$FUZZ_BUILD/" "$corpus" $seeds 2>&1)
        if [ $? -eq 0 ]; then
            passed=$((passed + 1))
            echo "ok   fuzz/$name ($(grep -oE '#[0-9]+' <<<"$out" | tail -n 1 | tr -d '#') runs in ${FUZZ_SECONDS}s)"
        else
            failed=$((failed + 1))
            failed_names+=("fuzz/$name")
            echo "FAIL fuzz/$name"
            echo "$out" | tail -n 40 | sed 's/^/    /'
        fi
    done
fi

if { [ "$TESTS" = all ] || [ "$TESTS" = system ]; } && [ -d tests/system ]; then
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
