/**
 * sweepsApi.ts mirrors the server's sweep options field for field: the
 * compiler holds the names below to the TypeScript interface (npm test type-
 * checks the tests), and this test holds them to the Python dataclass.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { SweepOptions } from '../src/sweepsApi';

// A key missing here, or one SweepOptions lacks, is a compile error.
const TS_OPTIONS: Record<keyof SweepOptions, true> = {
  workers: true,
  executor: true,
  timeout: true,
  retries: true,
  kernel: true,
  force: true,
  allow_unknown: true,
  experiment: true,
  cold: true,
  preload: true
};

/** The field names of `class SweepOptions` in workbench/entities.py, in order. */
function pythonOptionNames(): string[] {
  const path = fileURLToPath(
    new URL('../../workbench/entities.py', import.meta.url)
  );
  const source = readFileSync(path, 'utf-8');
  const body = /^class SweepOptions\b.*\n((?:(?: {4}.*)?\n)+)/m.exec(source);
  if (!body) {
    throw new Error(`no class SweepOptions in ${path}`);
  }
  return [...body[1].matchAll(/^ {4}(\w+): /gm)].map(match => match[1]);
}

describe('SweepOptions', () => {
  it('has the fields of workbench.entities.SweepOptions', () => {
    const python = pythonOptionNames();
    expect(python.length).toBeGreaterThan(0);
    expect(Object.keys(TS_OPTIONS)).toEqual(python);
  });
});
