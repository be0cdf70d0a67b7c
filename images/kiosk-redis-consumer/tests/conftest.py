"""Runs storage.py outside its image: a stand-in for the image's redis_consumer.settings (the two values
the module reads), and a real S3 server (moto's) on loopback."""
import os
import socket
import subprocess
import sys
import time
import types
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


@pytest.fixture(autouse=True)
def image_settings(tmp_path, monkeypatch):
    package = types.ModuleType("redis_consumer")
    settings = types.ModuleType("redis_consumer.settings")
    settings.DOWNLOAD_DIR = str(tmp_path / "download")
    settings.STORAGE_MAX_BACKOFF = 1
    package.settings = settings
    monkeypatch.setitem(sys.modules, "redis_consumer", package)
    monkeypatch.setitem(sys.modules, "redis_consumer.settings", settings)
    sys.modules.pop("storage", None)
    for name in ["AWS_ENDPOINT_URL_S3", "STORAGE_S3_PATH_STYLE", "STORAGE_S3_PUBLIC_ENDPOINT", "STORAGE_SIGNED_URL_SECONDS", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    # boto3's default session keeps the credentials it first found; each test is a pod of its own.
    import boto3

    boto3.DEFAULT_SESSION = None
    yield
    boto3.DEFAULT_SESSION = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("moto's S3 server did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)
