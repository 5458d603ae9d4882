#!/usr/bin/env bash
# TAP: one test per table. Tables listed in the expectations file must hold MIN..MAX rows;
# the 10 largest user tables are counted either way (and must be readable).
set -euo pipefail

psql_value() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
declare -A minimum maximum
file="${DRILL_VAR_core_row_counts:-}"
if [ -n "$file" ]; then
    [[ "$file" = /* ]] || file="${DRILL_FILE_DIR:-.}/$file"
    if [ ! -r "$file" ]; then echo "the row-count expectations file $file cannot be read" >&2; exit 2; fi
    while read -r table low high _; do
        [[ -z "$table" || "$table" = \#* ]] && continue
        minimum[$table]=$low
        maximum[$table]=${high:-}
    done <"$file"
fi

largest=$(psql_value "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  ORDER BY pg_total_relation_size(c.oid) DESC, 1 LIMIT 10")
tables=$(printf '%s\n' $largest "${!minimum[@]}" | sort -u)

results=()
for table in $tables; do
    schema=${table%%.*}; name=${table#*.}
    if ! count=$(psql_value "SELECT count(*) FROM \"${schema//\"/\"\"}\".\"${name//\"/\"\"}\"" 2>&1); then
        results+=("not ok - $table cannot be read: $count"); continue
    fi
    low=${minimum[$table]:-}; high=${maximum[$table]:-}
    if [ -n "$low" ] && [ "$count" -lt "$low" ]; then results+=("not ok - $table holds $count rows, expected at least $low")
    elif [ -n "$high" ] && [ "$count" -gt "$high" ]; then results+=("not ok - $table holds $count rows, expected at most $high")
    elif [ -n "$low" ]; then results+=("ok - $table holds $count rows (expected $low..${high:-})")
    else results+=("ok - $table holds $count rows (no expectation given)"); fi
done
echo "TAP version 13"
echo "1..${#results[@]}"
n=0
for line in "${results[@]}"; do n=$((n + 1)); echo "${line/ - / $n - }"; done
