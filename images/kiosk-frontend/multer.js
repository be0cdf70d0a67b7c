'use strict';
// Replaces the image's build/server/config/multer.js (upstream server/config/multer.js at 0.11.3):
// uploads are held in memory on both clouds (as upstream does for GCS) and stored by upload.controller.js,
// instead of multer-s3 with static keys. The size limit is upstream's.
Object.defineProperty(exports, '__esModule', { value: true });
const Multer = require('multer');

exports.default = Multer({ storage: Multer.memoryStorage(), limits: { fileSize: 5 * 1024 * 1024 * 1024 * 1024 } });
