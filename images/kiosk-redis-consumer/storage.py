"""The Kiosk consumer's storage layer, replacing redis_consumer/storage.py of
vanvalenlab/kiosk-redis-consumer@0.17.2 in our overlay image (see Dockerfile). Same interface as the
module it replaces: get_client(bucket) -> a client with download(key, download_dir=None) -> local path
and upload(local_path, subdir=None) -> (key, link); StorageException.

What it changes, and why (upstream file: redis_consumer/storage.py at 0.17.2):
- Credentials: the cloud SDKs' default chains (EKS Pod Identity, GKE Workload Identity, or the local
  store's keys from the environment), never the image's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
  defaults ("specify_me") passed as explicit keys.
- Links: short-lived signed URLs (STORAGE_SIGNED_URL_SECONDS), instead of unsigned
  https://s3.amazonaws.com/<bucket>/<key> links (unreachable for a private bucket and for any other
  S3 endpoint) or GCS public URLs.
- No public ACLs: upstream uploads GCS results with predefined_acl='publicRead' and makes objects public.
- No bucket metadata calls: upstream calls get_bucket() (storage.buckets.get) before every transfer.
- S3-compatible stores: AWS_ENDPOINT_URL_S3 and STORAGE_S3_PATH_STYLE; links are signed for
  STORAGE_S3_PUBLIC_ENDPOINT, the address a user's browser reaches, when it differs.
- Keys, not URLs: a value that is a URL is refused with a message, instead of being used as a key.
Kept: keys of results under output/<subdir>/<file name>, and downloads to
<download_dir>/<key without its first segment>, which the consumers' code relies on.
"""
import datetime
import logging
import os
import time

from redis_consumer import settings

SIGNED_URL_SECONDS = int(os.environ.get("STORAGE_SIGNED_URL_SECONDS", "86400"))
# SigV4 and GCS V4 signatures are valid for at most seven days.
MAX_SIGNED_URL_SECONDS = 7 * 24 * 3600


class StorageException(Exception):
    """A storage call that failed, naming the object."""


def get_client(bucket):
    try:
        protocol, name = str(bucket).split("://", 1)
    except ValueError:
        raise ValueError("Invalid storage bucket name: {} (expected s3://name or gs://name)".format(bucket))
    protocol = protocol.lower()
    if protocol == "s3":
        return S3Storage(name)
    if protocol == "gs":
        return GoogleStorage(name)
    raise ValueError("Unknown STORAGE_BUCKET protocol: {} (expected s3 or gs)".format(protocol))


def signed_url_seconds():
    if not 1 <= SIGNED_URL_SECONDS <= MAX_SIGNED_URL_SECONDS:
        raise StorageException("STORAGE_SIGNED_URL_SECONDS={} must be from 1 to {}".format(SIGNED_URL_SECONDS, MAX_SIGNED_URL_SECONDS))
    return SIGNED_URL_SECONDS


class Storage(object):
    def __init__(self, bucket, download_dir=settings.DOWNLOAD_DIR, max_backoff=settings.STORAGE_MAX_BACKOFF):
        self.bucket = bucket
        self.download_dir = download_dir
        self.output_dir = "output"
        self.max_backoff = max_backoff
        self.logger = logging.getLogger(self.__class__.__name__)
        os.makedirs(self.download_dir, exist_ok=True)

    @staticmethod
    def key_of(value):
        key = str(value)
        if "://" in key:
            raise StorageException("{!r} is a URL, not an object key: the frontend must hand the consumer the upload's key".format(key))
        return key.lstrip("/")

    def get_download_path(self, key, download_dir=None):
        parts = key.split("/")
        rest = os.path.join(*parts[1:]) if len(parts) > 1 else parts[0]
        dest = os.path.join(download_dir or self.download_dir, rest)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        return dest

    def output_key(self, path, subdir=None):
        parts = [self.output_dir]
        if subdir:
            parts.append(str(subdir).strip("/"))
        parts.append(os.path.basename(path))
        return "/".join(parts)

    def retry(self, what, call):
        """Calls `call`, retrying with exponential backoff up to max_backoff seconds between tries."""
        attempt = 0
        while True:
            try:
                return call()
            except StorageException:
                raise
            except Exception as error:  # pylint: disable=broad-except
                attempt += 1
                wait = min(2 ** attempt, self.max_backoff)
                if wait >= self.max_backoff:
                    raise StorageException("{} failed: {}: {}".format(what, type(error).__name__, error))
                self.logger.warning("%s failed (%s: %s); retrying in %s s", what, type(error).__name__, error, wait)
                time.sleep(wait)


