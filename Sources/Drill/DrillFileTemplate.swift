/// The commented starting drill file `restore-drill init` writes.
public enum DrillFileTemplate {
    /// The template text.
    public static let text = """
        # restore-drill drill file. Reference: docs/drill-file.md
        # Validate with:   restore-drill plan drill.yaml
        # Run with:        restore-drill run drill.yaml
        name: app-nightly

        # What "good enough" means. A drill fails when either is missed.
        targets:
          rpo: 24h          # largest acceptable data-loss window (here: age of the newest backup)
          rto: 30m          # longest acceptable time from drill start to checks passed

        backup:
          format: pg_dump                           # a pg_dump archive: custom, directory, tar or plain SQL,
                                                    # optionally gzip/lz4/zstd-compressed (detected by magic bytes)
          location: file:///var/backups/app.dump    # file:// URL or a path relative to this file;
                                                    # or s3://BUCKET/KEY, a prefix, or a glob (s3://backups/app/*.dump)
          # select: {latest_within: 26h}            # among several: latest, a name, {random_within: 30d, seed: 42}
          # encryption: {tool: age, identity: env:BACKUP_AGE_IDENTITY}   # or {tool: gpg, key: REF, passphrase: REF}
          # endpoint: https://s3.eu-central-1.amazonaws.com   # s3://: credentials from AWS_* or access_key/secret_key: env:...
          # Other sources (docs/backup-sources.md): pg_dumpall, supabase_cli, basebackup, pgbackrest, barman_cloud
          # What was recorded at backup time. By default ARTIFACT.restore-drill.json next to the artifact,
          # as written by `restore-drill record ARTIFACT`. Or give it here:
          # metadata: file:///var/backups/app.dump.restore-drill.json
          # sha256: 3f5c...   # 64 hex digits
          # size: 123456789   # bytes
          # database: app     # restore into this database (default: the dump's own name)

        postgres:
          provisioner: pg_ctl     # local initdb/pg_ctl in a private temp dir
          version: auto           # the backup's major version; or a number such as 15
          # bin_dir: /usr/lib/postgresql/15/bin
          # os_user: postgres     # runs the server when the drill runs as root
          # listen_on_loopback: false   # default: a private unix socket only
          # settings:             # extra postgresql.conf settings (quarantine settings cannot be changed)
          #   work_mem: 64MB
          # Or in a container (the backup's major need not be installed here):
          #   provisioner: docker   runtime: docker|podman   image: postgres:16   (always --network=none)
          # Or a managed instance the provider restored (checks and measurements only):
          #   provisioner: external   dsn: env:RESTORED_DB_DSN   allow_hosts: [restored-db.internal]

        restore:
          # jobs: 4               # pg_restore --jobs (default: cores, at most 4)
          drop_ownership: true    # --no-owner --no-privileges (roles are not part of a pg_dump)

        # Values checks can bind as $1, $2... Secrets are references, never values:
        # env:NAME, file:PATH or command:CMD (e.g. command:vault kv get -field=pw secret/app).
        variables:
          admin_email: admin@example.com
          admin_password: env:APP_ADMIN_PASSWORD

        # The object store that belongs with the backup, compared as of the recovery point. Reference: docs/objects.md
        # objects:
        #   store: s3://uploads            # or file:///srv/uploads
        #   endpoint: https://s3.eu-west-1.amazonaws.com
        #   access_key: env:S3_KEY
        #   secret_key: env:S3_SECRET
        #   manifest: manifests/uploads.jsonl   # from `restore-drill objects snapshot`
        #   catalog: supabase                   # or {query: ..., key: "{bucket_id}/{name}"}

        # Your application, started against the restored database for http checks.
        # services:
        #   - name: app
        #     run: ./start-app.sh        # gets PG*, DATABASE_URL and PORT
        #     ready: {url: /health}

        # Check packs (folders under checks/), folders, or single .yaml files. Reference: docs/checks.md
        checks:
          - postgres-core
          - app-example

        reports:
          dir: reports/app-nightly   # junit.xml, report.json, summary.md
          # check_concurrency: 4

        """
}
