#!/usr/bin/env bash
# Renders the library's documentation (the DocC catalog Sources/CalibyEngine/CalibyEngine.docc and
# the doc comments of the public API) to static HTML in .build/docs. A broken symbol link or
# reference fails the build: every warning is an error.
set -euo pipefail
cd "$(dirname "$0")/.."

# SwiftPM's own symbol-graph dump: no plugin dependency, and only the public API. It also tries
# the test modules, which a plain build does not make, and then exits 1; what counts is that the
# engine's graph was written anew.
graphs=.build/$(uname -m)-unknown-linux-gnu/symbolgraph
rm -rf "$graphs"
log=$(mktemp)
only=$(mktemp -d)
trap 'rm -rf "$log" "$only"' EXIT
swift package dump-symbol-graph --minimum-access-level public >/dev/null 2>"$log" || true
if [ ! -s "$graphs/CalibyEngine.symbols.json" ]; then
    cat "$log" >&2
    echo "docs/build.sh: no symbol graph for CalibyEngine in $graphs" >&2
    exit 1
fi

# Only the engine's graph: the tool's and the dependencies' are not the library's API.
cp "$graphs"/CalibyEngine*.symbols.json "$only"/

docc convert Sources/CalibyEngine/CalibyEngine.docc --additional-symbol-graph-dir "$only" \
    --fallback-display-name CalibyEngine --fallback-bundle-identifier org.caliby.CalibyEngine \
    --transform-for-static-hosting --warnings-as-errors --output-path .build/docs
echo "documentation: .build/docs/index.html (serve the folder; open /documentation/calibyengine)"
