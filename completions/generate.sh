#!/usr/bin/env bash
# Regenerates the shell completion scripts from the argument definitions, with swift-argument-parser's
# generator: caliby.bash, _caliby (zsh) and caliby.fish. Index-name arguments complete by asking
# `caliby` itself for the indexes of the --dir on the command line (CompletionKind.indexName).
#
# usage: CALIBY=.build/debug/caliby completions/generate.sh [OUTPUT_DIR]
#   CALIBY is the binary to ask (default: caliby on PATH); OUTPUT_DIR defaults to completions/.
#   Tests/CalibyCLITests/DocsTests.swift generates into a temporary directory and fails when the
#   result differs from the committed scripts.
set -euo pipefail

out=${1:-$(cd "$(dirname "$0")" && pwd)}
caliby=${CALIBY:-caliby}
mkdir -p "$out"
"$caliby" --generate-completion-script bash >"$out/caliby.bash"
"$caliby" --generate-completion-script zsh >"$out/_caliby"
"$caliby" --generate-completion-script fish >"$out/caliby.fish"
