#!/usr/bin/env bash
# Runs repl-session.txt through `caliby repl` from a pipe: no prompt, and each command prints what
# it prints on the command line. Then the same script with --bail, which stops at the error.
#
# usage: examples/repl-session.sh
#   CALIBY      the caliby binary (default: caliby on PATH)
#   CALIBY_DIR  the data directory (default: a temporary one, removed at the end)
source "$(dirname "$0")/setup.bash"

"$caliby" init
"$caliby" repl <repl-session.txt >"$work/out.tsv" 2>"$work/err.txt"
echo "--- standard output"
cat "$work/out.tsv"
echo "--- standard error"
cat "$work/err.txt"

# The REPL's search printed exactly what the command line prints.
"$caliby" search colors --vector "250 140 10" -k 3 >"$work/cli.tsv"
grep -A3 '^query' "$work/out.tsv" | diff - "$work/cli.tsv"
grep -q "no index named 'no-such-index'" "$work/err.txt"
# The session went on after the error: the delete and the info ran.
grep -q '^vectors,39$' "$work/out.tsv"
grep -q '^committed pending changes$' "$work/err.txt"

echo "--- with --bail"
"$caliby" drop colors
status=0
"$caliby" repl --bail <repl-session.txt >"$work/bail.tsv" 2>&1 || status=$?
echo "stopped with exit status $status"
[ "$status" -eq 66 ]
if grep -q '^vectors,' "$work/bail.tsv"; then
    echo "--bail ran the commands after the error" >&2
    exit 1
fi
