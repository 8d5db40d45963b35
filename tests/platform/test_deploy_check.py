"""`manage.py check --deploy --fail-level WARNING` passes with production settings."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k7#Qz9!vR2m@Lp4^Xw8&Tn6*Bc1%Hd5$Fj3(Gs0)Ya-Ue+Oi=Wr",
    "ALLOWED_HOSTS": "kaohe.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://kaohe.example.gov.cn",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


# Variables of the test run that a production process would not have.
NOT_IN_PRODUCTION = ("HTTPS", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")


def run_check(extra=None, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in NOT_IN_PRODUCTION}
    env.update(PRODUCTION_ENV | (extra or {}))
    for name in drop:
        env.pop(name)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = run_check()
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_built_in_development_key_fails_the_deploy_check():
    result = run_check(drop=["SECRET_KEY"])
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_turning_https_off_is_flagged_by_the_deploy_check():
    result = run_check({"HTTPS": "false"})
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr
