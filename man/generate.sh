#!/usr/bin/env bash
# Regenerates the man pages, caliby.1 and caliby-COMMAND.1, from the commands' argument definitions,
# so they cannot drift from the code: swift-argument-parser's generate-manual plugin writes NAME,
# SYNOPSIS and DESCRIPTION with the options; this script moves the options under OPTIONS and adds
# FILTERS (caliby, search, get), ENVIRONMENT and FILES (man/src/*.mdoc), EXIT STATUS (from `caliby exit-codes`, i.e. ExitStatus.swift),
# EXAMPLES (man/src/examples/PAGE.mdoc, one per page: a new command needs one) and SEE ALSO.
#
# usage: man/generate.sh [--scratch-path DIR] [--ignore-lock] [OUTPUT_DIR]
#   OUTPUT_DIR defaults to man/. Tests/CalibyCLITests/DocsTests.swift generates into a temporary
#   directory and fails when the result differs from the committed pages.
#   --scratch-path is SwiftPM's build directory (default: .build); the plugin builds there in debug.
#   --ignore-lock is for callers that SwiftPM itself runs with that directory locked (swift test).
#
# A page keeps its committed date (.Dd) while its text is unchanged, so regenerating is reproducible.
set -euo pipefail

man_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$man_dir")
scratch=$root/.build
out=$man_dir
swiftpm_options=()
while (($#)); do
    case $1 in
        --scratch-path) scratch=$2; shift 2 ;;
        --ignore-lock) swiftpm_options+=(--ignore-lock); shift ;;
        -h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) out=$1; shift ;;
    esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

swift package --package-path "$root" --scratch-path "$scratch" ${swiftpm_options[@]+"${swiftpm_options[@]}"} \
    plugin generate-manual --configuration debug --multi-page >&2
raw=$scratch/plugins/GenerateManual/outputs/caliby
caliby=$scratch/debug/caliby

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# EXIT STATUS, from the code.
{
    echo '.Bl -tag -width Ds'
    "$caliby" exit-codes --format tsv | awk -F '\t' 'NR > 1 { printf ".It %s\n%s%s.\n", $1, toupper(substr($2, 1, 1)), substr($2, 2) }'
    echo '.El'
} >"$work/exit-status.mdoc"

# What --help adds after an option's text and the plugin leaves out: "(values: …; default: …)", from
# the commands' own definitions. One line per option: page, option as the plugin's .It line spells it
# (-ef, k), the addition. Help text must be ASCII: the plugin silently drops anything else ("2·M"
# became "2M").
"$caliby" --experimental-dump-help | python3 -c '
import json, sys
def walk(command, path):
    page = "-".join(["caliby"] + path)
    for text in [command.get("abstract"), command.get("discussion")] + [
            a.get(key) for a in command.get("arguments") or [] for key in ("abstract", "discussion")]:
        if text and not text.isascii():
            sys.exit("man/generate.sh: help text of %s is not ASCII, which the man pages would lose: %r" % (page, text))
    for argument in command.get("arguments") or []:
        parts = []
        if argument.get("allValues"): parts.append("values: " + ", ".join(argument["allValues"]))
        if argument.get("defaultValue") is not None and argument["kind"] == "option": parts.append("default: " + argument["defaultValue"])
        for name in (argument.get("names") or []) if parts else []:
            print("\t".join([page, ("-" if name["kind"] == "long" else "") + name["name"], "(" + "; ".join(parts) + ")"]))
    for sub in command.get("subcommands") or []:
        walk(sub, path + [sub["commandName"]])
walk(json.load(sys.stdin)["command"], [])
' >"$work/option-details.tsv"

# Pages other than argument-parser's own `help` command.
pages=()
for page in "$raw"/caliby.1 "$raw"/caliby.*.1; do
    base=$(basename "$page" .1)
    [[ $base == caliby.help ]] && continue
    pages+=("${base//./-}")
done
see_also=$(printf '%s\n' "${pages[@]}" | grep -v '^caliby$' | sort)

