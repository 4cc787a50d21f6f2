import { Slots } from '../../src/lib/slots'

const tick = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

describe('Slots: a few at once, the rest waiting their turn for a while', () => {
  it('gives the free slots at once and the next one to the first in line', async () => {
    const slots = new Slots(2, 10, 1000)
    expect(await slots.take()).toBe(true)
    expect(await slots.take()).toBe(true)
    const order: string[] = []
    const third = slots.take().then((got) => { order.push(`third ${String(got)}`) })
    const fourth = slots.take().then((got) => { order.push(`fourth ${String(got)}`) })
    await tick(5)
    expect(slots.usage).toEqual({ held: 2, waiting: 2 })
    slots.release()
    await third
    expect(order).toEqual(['third true'])
    slots.release()
    await fourth
    expect(order).toEqual(['third true', 'fourth true'])
    slots.release()
    slots.release()
    expect(slots.usage).toEqual({ held: 0, waiting: 0 })
  })

  it('turns a waiter away after its time, and leaves the line', async () => {
    const slots = new Slots(1, 10, 30)
    expect(await slots.take()).toBe(true)
    const started = Date.now()
    expect(await slots.take()).toBe(false)
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
    expect(slots.usage).toEqual({ held: 1, waiting: 0 })
    // The slot given back is free again, not handed to the waiter that left.
    slots.release()
    expect(slots.usage).toEqual({ held: 0, waiting: 0 })
  })

  it('turns a caller away at once when the line is full, or when it may not wait', async () => {
    const full = new Slots(1, 1, 1000)
    await full.take()
    const waiting = full.take()
    expect(await full.take()).toBe(false)
    full.release()
    expect(await waiting).toBe(true)
    const noWait = new Slots(1, 10, 0)
    await noWait.take()
    expect(await noWait.take()).toBe(false)
  })
})
