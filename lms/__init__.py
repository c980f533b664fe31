"""OCOP Seller Academy: the application factory."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from lms.config import ROOT, load_config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, errors, CLI, templates."""
    settings = load_config(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_templates(app)
    register_security(app)
    register_logging(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    from lms.extensions import babel, compress, csrf, db, limiter, login_manager
    from lms.i18n import select_locale
    from lms.accounts import access  # noqa: F401  registers the user loader

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"


def register_blueprints(app: Flask) -> None:
    from lms.accounts import bp as accounts_bp
    from lms.admin import bp as admin_bp
    from lms.assessment.views import bp as assessment_bp
    from lms.credentials.views import bp as credentials_bp
    from lms.reports.views import bp as reports_bp
    from lms.api.views import bp as api_bp
    from lms.cohorts.views import bp as cohorts_bp
    from lms.authoring.views import bp as authoring_bp
    from lms.catalog import bp as catalog_bp
    from lms.onboarding.client_views import bp as api_clients_bp
    from lms.console.views import bp as console_bp
    from lms.questionbank.views import bp as questionbank_bp
    from lms.onboarding.profile_views import bp as sellers_bp
    from lms.privacy_views import bp as privacy_bp
    from lms.core import bp as core_bp

    for blueprint in (core_bp, accounts_bp, admin_bp, catalog_bp, assessment_bp, credentials_bp, reports_bp, api_bp, cohorts_bp, authoring_bp, api_clients_bp, console_bp, questionbank_bp, sellers_bp, privacy_bp):
        app.register_blueprint(blueprint)


def register_errors(app: Flask) -> None:
    from lms.core.errors import register_error_handlers

    register_error_handlers(app)


def register_templates(app: Flask) -> None:
    from lms.core.templating import register_template_helpers

    register_template_helpers(app)


def register_security(app: Flask) -> None:
    from lms.core.security import register_security_headers

    register_security_headers(app)


def register_logging(app: Flask) -> None:
    from lms.logmask import install_log_masking

    install_log_masking(app)


def register_cli(app: Flask) -> None:
    from lms.cli import lms_cli
    from lms.content import cli as content_cli  # noqa: F401  adds the content commands
    from lms.credentials import cli as credentials_cli  # noqa: F401  adds the certificate commands
    from lms import generate_cli  # noqa: F401  adds generate (synthetic data)
    from lms.onboarding import webhook_cli  # noqa: F401  adds deliver-webhooks
    from lms import backup_cli  # noqa: F401  adds backup and restore
    from lms.cohorts import cli as cohorts_cli  # noqa: F401  adds purge-uploads

    app.cli.add_command(lms_cli)
