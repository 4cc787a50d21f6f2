/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // isolatedModules (in tsconfig): ts-jest only transpiles; `npm run typecheck` (tsc --noEmit) type-checks.
    '^.+\\.m?[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true, isolatedModules: true, rootDir: '.', ignoreDeprecations: '6.0' } }]
  },
  // cookie@2 (loaded by fastify / @fastify/cookie), marked, content-disposition (@fastify/static) and htmlparser2 (sanitize-html) are ESM-only: let ts-jest turn them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(cookie|@fastify/cookie|marked|content-disposition|htmlparser2|entities|domhandler|domutils|dom-serializer|domelementtype|set-cookie-parser|toad-cache|typebox)/)'],
  testTimeout: 30000,
  // Once per run, not once per test file: says when the tests run on SQLite only.
  globalSetup: '<rootDir>/test/helpers/global-setup.ts'
}
