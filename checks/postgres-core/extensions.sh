#!/usr/bin/env bash
# TAP: one test per extension. Every extension the dump creates must be installed in the
# restored database, and every installed extension must have its files on this server
# (pg_available_extensions), or functions that need its library fail at first use.
set -euo pipefail

installed=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -c "SELECT extname FROM pg_extension ORDER BY 1")
missing_files=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -c \
    "SELECT e.extname FROM pg_extension e LEFT JOIN pg_available_extensions a ON a.name = e.extname WHERE a.name IS NULL ORDER BY 1")

# Extensions named by the backup itself: from the archive's table of contents, or the CREATE
# EXTENSION lines of a plain dump. A physical backup's catalog is the database itself.
from_backup=""
case "${DRILL_BACKUP_FORMAT:-}" in
    custom|directory|tar)
        if [ "${DRILL_BACKUP_COMPRESSION:-none}" = none ]; then
            from_backup=$(pg_restore -l "$DRILL_BACKUP_PATH" | awk '$4 == "EXTENSION" { print $6 }' | sort -u)
        else
            from_backup=$("$DRILL_BACKUP_COMPRESSION" -dc "$DRILL_BACKUP_PATH" | pg_restore -l | awk '$4 == "EXTENSION" { print $6 }' | sort -u)
        fi ;;
    plain)
        reader=(cat "$DRILL_BACKUP_PATH")
        [ "${DRILL_BACKUP_COMPRESSION:-none}" = none ] || reader=("$DRILL_BACKUP_COMPRESSION" -dc "$DRILL_BACKUP_PATH")
        from_backup=$("${reader[@]}" | sed -n 's/^CREATE EXTENSION IF NOT EXISTS \([^ ;]*\).*/\1/p; s/^CREATE EXTENSION \([^ ;]*\).*/\1/p' | tr -d '"' | sort -u) ;;
esac

tests=()
for name in $from_backup; do
    if grep -qx "$name" <<<"$installed"; then tests+=("ok - $name (in the backup) is installed"); else tests+=("not ok - $name is in the backup but not installed in the copy"); fi
done
for name in $installed; do
    if grep -qx "$name" <<<"$missing_files"; then tests+=("not ok - $name is installed but this server has no files for it"); else tests+=("ok - $name has its files on this server"); fi
done
echo "TAP version 13"
echo "1..${#tests[@]}"
n=0
for line in "${tests[@]}"; do
    n=$((n + 1))
    echo "${line/ - / $n - }"
done
