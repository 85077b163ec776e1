# Sourced by every example script: run from examples/, take the binary from $CALIBY (default:
# caliby on PATH) and a scratch data directory unless $CALIBY_DIR names one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[1]}")"
caliby=${CALIBY:-caliby}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CALIBY_DIR=${CALIBY_DIR:-$work/vectors}
