/**
 * The layering of luntan, checked by `npm run lint` (dependency-cruiser). Each rule is an arrow the
 * architecture forbids (docs/architecture.md draws the allowed ones):
 *
 *   app.ts, server.ts, scripts/  →  features/<x>/index.ts  →  plugins/  →  lib/
 *                                         ↘ db/, config.ts ↙
 *
 * lib/ is pure (no Fastify, nothing of ours above it); plugins/ are cross-cutting and know no feature;
 * a feature meets another only through that feature's index.ts (its plugin and service types);
 * migrations never import app code (they must run the same in ten years); no cycles anywhere.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and hides which module owns what.',
      from: {},
      to: { circular: true }
    },
    {
      name: 'lib-is-pure',
      severity: 'error',
      comment: 'src/lib/ holds pure helpers: no Fastify, and nothing from the layers above it. ' +
        '@fastify/proxy-addr is let through: a framework-free port of proxy-addr (no Fastify inside), the ' +
        'trust function lib/trust-proxy.ts compiles for both Fastify and the front door.',
      from: { path: '^src/lib/' },
      to: { path: ['^src/(plugins|features|db|cli|seeds)/', '^src/(app|server)\\.ts$', '^scripts/', 'node_modules/(fastify|fastify-plugin)/', 'node_modules/@fastify/(?!proxy-addr/)'] }
    },
    {
      name: 'plugins-know-no-feature',
      severity: 'error',
      comment: 'Cross-cutting plugins are used by features, never the other way round.',
      from: { path: '^src/plugins/' },
      to: { path: ['^src/features/', '^src/seeds/'] }
    },
    {
      name: 'db-knows-no-feature',
      severity: 'error',
      comment: 'src/db/ is the database layer (connections, bulk helpers): features use it, not the reverse.',
      from: { path: '^src/db/' },
      to: { path: ['^src/features/', '^src/plugins/', '^src/seeds/'] }
    },
    {
      name: 'features-meet-through-index',
      severity: 'error',
      comment: 'A feature uses another feature only through its index.ts (its public face), never its repository, service or routes.',
      from: { path: '^src/features/([^/]+)/' },
      to: { path: '^src/features/([^/]+)/', pathNot: ['^src/features/$1/', '^src/features/[^/]+/index\\.ts$'] }
    },
    {
      name: 'migrations-stand-alone',
      severity: 'error',
      comment: 'A migration must keep working whatever the app code becomes.',
      from: { path: '^migrations/' },
      to: { path: ['^src/', '^scripts/'] }
    },
    {
      name: 'nothing-imports-scripts',
      severity: 'error',
      comment: 'scripts/ are entry points (CLI, bench): app code never imports them.',
      from: { path: '^(src|migrations)/' },
      to: { path: '^scripts/' }
    },
    {
      name: 'nothing-imports-tests',
      severity: 'error',
      from: { path: '^(src|scripts|migrations)/' },
      to: { path: '^test/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(data|coverage|static|views)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] }
  }
}
