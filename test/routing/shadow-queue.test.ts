/**
 * The shadow queue is bounded: at most `concurrency` jobs run, at most `maxQueue` wait,
 * the rest are refused; jobs never start in the caller's turn of the event loop.
 */
import { describe, expect, test } from 'vitest';
import { ShadowQueue } from '../../src/routing/shadow-queue.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('ShadowQueue', () => {
  test('runs at most `concurrency` jobs, queues `maxQueue`, drops the rest; all accepted jobs finish', async () => {
    const queue = new ShadowQueue(2, 1);
    const release = gate();
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    const job = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await release.opened;
      running--;
      done++;
    };
    const accepted = Array.from({ length: 6 }, () => queue.offer(job));
    expect(accepted).toEqual([true, true, true, false, false, false]);
    expect(queue.inFlight).toBe(1);
    expect(queue.queued).toBe(2);
    release.open();
    while (queue.inFlight > 0) await new Promise((r) => setTimeout(r, 1));
    expect(done).toBe(3);
    expect(maxRunning).toBe(1);
    expect(queue.queued).toBe(0);
  });

  test('a job starts after the current turn (the primary response is written first)', async () => {
    const queue = new ShadowQueue(10, 4);
    const order: string[] = [];
    queue.offer(async () => void order.push('shadow'));
    order.push('primary');
    await Promise.resolve();
    order.push('primary continuation');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['primary', 'primary continuation', 'shadow']);
  });

  test('a failing job frees its slot for the next one', async () => {
    const queue = new ShadowQueue(5, 1);
    let ran = 0;
    queue.offer(async () => {
      throw new Error('shadow broke');
    });
    queue.offer(async () => void ran++);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toBe(1);
    expect(queue.inFlight).toBe(0);
  });

  test('closing drops the waiting jobs and waits for the running ones', async () => {
    const queue = new ShadowQueue(5, 1);
    const release = gate();
    let done = 0;
    const job = async () => {
      await release.opened;
      done++;
    };
    queue.offer(job);
    queue.offer(job);
    await new Promise((r) => setImmediate(r));
    const closed = queue.close();
    release.open();
    await closed;
    expect(done).toBe(1);
  });

  test('max_queue 0 still runs `concurrency` jobs at once, and a closed queue takes none', async () => {
    const queue = new ShadowQueue(0, 2);
    const release = gate();
    expect([queue.offer(() => release.opened), queue.offer(() => release.opened), queue.offer(() => release.opened)]).toEqual([true, true, false]);
    release.open();
    await queue.close();
    expect(queue.offer(async () => undefined)).toBe(false);
  });
});
