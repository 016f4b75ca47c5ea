// SPDX-License-Identifier: Apache-2.0
/** Types of demo/serve.mjs (the loopback server of the demo page and the browser tests). */
export interface DemoServer {
  readonly url: string;
  /** Every path requested so far (tests check that nothing left the loopback host). */
  readonly requests: string[];
  close(): Promise<void>;
}
export function startServer(options?: {
  port?: number;
  isolated?: boolean;
  log?: (message: string) => void;
  /** More folders to serve: { '/prefix/': absolute directory }. */
  mounts?: Readonly<Record<string, string>>;
}): Promise<DemoServer>;
