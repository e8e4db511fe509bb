#!/usr/bin/env bash
# Startup and first-question time of korus against the floor of importing pandas.
# Runs each command N times (default 7), one run of each in turn (so that a slow spell of a
# shared machine falls on all of them alike), and prints the median wall time of each, its
# ratio to `python -c "import pandas"`, and the peak memory of one run.
# Usage: bench/startup.sh [N]   (korus must be installed in the active environment)
set -euo pipefail
runs=${1:-7}
python=$(command -v python)
korus=$(command -v korus)

labels=(
    'python -c "import pandas"'
    "korus --help"
    "korus deficit --years 2011-2016 (csv)"
    "korus deficit --years 2011-2016 (table)"
    "korus sectors --year 2016 --top 5 (csv)"
)
command_of() {  # number: sets cmd to that case's command
    case $1 in
        0) cmd=("$python" -c "import pandas") ;;
        1) cmd=("$korus" --help) ;;
        2) cmd=("$korus" deficit --years 2011-2016) ;;
        3) cmd=("$korus" deficit --years 2011-2016 --format table) ;;
        4) cmd=("$korus" sectors --year 2016 --top 5) ;;
    esac
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq "$runs"); do
    for number in "${!labels[@]}"; do
        command_of "$number"
        /usr/bin/time -f "%e %M" -a -o "$work/$number" "${cmd[@]}" >/dev/null 2>&1
    done
done
for number in "${!labels[@]}"; do
    printf '%s\t%s\t%s\n' "${labels[$number]}" \
        "$(awk '{print $1}' "$work/$number" | median)" \
        "$(awk '{print $2}' "$work/$number" | sort -n | tail -1)"
done | awk -F'\t' 'NR == 1 {floor = $2}
    {printf "%-45s median %6.3f s  %5.2fx pandas import  peak %4d MiB\n", $1, $2, $2 / floor, $3 / 1024}'
