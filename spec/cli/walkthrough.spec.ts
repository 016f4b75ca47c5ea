// SPDX-License-Identifier: Apache-2.0
/** docs/walkthrough.md cannot drift: it must equal what its generator (running the real commands) produces now. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderWalkthrough } from '../../src/cli/walkthrough.js';
import { HAVE_SHARED, REPO_ROOT } from '../helpers/shared.js';

describe.skipIf(!HAVE_SHARED)('docs/walkthrough.md', () => {
  it('equals the generator\'s output (regenerate with `npm run docs:walkthrough`)', async () => {
    const committed = readFileSync(join(REPO_ROOT, 'docs', 'walkthrough.md'), 'utf8');
    const generated = await renderWalkthrough();
    if (generated !== committed) {
      const a = committed.split('\n'), b = generated.split('\n');
      const i = a.findIndex((line, k) => line !== b[k]);
      expect.fail(`docs/walkthrough.md is stale at line ${i + 1}:\n  committed: ${a[i]}\n  generated: ${b[i]}\nrun \`npm run docs:walkthrough\``);
    }
    // The paper's numbers the text quotes are the ones the commands print.
    expect(generated).toContain('total params 3,504,872');
    expect(generated).toContain('total MAdds  300,774,272');
    expect(generated).toContain('= h·w·d′·t(d′ + k² + d″) = 25,740,288 (paper §3.3)');
    expect(generated).toMatch(/total params 4,337,013 \(4\.337 M/); // Table 6: 4.3M
    expect(generated).toMatch(/total params 2,113,557 \(2\.114 M/); // Table 7: 2.11M
    expect(generated).toMatch(/total MAdds {2}2,740,709,056/); // Table 7: 2.75B
  });
});
