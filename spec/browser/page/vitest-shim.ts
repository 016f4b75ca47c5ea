// SPDX-License-Identifier: Apache-2.0
/**
 * The slice of vitest's API that spec helpers reused inside the browser page call
 * (spec/backend/support.ts: expect(…).toBe, expect.fail; beforeAll/afterAll, unused there):
 * a failed assertion throws, and the page reports the message to the Node side.
 */
function fail(message: string): never {
  throw new Error(message);
}
export function expect(actual: unknown, label = ''): { toBe(expected: unknown): void } {
  return {
    toBe(expected: unknown) {
      if (!Object.is(actual, expected)) fail(`${label}: expected ${String(expected)}, got ${String(actual)}`);
    },
  };
}
expect.fail = fail;
export function beforeAll(): void {}
export function afterAll(): void {}
