// Jest runs the TypeScript sources as native ESM (`--experimental-vm-modules`),
// because @kubernetes/client-node 1.x is ESM-only. ts-jest compiles each file in
// isolation (tsconfig.json's isolatedModules; types are checked once by `tsc` in the test script).
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  // Sources import siblings as './x.js' (NodeNext); map back to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^#contract/(.*)\\.js$': '<rootDir>/contract/$1' },
  testEnvironment: 'node',
};

export default {
  testTimeout: 120000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/contract/**/*.test.ts', '<rootDir>/registry/src/**/*.test.ts', '<rootDir>/operator/src/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'registry', testMatch: ['<rootDir>/test/registry/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'] },
    {
      ...common,
      displayName: 'operator',
      testMatch: ['<rootDir>/test/operator/**/*.test.ts'],
      globalSetup: '<rootDir>/test/harness/control-plane/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/control-plane/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'node',
      // A real node (containerd, kubelet, kube-proxy, CoreDNS) next to its own control plane.
      testMatch: ['<rootDir>/test/node/**/*.test.ts'],
      globalSetup: '<rootDir>/test/harness/node/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/node/global-teardown.ts',
    },
  ],
};
