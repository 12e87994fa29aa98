/** The one way tests take hold of an error: the error a call throws, or a promise rejects with. */
import { expect } from 'vitest';

/** The error `f` throws, as `T`; fails the test when it returns. */
export function caught<T = Error>(f: () => unknown): T {
  try {
    f();
  } catch (e) {
    return e as T;
  }
  return expect.unreachable('expected an error, but the call returned');
}

/** The error `p` rejects with, as `T`; fails the test when it resolves. */
export async function rejection<T = Error>(p: Promise<unknown> | (() => Promise<unknown>)): Promise<T> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as T;
  }
  return expect.unreachable('expected a rejection, but the promise resolved');
}

/** The error `f` throws, as `T`, or null when it returns: for helpers that list problems, none included. */
export function thrownOrNull<T = Error>(f: () => unknown): T | null {
  try {
    f();
  } catch (e) {
    return e as T;
  }
  return null;
}
