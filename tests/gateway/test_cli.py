"""memory-gateway's command line: addresses, TLS from flags or MEMORY_TLS_* variables, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from voxbridge.memory.gateway.cli import parse_args


def test_defaults_listen_on_8080_for_a_local_service() -> None:
    command = parse_args([], {})
    assert (command.host, command.port) == ("127.0.0.1", 8080)
    assert command.settings.target == "127.0.0.1:50051" and not command.settings.tls.enabled


def test_tls_comes_from_flags_or_the_environment(tmp_path: Path) -> None:
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    env = {"MEMORY_TLS_CA": str(tmp_path / "ca.pem")}
    from_env = parse_args(["--listen", "[::1]:9000", "--target", "memory:443"], env)
    assert (from_env.host, from_env.port) == ("::1", 9000)
    assert from_env.settings.tls.ca == tmp_path / "ca.pem" and from_env.settings.tls.cert is None
    mutual = parse_args(["--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem")], env)
    assert mutual.settings.tls.cert == tmp_path / "cert.pem" and mutual.settings.tls.enabled


@pytest.mark.parametrize(
    "argv",
    [["--listen", "8080"], ["--target", "nowhere"], ["--tls-cert", "cert.pem"], ["--tls-ca", "/no/such/file.pem"]],
)
def test_bad_arguments_are_refused(argv: list[str], tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("x")
    argv = [str(tmp_path / a) if a == "cert.pem" else a for a in argv]
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv, {})
    assert exit_info.value.code == 2