for name in "${pages[@]}"; do
    examples=$man_dir/src/examples/$name.mdoc
    if [[ ! -f $examples ]]; then
        echo "man/generate.sh: $examples is missing: write examples for '${name//-/ }'" >&2
        exit 1
    fi
    awk -v name="$name" -v see_also="$see_also" \
        -v environment="$man_dir/src/environment.mdoc" -v files="$man_dir/src/files.mdoc" -v filters="$man_dir/src/filters.mdoc" \
        -v text_search="$man_dir/src/text-search.mdoc" \
        -v exit_status="$work/exit-status.mdoc" -v examples="$examples" -v details="$work/option-details.tsv" '
        BEGIN {
            FS = "\t"
            while ((getline line < details) > 0) {
                split(line, field, "\t")
                if (field[1] == name) detail[field[2]] = field[3]
            }
            FS = " "
        }
        function include(path,    line) {
            while ((getline line < path) > 0) emit(line)
            close(path)
        }
        # Lines go through a one-line delay so that a .Pp just before .It or .El, which the plugin
        # leaves after an option whose values have no descriptions, can be dropped (mandoc warns).
        function emit(line) {
            if (held != "" && !(held == ".Pp" && (line ~ /^\.It / || line == ".El"))) print held
            held = line
        }
        function section(title, path) {
            emit(".Sh " title)
            include(path)
        }
        /^\.Dd / { emit(".Dd DATE"); next }
        /^\.Dt / { emit(".Dt " toupper(name) " 1"); next }
        /^\.Nd / { abstract = substr($0, 5); gsub(/^"|"$/, "", abstract) }
        /^\.Sh DESCRIPTION$/ { emit($0); emit("\\&" abstract); in_description = 1; next }
        pending != "" { emit($0 " " pending); pending = ""; next }   # the option text after its .It
        /^\.It Fl / && ($3 in detail) { pending = detail[$3] }
        in_description && /^\.Bl / && depth == 0 { emit(".Sh OPTIONS") }
        in_description && depth == 0 && !/^\.Bl / && !/^\.Sh / && !started {
            emit(".Pp")   # the discussion follows the abstract as its own paragraph
        }
        in_description { started = 1 }
        /^\.Bl / { depth++ }
        /^\.El$/ { depth-- }
        /^$/ { emit(".Pp"); next }
        /^\.Sh "EXIT STATUS"$/ {
            in_description = 0
            if (name == "caliby" || name == "caliby-search" || name == "caliby-get") section("FILTERS", filters)
            if (name == "caliby" || name == "caliby-search") section("\"FULL-TEXT SEARCH\"", text_search)
            section("ENVIRONMENT", environment)
            section("FILES", files)
            section("\"EXIT STATUS\"", exit_status)
            section("EXAMPLES", examples)
            emit(".Sh \"SEE ALSO\"")
            if (name == "caliby") {
                count = split(see_also, pages, "\n")
                for (i = 1; i <= count; i++) emit(".Xr " pages[i] " 1" (i < count ? " ," : ""))
            } else {
                emit(".Xr caliby 1")
            }
            skip = 1   # the plugin: .Ex -std, and the SEE ALSO of caliby.1 rebuilt above
            next
        }
        skip { next }
        { emit($0) }
        END { emit(""); }
    ' "$raw/${name/-/.}.1" >"$work/$name.1"

    # The committed date stays unless the text changed.
    committed=$man_dir/$name.1
    if [[ -f $committed ]] && diff -q <(grep -v '^\.Dd ' "$committed") <(grep -v '^\.Dd ' "$work/$name.1") >/dev/null; then
        date_line=$(grep -m1 '^\.Dd ' "$committed")
    else
        date_line=".Dd $(LC_ALL=C date -u '+%B %-d, %Y')"
    fi
    sed -i "s/^\.Dd DATE\$/$date_line/" "$work/$name.1"
done

rm -f "$out"/caliby.1 "$out"/caliby-*.1
cp "$work"/caliby*.1 "$out"/
echo "man/generate.sh: wrote ${#pages[@]} pages to $out" >&2
