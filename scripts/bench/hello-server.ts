import Fastify from 'fastify'

// The ceiling: the same framework answering `hello` with nothing else, measured in the same run.
const port = Number(process.argv[2] ?? 3901)
const app = Fastify({ logger: false })
app.get('/', async () => 'hello')
app.listen({ port, host: '127.0.0.1' }).then(() => { process.send?.('ready') }, (err: unknown) => {
  console.error(err)
  process.exit(1)
})
