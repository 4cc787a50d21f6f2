import fs from 'node:fs'
import path from 'node:path'

// The audit trail is append-only because one module owns its table and offers no update or delete.
// This canary fails if any other source file starts touching the table directly.
function sourceFiles (dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('the moderation audit log', () => {
  const root = path.join(__dirname, '..', '..')
  it('is touched only by src/features/moderation/audit.ts', () => {
    const touching = sourceFiles(path.join(root, 'src'))
      .filter((f) => fs.readFileSync(f, 'utf8').includes('moderation_log'))
      .map((f) => path.relative(root, f))
    expect(touching).toEqual([path.join('src', 'features', 'moderation', 'audit.ts')])
  })

  it('offers record and list, nothing that rewrites', () => {
    const audit = fs.readFileSync(path.join(root, 'src', 'features', 'moderation', 'audit.ts'), 'utf8')
    expect(audit).not.toMatch(/\.(update|del|delete|truncate|merge|onConflict)\(/)
  })
})
