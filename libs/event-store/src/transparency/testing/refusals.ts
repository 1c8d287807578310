import { TransparencyError, type TransparencyErrorCode } from '../errors.js';

/** The TransparencyError a call throws, or undefined when it returns; any other error is rethrown. */
function refusalOf(run: () => unknown): TransparencyError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof TransparencyError) return error;
    throw error;
  }
}

export const codeOf = (run: () => unknown): TransparencyErrorCode | undefined => refusalOf(run)?.code;
export const messageOf = (run: () => unknown): string | undefined => refusalOf(run)?.message;
