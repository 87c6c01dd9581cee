import { describe, expect, it } from 'vitest';
import { createRedactor, NO_REDACTION } from './redaction.ts';

describe('createRedactor', () => {
  const redactor = createRedactor({
    API_TOKEN: 's3cr3t-value',
    MULTI: 'line-one-xyz\nline-two-xyz',
    QUOTE: 'a"b\\c-quoted',
  });

  it('blanks a value wherever it appears, naming the variable', () => {
    expect(redactor.redact('token=s3cr3t-value; again s3cr3t-value')).toBe(
      'token=[redacted:API_TOKEN]; again [redacted:API_TOKEN]',
    );
  });

  it('blanks the JSON-escaped, URL-encoded and base64 forms and each line of a multi-line value', () => {
    expect(redactor.redact(JSON.stringify({ v: 'a"b\\c-quoted' }))).toBe('{"v":"[redacted:QUOTE]"}');
    expect(redactor.redact(`q=${encodeURIComponent('a"b\\c-quoted')}`)).toBe('q=[redacted:QUOTE]');
    expect(redactor.redact(Buffer.from('s3cr3t-value').toString('base64'))).toContain('[redacted:API_TOKEN]');
    expect(redactor.redact('> line-two-xyz <')).toBe('> [redacted:MULTI] <');
  });

  it('redacts deeply: strings, keys and error messages inside objects and arrays', () => {
    const value = { output: ['ok', 's3cr3t-value'], nested: { 's3cr3t-value': 1, n: 2, flag: true } };
    expect(redactor.redactDeep(value)).toEqual({
      output: ['ok', '[redacted:API_TOKEN]'],
      nested: { '[redacted:API_TOKEN]': 1, n: 2, flag: true },
    });
    expect((redactor.redactDeep(new Error('bad s3cr3t-value')) as Error).message).toBe(
      'bad [redacted:API_TOKEN]',
    );
  });

  it('is the identity without secrets, and ignores pieces too short to redact safely', () => {
    expect(createRedactor({})).toBe(NO_REDACTION);
    expect(createRedactor({ TINY: 'ab' }).redact('ab cab')).toBe('ab cab');
    expect(NO_REDACTION.redactDeep({ a: 1 })).toEqual({ a: 1 });
  });
});
