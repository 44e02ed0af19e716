// One place for the test set-up: TypeScript (with decorator metadata, which Nest's DI needs) is
// compiled by SWC, and ESM-only dependencies (dinero.js 2, the Nest 12 packages) are transformed to
// CommonJS so that Jest's module loader can require them.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(dinero\\.js|@dinero\\.js|@nestjs|jose|@fastify/middie|path-to-regexp|file-type|@standard-schema|uid|load-esm|strtok3|token-types|@tokenizer|uint8array-extras)/)',
  ],
  moduleNameMapper: {
    '^nestjs-cashlink$': '<rootDir>/libs/cashlink/src/index.ts',
    '^nestjs-cashlink/testing$': '<rootDir>/libs/cashlink/src/testing/index.ts',
    '^nestjs-cashlink/ops$': '<rootDir>/libs/cashlink/src/ops/index.ts',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/src/**/*.spec.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
