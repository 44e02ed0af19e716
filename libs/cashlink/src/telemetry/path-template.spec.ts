import { pathTemplate } from './cashlink-telemetry';

describe('pathTemplate', () => {
  it.each([
    ['/v2/investors/', '/v2/investors/'],
    ['/v2/investors/4f1c-9a/', '/v2/investors/{id}/'],
    ['/v2/investors/4f1c-9a/documents/', '/v2/investors/{id}/documents/'],
    ['/v2/investments/abc/documents/def', '/v2/investments/{id}/documents/{id}'],
    ['/', '/'],
    ['', ''],
    ['/v2//x/', '/v2//{id}/'],
    ['/jane.doe%40example.com/', '/{id}/'],
  ])('%s → %s', (path, template) => {
    expect(pathTemplate(path)).toBe(template);
  });
});
