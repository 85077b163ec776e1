#!/usr/bin/env bash
# Readers share a data directory: a read-only REPL session and four `caliby search` processes run
# at once, each holding the directory's lock shared. A writer needs the lock alone: it fails at once
# with status 75 while they read, or waits for them with --wait.
#
# usage: examples/parallel-readers.sh
#   CALIBY      the caliby binary (default: caliby on PATH)
#   CALIBY_DIR  the data directory (default: a temporary one, removed at the end)
source "$(dirname "$0")/setup.bash"

"$caliby" init
"$caliby" create shared --dim 32 --max-elements 2000
"$caliby" insert shared data/sample.fvecs --quiet

# A read-only REPL keeps its shared lock for as long as its input stays open.
mkfifo "$work/repl-input"
"$caliby" repl --read-only <"$work/repl-input" >"$work/repl.out" &
repl=$!
exec 3>"$work/repl-input"
echo "list --names-only" >&3
for _ in $(seq 100); do [ -s "$work/repl.out" ] && break; sleep 0.1; done
echo "read-only session open: $(cat "$work/repl.out")"

pids=()
for i in 1 2 3 4; do
    "$caliby" search shared --file data/sample-queries.fvecs -k 10 >"$work/hits.$i" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
for i in 2 3 4; do cmp "$work/hits.1" "$work/hits.$i"; done
echo "4 searches at once: $(($(wc -l <"$work/hits.1") - 1)) hits each, all the same"

status=0
"$caliby" create other --dim 4 --max-elements 10 2>"$work/writer.err" || status=$?
echo "a writer meanwhile: exit status $status: $(cat "$work/writer.err")"
[ "$status" -eq 75 ]

exec 3>&-  # the end of the REPL's input ends the session, which releases the lock
"$caliby" create other --dim 4 --max-elements 10 --wait 30
wait "$repl"
echo "with --wait the writer got in once the readers left: $("$caliby" list --names-only | tr '\n' ' ')"
