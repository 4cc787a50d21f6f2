// The part of better-sqlite3's API the backup reads a SQLite backup file with (src/db/backup.ts), and
// `exec` for the tests that play a second process (test/process-faults/sqlite-busy.test.ts);
// the package ships no types and @types/better-sqlite3 is not installed.
declare module 'better-sqlite3' {
  interface Statement {
    all: (...params: unknown[]) => unknown[]
    get: (...params: unknown[]) => unknown
    iterate: (...params: unknown[]) => IterableIterator<unknown>
    pluck: (on?: boolean) => Statement
    raw: (on?: boolean) => Statement
    columns: () => Array<{ name: string }>
  }
  class Database {
    constructor (filename: string, options?: { readonly?: boolean, fileMustExist?: boolean })
    prepare (sql: string): Statement
    pragma (sql: string): unknown
    exec (sql: string): this
    backup (destination: string): Promise<unknown>
    close (): void
  }
  export = Database
}
