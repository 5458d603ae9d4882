import Foundation

/// The `restore_command` the drill gives the recovering server: copies a segment read-only
/// from the archive (decompressing `.gz`/`.lz4`/`.zst`), exits 1 only when the file is absent
/// (PostgreSQL reads that as "end of archive"), retries other failures and then exits 200:
/// an exit status above 125 makes PostgreSQL abort recovery instead of ending it, so a
/// transient read error can never promote a silently older copy.
public enum RestoreCommandScript {
    /// The script text for `archive`.
    public static func text(archive: String) -> String {
        let quoted = "'" + archive.replacingOccurrences(of: "'", with: "'\\''") + "'"
        return """
            #!/bin/sh
            # Written by restore-drill. Usage: wal-fetch.sh %f %p
            archive=\(quoted)
            f="$1"; p="$2"
            for ext in "" .gz .lz4 .zst; do
                src="$archive/$f$ext"
                [ -e "$src" ] || continue
                try=1
                while :; do
                    case "$ext" in
                        "") cp "$src" "$p" ;;
                        .gz) gzip -dc "$src" > "$p" ;;
                        .lz4) lz4 -qdc "$src" > "$p" ;;
                        .zst) zstd -qdc "$src" > "$p" ;;
                    esac && exit 0
                    if [ "$try" -ge 3 ]; then
                        echo "restore-drill: cannot read $f$ext from the WAL archive after $try tries; aborting recovery" >&2
                        exit 200
                    fi
                    try=$((try + 1)); sleep 1
                done
            done
            case "$f" in
                *.history) ;;
                *) echo "restore-drill: WAL file $f is not in the WAL archive" >&2 ;;
            esac
            exit 1

            """
    }
}
