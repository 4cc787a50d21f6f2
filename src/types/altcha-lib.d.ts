// altcha-lib 2 names its types only in package.json "exports", which TypeScript's node10 resolution
// (this project: CommonJS) does not read; Node's require does. These point at the files it ships.
declare module 'altcha-lib' {
  export * from 'altcha-lib/dist/cjs/v2/index'
}
declare module 'altcha-lib/algorithms/sha' {
  export * from 'altcha-lib/dist/cjs/v2/algorithms/sha'
}
