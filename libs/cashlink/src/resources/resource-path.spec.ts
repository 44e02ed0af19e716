import { idSegment } from './resource-path';

describe('idSegment', () => {
  it('percent-encodes an id into one segment', () => {
    expect(idSegment('a/b?c#d', 'investor id')).toBe('a%2Fb%3Fc%23d');
    expect(idSegment('...', 'investor id')).toBe('...');
    expect(idSegment('.a', 'investor id')).toBe('.a');
  });

  it.each(['', '  ', '.', '..'])('refuses %j with a TypeError naming the argument', (id) => {
    expect(() => idSegment(id, 'investor id')).toThrow(TypeError);
    expect(() => idSegment(id, 'investor id')).toThrow(/^investor id must/);
  });
});
