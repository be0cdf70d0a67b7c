'use strict';
/**
 * The Kiosk frontend's storage layer, for our overlay of vanvalenlab/kiosk-frontend@0.11.3 (see
 * Dockerfile). It backs two of the image's compiled modules, replaced by multer.js and
 * upload.controller.js next to this file; their interfaces are the upstream ones (a multer instance with
 * .single(); upload(req, res, next) answering { imageURL, uploadedName }).
 *
 * What it changes, and why (upstream files at 0.11.3):
 * - server/config/multer.js and server/controllers/upload.controller.js pass static keys
 *   (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, default "invalid_value") to aws-sdk 2, which predates EKS Pod
 *   Identity: here the AWS SDK v3's default chain (Pod Identity, or the local store's keys from the
 *   environment) and GCS's Application Default Credentials (Workload Identity).
 * - upload.controller.js answers on S3 with the upload's URL as uploadedName, which the consumer then
 *   uses as an object key: here uploadedName is always the key (<UPLOAD_PREFIX>/<md5>.<ext>).
 * - upload.controller.js makes every GCS upload public (makePublic) and links its public URL: here
 *   nothing is made public and imageURL is a short-lived signed URL (STORAGE_SIGNED_URL_SECONDS).
 * - No S3 endpoint option upstream: here AWS_ENDPOINT_URL_S3, STORAGE_S3_PATH_STYLE, and
 *   STORAGE_S3_PUBLIC_ENDPOINT (the address a browser reaches, for signed links).
 */
const crypto = require('crypto');
const path = require('path');

const maxSignedSeconds = 7 * 24 * 3600;

function settings(env = process.env) {
  const bucket = String(env.STORAGE_BUCKET || '');
  const match = /^(s3|gs):\/\/([^/]+)$/.exec(bucket);
  if (!match) throw new Error(`STORAGE_BUCKET=${JSON.stringify(bucket)} must be s3://name or gs://name`);
  const seconds = Number(env.STORAGE_SIGNED_URL_SECONDS || 86400);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > maxSignedSeconds) {
    throw new Error(`STORAGE_SIGNED_URL_SECONDS=${env.STORAGE_SIGNED_URL_SECONDS} must be a whole number from 1 to ${maxSignedSeconds}`);
  }
  return {
    cloud: match[1],
    bucket: match[2],
    prefix: String(env.UPLOAD_PREFIX || 'uploads').replace(/^\/+|\/+$/g, ''),
    signedSeconds: seconds,
    region: env.AWS_REGION || 'us-east-1',
    endpoint: env.AWS_ENDPOINT_URL_S3 || undefined,
    publicEndpoint: env.STORAGE_S3_PUBLIC_ENDPOINT || undefined,
    pathStyle: String(env.STORAGE_S3_PATH_STYLE || '').toLowerCase() === 'true',
    projectId: env.GCLOUD_PROJECT_ID || undefined,
  };
}

/** Where an upload goes: unique per upload, keeping the file's extension (the consumers read it). */
function uploadKey(prefix, originalName, now = Date.now()) {
  const hashed = crypto.createHash('md5').update(`${originalName}_${now}_${crypto.randomBytes(8).toString('hex')}`).digest('hex');
  return `${prefix}/${hashed}${path.extname(originalName)}`;
}

function s3Store(s) {
  const { S3Client, PutObjectCommand, GetObjectCommand } = require('@aws-sdk/client-s3');
  const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');
  // No credentials given: the SDK's default chain finds them.
  const client = (endpoint) => new S3Client({ region: s.region, endpoint, forcePathStyle: s.pathStyle });
  const writer = client(s.endpoint);
  const signer = s.publicEndpoint ? client(s.publicEndpoint) : writer;
  return {
    async put(key, body, contentType) {
      await writer.send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: body, ContentType: contentType }));
    },
    signedUrl(key) {
      return getSignedUrl(signer, new GetObjectCommand({ Bucket: s.bucket, Key: key }), { expiresIn: s.signedSeconds });
    },
  };
}

function gcsStore(s, storage) {
  const client = storage || new (require('@google-cloud/storage').Storage)({ projectId: s.projectId });
  // bucket(), not a metadata call: the portal's identity needs no storage.buckets.get.
  const file = (key) => client.bucket(s.bucket).file(key);
  return {
    async put(key, body, contentType) {
      // No predefined ACL and no makePublic: the object is as private as the bucket.
      await file(key).save(body, { contentType, resumable: false });
    },
    async signedUrl(key) {
      // Without a key file, the library signs through IAM signBlob for the pod's own service account.
      const [url] = await file(key).getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + s.signedSeconds * 1000 });
      return url;
    },
  };
}

function storeFor(s, clients = {}) {
  return s.cloud === 's3' ? s3Store(s) : gcsStore(s, clients.gcs);
}

/** The upload controller: stores the file multer kept in memory, answers its key and a signed link. */
function makeUpload(options = {}) {
  let store;
  let s;
  return async function upload(req, res, next) {
    try {
      s = s || settings(options.env);
      store = store || storeFor(s, options.clients);
      if (!req.file) return res.sendStatus(400);
      const key = uploadKey(s.prefix, req.file.originalname);
      await store.put(key, req.file.buffer, req.file.mimetype);
      const imageURL = await store.signedUrl(key);
      return res.status(200).send({ imageURL, uploadedName: key });
    } catch (error) {
      return next(error);
    }
  };
}

module.exports = { settings, uploadKey, storeFor, makeUpload, maxSignedSeconds };
