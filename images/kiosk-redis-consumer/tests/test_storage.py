"""storage.py, our consumer overlay's storage layer, against a real S3 server (moto's), a stand-in for the
EKS Pod Identity agent read by the real botocore, and a recorded Google Cloud Storage client."""
import datetime
import http.server
import importlib
import json
import threading
import urllib.parse
import urllib.request
import uuid

import boto3
import pytest


def load():
    return importlib.import_module("storage")


def make_bucket(endpoint, name=None):
    name = name or "kiosk-%s" % uuid.uuid4().hex[:12]
    boto3.client("s3", endpoint_url=endpoint, region_name="us-west-2").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    return name


@pytest.fixture
def local_store_keys(monkeypatch):
    # On the local stack the store's bucket-only keys come from a Kubernetes Secret as these variables.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "kiosk-bucket-user")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "kiosk-bucket-secret")


def test_results_go_under_output_and_come_back_as_a_signed_link_that_expires(tmp_path, s3_server, monkeypatch, local_store_keys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    monkeypatch.setenv("STORAGE_S3_PATH_STYLE", "true")
    monkeypatch.setenv("STORAGE_SIGNED_URL_SECONDS", "900")
    bucket = make_bucket(s3_server)
    result = tmp_path / "job-1.zip"
    result.write_bytes(b"segmentation result")
    client = load().get_client("s3://%s" % bucket)
    key, link = client.upload(str(result), subdir="/job-1")
    assert key == "output/job-1/job-1.zip"
    url = urllib.parse.urlparse(link)
    query = urllib.parse.parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("http", s3_server.split("//")[1], "/%s/%s" % (bucket, key))
    assert query["X-Amz-Expires"] == ["900"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and "X-Amz-Signature" in query
    assert urllib.request.urlopen(link, timeout=10).read() == b"segmentation result"
    # Nothing public: the object's ACL grants its owner only.
    grants = boto3.client("s3", endpoint_url=s3_server, region_name="us-west-2").get_object_acl(Bucket=bucket, Key=key)["Grants"]
    assert [g["Grantee"].get("URI") for g in grants if g["Grantee"].get("Type") == "Group"] == []


def test_links_are_signed_for_the_address_a_browser_reaches(tmp_path, s3_server, monkeypatch, local_store_keys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    monkeypatch.setenv("STORAGE_S3_PATH_STYLE", "true")
    public = s3_server.replace("127.0.0.1", "localhost")
    monkeypatch.setenv("STORAGE_S3_PUBLIC_ENDPOINT", public)
    bucket = make_bucket(s3_server)
    result = tmp_path / "r.tif"
    result.write_bytes(b"mask")
    _, link = load().get_client("s3://%s" % bucket).upload(str(result))
    assert link.startswith("%s/%s/output/r.tif?" % (public, bucket))
    assert urllib.request.urlopen(link, timeout=10).read() == b"mask"


def test_downloads_an_upload_by_its_key_to_where_the_consumers_expect_it(tmp_path, s3_server, monkeypatch, local_store_keys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    bucket = make_bucket(s3_server)
    boto3.client("s3", endpoint_url=s3_server, region_name="us-west-2").put_object(Bucket=bucket, Key="uploads/abc/cells.tif", Body=b"pixels")
    storage = load()
    dest = storage.get_client("s3://%s" % bucket).download("/uploads/abc/cells.tif", str(tmp_path / "job"))
    assert dest == str(tmp_path / "job" / "abc" / "cells.tif")
    assert open(dest, "rb").read() == b"pixels"
    with pytest.raises(storage.StorageException, match="is a URL, not an object key"):
        storage.get_client("s3://%s" % bucket).download("https://s3.amazonaws.com/%s/uploads/abc/cells.tif" % bucket)
    with pytest.raises(storage.StorageException, match="downloading s3://%s/uploads/missing.tif failed" % bucket):
        storage.get_client("s3://%s" % bucket).download("uploads/missing.tif")


def test_refuses_a_link_lifetime_s3_cannot_sign(tmp_path, s3_server, monkeypatch, local_store_keys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    monkeypatch.setenv("STORAGE_SIGNED_URL_SECONDS", str(8 * 24 * 3600))
    bucket = make_bucket(s3_server)
    result = tmp_path / "r.zip"
    result.write_bytes(b"x")
    storage = load()
    with pytest.raises(storage.StorageException, match="STORAGE_SIGNED_URL_SECONDS=691200 must be from 1 to 604800"):
        storage.get_client("s3://%s" % bucket).upload(str(result))


class PodIdentityAgent(http.server.BaseHTTPRequestHandler):
    """Answers like the EKS Pod Identity agent: credentials for the pod whose token is in Authorization."""

    seen = []

    def do_GET(self):  # noqa: N802
        PodIdentityAgent.seen.append(self.headers.get("Authorization"))
        expiry = (datetime.datetime.utcnow() + datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = json.dumps({"AccessKeyId": "ASIAPODIDENTITY", "SecretAccessKey": "pod-secret", "Token": "pod-session", "Expiration": expiry}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_takes_credentials_from_the_pod_identity_agent_with_no_key_in_the_environment(tmp_path, s3_server, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    agent = http.server.HTTPServer(("127.0.0.1", 0), PodIdentityAgent)
    threading.Thread(target=agent.serve_forever, daemon=True).start()
    token = tmp_path / "eks-pod-identity-token"
    token.write_text("projected-service-account-token")
    # What the EKS Pod Identity webhook sets in the pod (docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html).
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:%d/v1/credentials" % agent.server_address[1])
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    bucket = make_bucket(s3_server)
    result = tmp_path / "r.zip"
    result.write_bytes(b"x")
    key, link = load().get_client("s3://%s" % bucket).upload(str(result))
    agent.shutdown()
    assert PodIdentityAgent.seen and set(PodIdentityAgent.seen) == {"projected-service-account-token"}
    assert "X-Amz-Credential=ASIAPODIDENTITY" in link and "X-Amz-Security-Token=pod-session" in link


class RecordedBlob(object):
    def __init__(self, calls, name):
        self.calls, self.name = calls, name

    def upload_from_filename(self, filename, **kwargs):
        self.calls.append(("upload_from_filename", self.name, kwargs))

    def download_to_filename(self, filename, **kwargs):
        self.calls.append(("download_to_filename", self.name, kwargs))
        open(filename, "wb").write(b"pixels")

    def generate_signed_url(self, **kwargs):
        self.calls.append(("generate_signed_url", self.name, kwargs))
        return "https://storage.googleapis.com/bucket/%s?X-Goog-Signature=recorded" % self.name


class RecordedClient(object):
    """The calls google.cloud.storage.Client would get; get_bucket (storage.buckets.get) is not among the allowed ones."""

    def __init__(self):
        self.calls = []

    def bucket(self, name):
        self.calls.append(("bucket", name, {}))
        client = self

        class Bucket(object):
            def blob(self, key):
                return RecordedBlob(client.calls, key)

        return Bucket()

    def get_bucket(self, name):
        raise AssertionError("get_bucket needs storage.buckets.get, which the workloads are not granted")


class WorkloadIdentityCredentials(object):
    valid = True
    token = "workload-identity-access-token"
    service_account_email = "kiosk-consumer@deepcell-kiosk.iam.gserviceaccount.com"


def test_gcs_uploads_privately_and_signs_links_through_iam_with_workload_identity(tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_SIGNED_URL_SECONDS", "3600")
    storage = load()
    client = RecordedClient()
    gcs = storage.GoogleStorage("kiosk-bucket", client=client, credentials=WorkloadIdentityCredentials())
    result = tmp_path / "r.zip"
    result.write_bytes(b"x")
    key, link = gcs.upload(str(result), subdir="job-2")
    dest = gcs.download("uploads/job-2/in.tif", str(tmp_path / "d"))
    assert key == "output/job-2/r.zip" and link.endswith("X-Goog-Signature=recorded")
    assert dest == str(tmp_path / "d" / "job-2" / "in.tif")
    uploads = [c for c in client.calls if c[0] == "upload_from_filename"]
    assert uploads == [("upload_from_filename", "output/job-2/r.zip", {})]  # no predefined_acl
    signed = [c for c in client.calls if c[0] == "generate_signed_url"][0][2]
    assert signed == {
        "version": "v4",
        "expiration": datetime.timedelta(seconds=3600),
        "method": "GET",
        "service_account_email": "kiosk-consumer@deepcell-kiosk.iam.gserviceaccount.com",
        "access_token": "workload-identity-access-token",
    }
