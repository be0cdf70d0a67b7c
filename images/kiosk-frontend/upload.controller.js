'use strict';
// Replaces the image's build/server/controllers/upload.controller.js (upstream
// server/controllers/upload.controller.js at 0.11.3); see storage.js for what changes.
Object.defineProperty(exports, '__esModule', { value: true });
const { makeUpload } = require('../kiosk-storage/storage');

exports.default = { upload: makeUpload() };
