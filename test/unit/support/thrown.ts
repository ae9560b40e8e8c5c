import type { UtklarError } from '../../../services/core/errors.ts';

/** The error `f` throws; fails the test when it throws none. */
export const thrown = (f: () => unknown): UtklarError => {
  try {
    f();
  } catch (e) {
    return e as UtklarError;
  }
  throw new Error('expected an error');
};
