import bcrypt from 'bcrypt'

export async function hashPassword (password: string, cost: number): Promise<string> {
  return await bcrypt.hash(password, cost)
}

export async function verifyPassword (password: string, hash: string): Promise<boolean> {
  if (!hash.startsWith('$2')) return false
  return await bcrypt.compare(password, hash)
}
