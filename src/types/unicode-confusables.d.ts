// unicode-confusables 0.1.1 names `index.d.ts` in its package.json but ships the file as `index.ts.d`,
// so TypeScript finds no types: these are that file's declarations.
declare module 'unicode-confusables' {
  export interface ConfusablePoint { point: string, similarTo?: string }
  export const isConfusing: (input: string) => boolean
  export const confusables: (input: string) => ConfusablePoint[]
  /** The UTS #39 skeleton: each character replaced by the prototype it is confusable with. */
  export const rectifyConfusion: (input: string) => string
}
