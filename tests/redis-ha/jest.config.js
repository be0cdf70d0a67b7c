/** @type {import('jest').Config} */
// The real-server Redis suite (npm run test:redis); scenarios run one at a time, each on its own set.
module.exports = {
  rootDir: "../..",
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/tests/redis-ha"],
  testMatch: ["**/*.scenario.ts"],
  testTimeout: 180000,
  maxWorkers: 1,
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
};
