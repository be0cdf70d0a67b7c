'use strict';
// storage.js, our frontend overlay's storage layer, against a real S3 server (moto's), a stand-in for the
// EKS Pod Identity agent read by the real AWS SDK v3, and a recorded Google Cloud Storage client.
// Run by images/test.sh: node --test, with MOTO_PYTHON pointing at a Python that has moto[server].
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { S3Client, CreateBucketCommand, GetObjectCommand, GetObjectAclCommand } = require('@aws-sdk/client-s3');
const { makeUpload } = require('../storage');

let moto;
let endpoint;
const localKeys = { AWS_ACCESS_KEY_ID: 'kiosk-bucket-user', AWS_SECRET_ACCESS_KEY: 'kiosk-bucket-secret' };

const freePort = () =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

before(async () => {
  const port = await freePort();
  moto = spawn(process.env.MOTO_PYTHON || 'python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      if (i > 150) throw new Error("moto's S3 server did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});
after(() => moto.kill());

const admin = () => new S3Client({ region: 'us-west-2', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' } });
async function bucket() {
  const name = `kiosk-${Math.random().toString(16).slice(2, 14)}`;
  await admin().send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }));
  return name;
}

/** Calls the controller as Express would after multer kept the file in memory. */
function call(upload, file) {
  return new Promise((resolve, reject) => {
    const res = {
      status(code) {
        this.code = code;
        return this;
      },
      send(body) {
        resolve({ code: this.code, body });
      },
      sendStatus(code) {
        resolve({ code });
      },
    };
    upload({ file }, res, reject);
  });
}

/** The environment a pod gets, with process.env's AWS settings swapped for the given ones while it runs. */
async function withEnv(env, fn) {
  const saved = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) saved[key] = process.env[key];
  for (const key of Object.keys(saved)) delete process.env[key];
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const key of Object.keys(env)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

test('stores an upload under its key, privately, and answers the key and a signed link that expires', async () => {
  const name = await bucket();
  const env = { STORAGE_BUCKET: `s3://${name}`, UPLOAD_PREFIX: '/uploads/', AWS_REGION: 'us-west-2', AWS_ENDPOINT_URL_S3: endpoint, STORAGE_S3_PATH_STYLE: 'true', STORAGE_SIGNED_URL_SECONDS: '900' };
  const { code, body } = await withEnv(localKeys, () => call(makeUpload({ env }), { originalname: 'cells.tif', buffer: Buffer.from('pixels'), mimetype: 'image/tiff' }));
  assert.equal(code, 200);
  // The key, not a URL: the consumer downloads input_file_name as a key.
  assert.match(body.uploadedName, /^uploads\/[0-9a-f]{32}\.tif$/);
  const stored = await admin().send(new GetObjectCommand({ Bucket: name, Key: body.uploadedName }));
  assert.equal(await stored.Body.transformToString(), 'pixels');
  const acl = await admin().send(new GetObjectAclCommand({ Bucket: name, Key: body.uploadedName }));
  assert.deepEqual(acl.Grants.filter((g) => g.Grantee.Type === 'Group'), []);
  const link = new URL(body.imageURL);
  assert.equal(`${link.origin}${link.pathname}`, `${endpoint}/${name}/${body.uploadedName}`);
  assert.equal(link.searchParams.get('X-Amz-Expires'), '900');
  assert.ok(link.searchParams.get('X-Amz-Signature'));
  assert.equal(await (await fetch(body.imageURL)).text(), 'pixels');
});

test('signs links for the address a browser reaches when it differs from the store the pod writes to', async () => {
  const name = await bucket();
  const publicEndpoint = endpoint.replace('127.0.0.1', 'localhost');
  const env = { STORAGE_BUCKET: `s3://${name}`, AWS_ENDPOINT_URL_S3: endpoint, STORAGE_S3_PUBLIC_ENDPOINT: publicEndpoint, STORAGE_S3_PATH_STYLE: 'true', AWS_REGION: 'us-west-2' };
  const { body } = await withEnv(localKeys, () => call(makeUpload({ env }), { originalname: 'a.png', buffer: Buffer.from('png'), mimetype: 'image/png' }));
  assert.ok(body.imageURL.startsWith(`${publicEndpoint}/${name}/uploads/`));
  assert.equal(await (await fetch(body.imageURL)).text(), 'png');
});

