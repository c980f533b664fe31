"""`flask lms import-content`, `export-content`, `check-content`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from lms.cli import lms_cli
from lms.content.exporter import export_content
from lms.accounts.models import User
from lms.content.importer import CourseReport, import_bundle, known_course_slugs, load_bundles
from lms.extensions import db
from lms.storage import storage


def _paths(paths: tuple[str, ...]) -> list[Path]:
    chosen = [Path(p) for p in paths] or [Path(p) for p in current_app.config["CONTENT_DIRS"]]
    missing = [str(p) for p in chosen if not p.exists()]
    if missing:
        raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
    return chosen


@lms_cli.command("check-content")
@click.argument("paths", nargs=-1)
def check_content_command(paths):
    """Parse and validate courses/ and quizzes/ (or PATHS); exit 1 with the list of problems."""
    bundles, stray = load_bundles(_paths(paths))
    problems = stray + [p for b in bundles for p in b.problems]
    for problem in problems:
        click.echo(str(problem), err=True)
    questions = sum(len(b.banks.get("vi", [])) for b in bundles)
    lessons = sum(len(m.lessons) for b in bundles for m in b.course.modules)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in {len(bundles)} course(s)")
    click.echo(f"OK: {len(bundles)} courses, {lessons} lessons, {questions} questions per language")


@lms_cli.command("import-content")
@click.argument("paths", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Show what would change and change nothing.")
@click.option("--note", default="", help="Change note recorded on new course versions.")
@click.option("--requires-recertification", is_flag=True, help="Mark new versions as requiring holders of older versions to recertify.")
@click.option("--overwrite-browser-edits", is_flag=True, help="Replace courses changed in the browser since their last import by the files.")
def import_content_command(paths, dry_run, note, requires_recertification, overwrite_browser_edits):
    """Import courses/ and quizzes/ (or PATHS). Each course is one transaction; a broken course changes nothing.

    A course changed in the browser since its last import is not imported (exit status 1) unless
    --overwrite-browser-edits is given: export it first to keep those changes.
    """
    bundles, stray = load_bundles(_paths(paths), known_course_slugs(db.session))
    for problem in stray:
        click.echo(str(problem), err=True)
    failed = bool(stray)
    store = None if dry_run else storage()  # a dry run writes no asset files either
    for bundle in bundles:
        try:
            report = import_bundle(db.session, bundle, store, change_note=note, requires_recertification=requires_recertification,
                                   overwrite_browser_edits=overwrite_browser_edits)
        except Exception:
            db.session.rollback()
            raise
        if report.outcome in ("rejected", "refused") or dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        prefix = "would be " if dry_run and report.outcome in {"created", "updated"} else ""
        if report.outcome == "rejected":
            failed = True
            click.echo(f"{report.slug}: rejected, nothing imported", err=True)
            for problem in report.problems:
                click.echo(f"  {problem}", err=True)
        elif report.outcome == "refused":
            failed = True
            click.echo(_refusal(report), err=True)
        elif report.outcome == "unchanged":
            click.echo(f"{report.slug}: unchanged (version {report.version})")
        else:
            click.echo(f"{report.slug}: {prefix}{report.outcome} (version {report.version})")
            for change in report.changes[:50]:
                click.echo(f"  {change}")
    if failed:
        raise click.ClickException("some content was not imported")


def _refusal(report: CourseReport) -> str:
    edits = report.browser_edits
    who = db.session.get(User, edits.last.actor_id) if edits.last.actor_id else None
    return (f"{report.slug}: not imported: changed in the browser since its last import ({edits.count} change(s), the last "
            f"{edits.last.action} by {who.full_name if who else 'the system'} at {edits.last.at:%Y-%m-%d %H:%M} UTC). "
            f"To keep those changes, `flask lms export-content DIR` and merge them into the files; to replace them by the "
            f"files, run again with --overwrite-browser-edits.")


@lms_cli.command("export-content")
@click.argument("target")
def export_content_command(target):
    """Write every course and question bank to TARGET/courses and TARGET/quizzes."""
    slugs = export_content(db.session, Path(target), storage())
    click.echo(f"Exported {len(slugs)} course(s) to {target}")
