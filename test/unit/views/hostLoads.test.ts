import * as assert from 'node:assert/strict';
import { HostLoads } from '../../../src/views/hostLoads';

/** Whether `p` has settled after the pending callbacks and timers of `ms` ran. */
async function settledWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setTimeout(r, ms));
  return done;
}

describe('HostLoads', () => {
  it('lets work go at once when no connection is loading', async () => {
    const loads = new HostLoads();
    assert.equal(await settledWithin(loads.idle(10_000), 0), true);
    loads.begin('a');
    loads.end('a');
    assert.equal(loads.has('a'), false);
    assert.equal(await settledWithin(loads.idle(10_000), 0), true);
  });

  it('holds work until the last loading connection ends', async () => {
    const loads = new HostLoads();
    loads.begin('a');
    loads.begin('b');
    loads.begin('b');
    const waiting = loads.idle(10_000);
    loads.end('a');
    assert.equal(loads.has('a'), false);
    assert.equal(loads.has('b'), true);
    assert.equal(await settledWithin(waiting, 20), false, 'b still loads');
    // Ending a connection that is not loading changes nothing.
    loads.end('c');
    assert.equal(await settledWithin(waiting, 20), false);
    loads.end('b');
    assert.equal(await settledWithin(waiting, 0), true);
    assert.equal(loads.has('b'), false);
  });

  it('lets work go after maxMs when a connection takes long', async () => {
    const loads = new HostLoads();
    loads.begin('slow');
    const waiting = loads.idle(30);
    assert.equal(await settledWithin(waiting, 5), false);
    assert.equal(await settledWithin(waiting, 60), true);
    assert.equal(loads.has('slow'), true, 'the slow connection still counts for later work');
  });

  it('lets every waiter go at release(), and later waiters wait again', async () => {
    const loads = new HostLoads();
    loads.begin('a');
    const first = loads.idle(10_000);
    const second = loads.idle(10_000);
    loads.release();
    assert.equal(await settledWithin(Promise.all([first, second]).then(() => undefined), 0), true);
    assert.equal(await settledWithin(loads.idle(10_000), 20), false, 'a still loads');
    loads.end('a');
  });
});