test('takes its credentials from the EKS Pod Identity agent, with no key in the environment', async () => {
  const name = await bucket();
  const seen = [];
  const agent = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    const Expiration = new Date(Date.now() + 6 * 3600 * 1000).toISOString();
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ AccessKeyId: 'ASIAPODIDENTITY', SecretAccessKey: 'pod-secret', Token: 'pod-session', Expiration }));
  });
  await new Promise((r) => agent.listen(0, '127.0.0.1', r));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-identity-'));
  fs.writeFileSync(path.join(dir, 'token'), 'projected-service-account-token');
  const podIdentity = {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${agent.address().port}/v1/credentials`,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: path.join(dir, 'token'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
    AWS_CONFIG_FILE: path.join(dir, 'none'),
  };
  const env = { STORAGE_BUCKET: `s3://${name}`, AWS_ENDPOINT_URL_S3: endpoint, STORAGE_S3_PATH_STYLE: 'true', AWS_REGION: 'us-west-2' };
  const { body } = await withEnv(podIdentity, () => call(makeUpload({ env }), { originalname: 'z.zip', buffer: Buffer.from('zip'), mimetype: 'application/zip' }));
  agent.close();
  assert.ok(seen.length > 0);
  assert.deepEqual([...new Set(seen)], ['projected-service-account-token']);
  const link = new URL(body.imageURL);
  assert.match(link.searchParams.get('X-Amz-Credential'), /^ASIAPODIDENTITY\//);
  assert.equal(link.searchParams.get('X-Amz-Security-Token'), 'pod-session');
});

test('on GCS saves without an ACL, never makes an object public, and signs a V4 read link', async () => {
  const calls = [];
  const gcs = {
    bucket(name) {
      calls.push(['bucket', name]);
      return {
        file(key) {
          return {
            async save(body, options) {
              calls.push(['save', key, options]);
            },
            async makePublic() {
              throw new Error('makePublic must not be called');
            },
            async getSignedUrl(options) {
              calls.push(['getSignedUrl', key, options]);
              return [`https://storage.googleapis.com/${name}/${key}?X-Goog-Signature=recorded`];
            },
          };
        },
      };
    },
  };
  const env = { STORAGE_BUCKET: 'gs://kiosk-bucket', UPLOAD_PREFIX: 'uploads', STORAGE_SIGNED_URL_SECONDS: '3600' };
  const before = Date.now();
  const { code, body } = await call(makeUpload({ env, clients: { gcs } }), { originalname: 'x.tif', buffer: Buffer.from('x'), mimetype: 'image/tiff' });
  assert.equal(code, 200);
  assert.match(body.uploadedName, /^uploads\/[0-9a-f]{32}\.tif$/);
  const save = calls.find((c) => c[0] === 'save');
  assert.deepEqual(save[2], { contentType: 'image/tiff', resumable: false });
  const signed = calls.find((c) => c[0] === 'getSignedUrl')[2];
  assert.equal(signed.version, 'v4');
  assert.equal(signed.action, 'read');
  assert.ok(signed.expires >= before + 3600 * 1000 && signed.expires <= Date.now() + 3600 * 1000);
});

test('refuses a link lifetime the stores cannot sign, and a bucket that is not s3:// or gs://', async () => {
  const file = { originalname: 'x.tif', buffer: Buffer.from('x') };
  await assert.rejects(call(makeUpload({ env: { STORAGE_BUCKET: 'gs://b', STORAGE_SIGNED_URL_SECONDS: String(8 * 24 * 3600) } }), file), /STORAGE_SIGNED_URL_SECONDS=691200 must be a whole number from 1 to 604800/);
  await assert.rejects(call(makeUpload({ env: { STORAGE_BUCKET: 'https://b' } }), file), /STORAGE_BUCKET="https:\/\/b" must be s3:\/\/name or gs:\/\/name/);
});
