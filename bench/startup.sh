#!/usr/bin/env bash
# Startup and first-question time of korus against the floor of importing pandas.
# Runs each command N times (default 7) in one go, prints the median wall time of each and
# the ratio to `python -c "import pandas"`, plus the peak memory of one run.
# Usage: bench/startup.sh [N]   (korus must be installed in the active environment)
set -euo pipefail
runs=${1:-7}
python=$(command -v python)
korus=$(command -v korus)

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

measure() {  # label, command...
    local label=$1; shift
    local times=() out
    out=$(mktemp)
    for _ in $(seq "$runs"); do
        /usr/bin/time -f %e -o "$out" "$@" >/dev/null 2>&1
        times+=("$(tail -1 "$out")")
    done
    local peak
    /usr/bin/time -f %M -o "$out" "$@" >/dev/null 2>&1
    peak=$(tail -1 "$out")
    rm -f "$out"
    printf '%s\t%s\t%s\n' "$label" "$(printf '%s\n' "${times[@]}" | median)" "$peak"
}

{
    measure 'python -c "import pandas"' "$python" -c "import pandas"
    measure "korus --help" "$korus" --help
    measure "korus deficit --years 2011-2016 (csv)" "$korus" deficit --years 2011-2016
    measure "korus deficit --years 2011-2016 (table)" "$korus" deficit --years 2011-2016 --format table
    measure "korus sectors --year 2016 --top 5 (csv)" "$korus" sectors --year 2016 --top 5
} | awk -F'\t' 'NR == 1 {floor = $2}
    {printf "%-45s median %6.3f s  %5.2fx pandas import  peak %4d MiB\n", $1, $2, $2 / floor, $3 / 1024}'
