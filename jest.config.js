/** @type {import('jest').Config} */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  // Whole-stack evaluations load the large cloud SDKs; give them room on a 2-core machine.
  testTimeout: 120000,
  maxWorkers: 2,
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
};
