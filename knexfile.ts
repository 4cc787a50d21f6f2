// Knex CLI entry (`npx knex --knexfile knexfile.ts ...`); the app and `npm run cli -- migrate` use the same options.
import { loadConfig } from './src/config'
import { knexOptions } from './src/db/knex'

const config = loadConfig()
export default knexOptions(config.database)
