#!/usr/bin/env bash
# TAP: one test per table. Tables listed in the expectations file must hold MIN..MAX rows;
# the 10 largest user tables are counted either way (and must be readable). Tables are handled
# by OID and named by the server (format %I), so any name works, even one with a newline.
set -euo pipefail

psql_value() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
# One line per table whatever its name: newlines and carriage returns shown as \n and \r.
qualified() { echo "(SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1)"; }
display() { psql_value "SELECT replace(replace($(qualified "$1"), E'\\n', '\\n'), E'\\r', '\\r')"; }
declare -A minimum maximum
file="${DRILL_VAR_core_row_counts:-}"
oids=$(psql_value "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  ORDER BY pg_total_relation_size(c.oid) DESC, c.oid LIMIT 10")
results=()
if [ -n "$file" ]; then
    [[ "$file" = /* ]] || file="${DRILL_FILE_DIR:-.}/$file"
    if [ ! -r "$file" ]; then echo "the row-count expectations file $file cannot be read" >&2; exit 2; fi
    while read -r table low high _; do
        [[ -z "$table" || "$table" = \#* ]] && continue
        # The name as written in the file (quote it there as in SQL when it needs quoting).
        oid=$(printf '%s\n' "SELECT to_regclass(:'name')::oid" | psql -X -A -t -q -v ON_ERROR_STOP=1 -v name="$table" 2>/dev/null || true)
        if [ -z "$oid" ]; then results+=("not ok - $table (in $file) does not exist in the restored database"); continue; fi
        minimum[$oid]=$low
        maximum[$oid]=${high:-}
        oids+=$'\n'"$oid"
    done <"$file"
fi

for oid in $(printf '%s\n' $oids | sort -un); do
    table=$(display "$oid")
    if ! count=$(psql_value "$(psql_value "SELECT 'SELECT count(*) FROM ' || $(qualified "$oid")")" 2>&1); then
        results+=("not ok - $table cannot be read: ${count//$'\n'/ }"); continue
    fi
    low=${minimum[$oid]:-}; high=${maximum[$oid]:-}
    if [ -n "$low" ] && [ "$count" -lt "$low" ]; then results+=("not ok - $table holds $count rows, expected at least $low")
    elif [ -n "$high" ] && [ "$count" -gt "$high" ]; then results+=("not ok - $table holds $count rows, expected at most $high")
    elif [ -n "$low" ]; then results+=("ok - $table holds $count rows (expected $low..${high:-})")
    else results+=("ok - $table holds $count rows (no expectation given)"); fi
done
echo "TAP version 13"
echo "1..${#results[@]}"
n=0
for line in "${results[@]}"; do n=$((n + 1)); echo "${line/ - / $n - }"; done
