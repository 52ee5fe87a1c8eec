import { describe, expect, it } from 'vitest';
import { InputError } from '../../contracts/index.js';
import { MIGRATIONS, migrationChecksum, validateMigrations } from './migrations.js';

describe('migrations list', () => {
  it('has increasing versions, unique snake_case names and a down for every up', () => {
    expect(() => validateMigrations(MIGRATIONS)).not.toThrow();
    for (const m of MIGRATIONS) expect(m.down.trim()).not.toBe('');
  });

  it('rejects versions out of order and repeated names, naming the entry', () => {
    const m = { version: 1, name: 'a', up: 'SELECT 1', down: 'SELECT 1' };
    expect(() => validateMigrations([m, { ...m, version: 1, name: 'b' }])).toThrow(/migrations\[1\]: version 1/);
    expect(() => validateMigrations([m, { ...m, version: 2 }])).toThrow(InputError);
  });

  it('checksums the up SQL exactly', () => {
    expect(migrationChecksum({ up: 'SELECT 1' })).toMatch(/^[0-9a-f]{64}$/);
    expect(migrationChecksum({ up: 'SELECT 1' })).not.toBe(migrationChecksum({ up: 'SELECT 1 ' }));
  });
});
