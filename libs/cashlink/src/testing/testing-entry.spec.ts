import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// The emulator ships in the package's `testing` entry: it may use Node, busboy and its own files,
// never the demo app, the test suite or the library's barrels.
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
      const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1]!);
      for (const specifier of specifiers) {
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
