"""`seawarden watch` command errors: port in use, nothing to watch, conflicting options, bad speed."""

from __future__ import annotations

import socket

import typer
from typer.testing import CliRunner

from seawarden.watch.cli import watch

app = typer.Typer()
app.command()(watch)


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def test_port_in_use_is_a_clear_error(tmp_path):
    busy = socket.create_server(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    try:
        src = tmp_path / "x.nmea"
        src.write_text("")
        r = run(str(src), "--port", str(port), "--no-browser", env={"SEAWARDEN_HOME": str(tmp_path)})
        assert r.exit_code == 2 and f"port {port} on 127.0.0.1 is already in use" in r.output
    finally:
        busy.close()


def test_nothing_to_watch_or_both_demo_and_sources(tmp_path):
    r = run("--no-browser")
    assert r.exit_code == 2 and "nothing to watch" in r.output
    r = run("--demo", "tcp://127.0.0.1:1", "--no-browser")
    assert r.exit_code == 2 and "not both" in r.output


def test_bad_speed_and_webhook_without_secret(tmp_path):
    r = run("tcp://127.0.0.1:1", "--speed", "fast-ish", "--no-browser")
    assert r.exit_code == 2 and "speed 'fast-ish'" in r.output
    r = run("tcp://127.0.0.1:1", "--webhook", "http://127.0.0.1:9/hook", "--no-browser", env={"SEAWARDEN_WEBHOOK_SECRET": ""})
    assert r.exit_code == 2 and "--webhook-secret" in r.output


def test_missing_input_and_bad_tokens_file_name_the_file(tmp_path):
    r = run(str(tmp_path / "missing.nmea"), "--port", "0", "--no-browser", env={"SEAWARDEN_HOME": str(tmp_path)})
    assert r.exit_code == 2 and "missing.nmea" in r.output
    bad = tmp_path / "tokens.toml"
    bad.write_text("[tokens.x]\nrole = 'admin'\n")
    r = run("tcp://127.0.0.1:1", "--tokens", str(bad), "--port", "0", "--no-browser")
    assert r.exit_code == 2 and "tokens.toml: [tokens.x]" in r.output
