/**
 * Jest globalSetup: runs once per `jest` run, in the parent process. The missing-MySQL warning lives
 * here because every test file has its own module registry and globals: a warning in
 * helpers/database.ts was printed once per test file (31 times, 12 lines each with Jest's stack).
 */
export default function globalSetup (): void {
  if ((process.env.TEST_MYSQL_URL ?? '') === '') {
    process.stderr.write('TEST_MYSQL_URL is not set: the tests run on SQLite only (CI runs them on MariaDB too).\n')
  }
}
