"""Detached OpenPGP signatures: gpg accepts them, the in-process verifier accepts and rejects."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import aiohttp
import pytest

from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.houp_api.signatures import (
    SignatureVerificationError,
    verify_detached_signature,
)
from tests.integration.houp.conftest import url
from tests.support.houp import PATCH, SOFTWARE


async def _download(client: aiohttp.ClientSession, server: HoupServer, name: str) -> bytes:
    async with client.get(url(server, f"/files/{name}")) as resp:
        assert resp.status == 200
        return await resp.read()


async def test_gpg_verify_accepts_a_served_signature(
    houp: HoupServer, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    (tmp_path / PATCH).write_bytes(await _download(client, houp, PATCH))
    signature = await _download(client, houp, PATCH + ".asc")
    assert signature.startswith(b"-----BEGIN PGP SIGNATURE-----")
    (tmp_path / f"{PATCH}.asc").write_bytes(signature)
    (tmp_path / "key.asc").write_text(houp.signing_public_key)
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}

    def gpg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["gpg", "--batch", "--status-fd", "1", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    try:
        assert gpg("--import", str(tmp_path / "key.asc")).returncode == 0
        good = gpg("--verify", str(tmp_path / f"{PATCH}.asc"), str(tmp_path / PATCH))
        assert good.returncode == 0, good.stderr
        assert f"VALIDSIG {houp.signing_key_fingerprint}" in good.stdout

        corrupted = bytearray((tmp_path / PATCH).read_bytes())
        corrupted[7] ^= 1
        (tmp_path / PATCH).write_bytes(bytes(corrupted))
        bad = gpg("--verify", str(tmp_path / f"{PATCH}.asc"), str(tmp_path / PATCH))
        assert bad.returncode != 0
        assert "BADSIG" in bad.stdout
    finally:
        # gpg --import starts a gpg-agent for the home directory, which outlives the test
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)


async def test_verify_function_accepts_good_and_rejects_tampering(
    houp: HoupServer, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    data = await _download(client, houp, SOFTWARE)
    signature = (await _download(client, houp, SOFTWARE + ".asc")).decode()
    path = tmp_path / SOFTWARE
    path.write_bytes(data)
    verify_detached_signature(path, signature, houp.signing_public_key)
    verify_detached_signature(data, signature, houp.signing_public_key)

    with pytest.raises(SignatureVerificationError):
        verify_detached_signature(
            data[:-1] + bytes([data[-1] ^ 1]), signature, houp.signing_public_key
        )
    with pytest.raises(SignatureVerificationError):
        verify_detached_signature(data + b"\0", signature, houp.signing_public_key)
    other = (await _download(client, houp, PATCH + ".asc")).decode()
    with pytest.raises(SignatureVerificationError):
        verify_detached_signature(path, other, houp.signing_public_key)
    with pytest.raises(SignatureVerificationError):
        verify_detached_signature(path, "not a signature", houp.signing_public_key)


async def test_keys_certificates_and_signatures_persist_across_restarts(
    houp: HoupServer, data_dir: Path
) -> None:
    again = await HoupServer.start(data_dir, catalogue=houp.catalogue)
    try:
        assert again.ca_cert_pem == houp.ca_cert_pem
        assert again.signing_public_key == houp.signing_public_key
        assert (await again.file_info(PATCH)).signature == (await houp.file_info(PATCH)).signature
    finally:
        await again.close()
