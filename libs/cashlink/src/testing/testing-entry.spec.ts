import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// The emulator ships in the package's `testing` entry: at run time it may use Node, busboy and its own
// files, never the demo app, the test suite or the library's barrels. Type-only imports of the library's
// wire types are allowed: they vanish at run time, and keep the examples typed as the services' inputs.
describe('nestjs-cashlink/testing dependencies', () => {
  const root = __dirname;
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? files(join(dir, entry.name))
        : entry.name.endsWith('.ts')
          ? [join(dir, entry.name)]
          : [],
    );
  const sources = files(root).filter((file) => !file.endsWith('.spec.ts'));

  it.each(sources.map((file) => [relative(root, file), file]))(
    '%s imports only allowed modules',
    (_name, file) => {
      const text = readFileSync(file, 'utf8');
      const imports = [...text.matchAll(/(import type|import|export)[^'"]*?from\s+'([^']+)'/g)];
      for (const [, kind, specifier = ''] of imports) {
        if (kind === 'import type' && /^\.\.\/\.\.\/resources\/[\w-]+\.types$/.test(specifier)) continue;
        if (specifier.startsWith('.')) {
          const target = resolve(file, '..', specifier);
          expect(relative(root, target).startsWith('..')).toBe(false);
        } else {
          expect(specifier).toMatch(/^(node:[a-z/_]+|busboy)$/);
        }
      }
    },
  );
});
