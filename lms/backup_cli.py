"""`flask lms backup PATH` and `flask lms restore PATH`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from lms.backup import BackupError, Locations, create_backup, restore_backup
from lms.cli import lms_cli
from lms.extensions import db
from lms.storage import storage


def _locations() -> Locations:
    return Locations(keys_dir=Path(current_app.config["SIGNING_KEYS_DIR"]), files_dir=storage().root)


@lms_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target):
    """Write the database, the signing keys and the stored files to one .tar.gz archive TARGET.

    Safe while the site runs: SQLite is copied with its online backup API, PostgreSQL with pg_dump.
    The archive holds the private signing keys: keep it where only operators can read it.
    """
    db.session.remove()
    try:
        manifest = create_backup(db.engine, target, _locations())
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {target}: {manifest.engine}, schema {manifest.revision}, {manifest.rows} rows in "
               f"{len(manifest.tables)} tables, {manifest.count('keys')} key files, {manifest.count('files')} stored files")


@lms_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the rows of a database that is not empty.")
def restore_command(source, force):
    """Restore an archive made by `flask lms backup` into the configured database and instance folder.

    Checks the archive against its manifest and the schema revision first. Stop the app servers
    before restoring; start them again afterwards.
    """
    db.session.remove()
    try:
        manifest = restore_backup(db.engine, source, _locations(), force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {source} (made {manifest.created_at}): {manifest.rows} rows in {len(manifest.tables)} tables, "
               f"{manifest.count('keys')} key files, {manifest.count('files')} stored files")