class S3Storage(Storage):
    def __init__(self, bucket, download_dir=settings.DOWNLOAD_DIR, max_backoff=settings.STORAGE_MAX_BACKOFF):
        super(S3Storage, self).__init__(bucket, download_dir, max_backoff)
        self._client = None
        self._signer = None

    @staticmethod
    def make_client(endpoint):
        import boto3
        from botocore.config import Config

        path_style = os.environ.get("STORAGE_S3_PATH_STYLE", "false").lower() == "true"
        config = Config(signature_version="s3v4", s3={"addressing_style": "path" if path_style else "auto"})
        # No keys passed: the default chain finds Pod Identity's container credentials, or the local store's keys in the environment.
        return boto3.client("s3", region_name=os.environ.get("AWS_REGION", "us-east-1"), endpoint_url=endpoint or None, config=config)

    def client(self):
        if self._client is None:
            self._client = self.make_client(os.environ.get("AWS_ENDPOINT_URL_S3"))
        return self._client

    def signer(self):
        public = os.environ.get("STORAGE_S3_PUBLIC_ENDPOINT")
        if not public:
            return self.client()
        if self._signer is None:
            self._signer = self.make_client(public)
        return self._signer

    def signed_url(self, key):
        return self.signer().generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=signed_url_seconds())

    def upload(self, filepath, subdir=None):
        key = self.output_key(filepath, subdir)
        self.retry("uploading {} to s3://{}/{}".format(filepath, self.bucket, key), lambda: self.client().upload_file(filepath, self.bucket, key))
        return key, self.signed_url(key)

    def download(self, filepath, download_dir=None):
        key = self.key_of(filepath)
        dest = self.get_download_path(key, download_dir)
        self.retry("downloading s3://{}/{}".format(self.bucket, key), lambda: self.client().download_file(self.bucket, key, dest))
        return dest


class GoogleStorage(Storage):
    def __init__(self, bucket, download_dir=settings.DOWNLOAD_DIR, max_backoff=settings.STORAGE_MAX_BACKOFF, client=None, credentials=None):
        super(GoogleStorage, self).__init__(bucket, download_dir, max_backoff)
        self._client = client
        self._credentials = credentials

    def client(self):
        if self._client is None:
            import google.cloud.storage

            self._client = google.cloud.storage.Client()
        return self._client

    def blob(self, key):
        # bucket(), not get_bucket(): no storage.buckets.get call, no bucket metadata needed.
        return self.client().bucket(self.bucket).blob(key)

    def signing_credentials(self):
        """Workload Identity gives a token, not a key: the signature comes from IAM's signBlob for the pod's own account."""
        if self._credentials is None:
            import google.auth

            self._credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        if not self._credentials.valid:
            import google.auth.transport.requests

            self._credentials.refresh(google.auth.transport.requests.Request())
        return self._credentials

    def signed_url(self, key):
        credentials = self.signing_credentials()
        return self.blob(key).generate_signed_url(
            version="v4",
            expiration=datetime.timedelta(seconds=signed_url_seconds()),
            method="GET",
            service_account_email=credentials.service_account_email,
            access_token=credentials.token,
        )

    def upload(self, filepath, subdir=None):
        key = self.output_key(filepath, subdir)
        # No predefined ACL: the object stays as private as the bucket.
        self.retry("uploading {} to gs://{}/{}".format(filepath, self.bucket, key), lambda: self.blob(key).upload_from_filename(filepath))
        return key, self.signed_url(key)

    def download(self, filepath, download_dir=None):
        key = self.key_of(filepath)
        dest = self.get_download_path(key, download_dir)
        self.retry("downloading gs://{}/{}".format(self.bucket, key), lambda: self.blob(key).download_to_filename(dest))
        return dest
