/**
 * The code blocks of README.md and docs/ marked `<!-- compiled: test/docs/snippets.e2e-spec.ts -->`
 * type-check with the project's strict compiler settings against the library's public entry, each as a
 * module of its own: what a reader copies compiles.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { codeBlocks, documentationFiles, read, REPO_ROOT, repoPath } from './markdown';

jest.setTimeout(120_000);

const MARKER = 'compiled: test/docs/snippets.e2e-spec.ts';

function compilerOptions(): ts.CompilerOptions {
  const configFile = join(REPO_ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configFile, (path) => ts.sys.readFile(path));
  return ts.parseJsonConfigFileContent(config, ts.sys, REPO_ROOT).options;
}

function typeCheck(files: string[]): string[] {
  const program = ts.createProgram(files, { ...compilerOptions(), noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || files.includes(d.file.fileName))
    .map((d) => {
      const where = d.file
        ? `${repoPath(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

describe('documented code', () => {
  const dir = join(REPO_ROOT, '.tmp', `doc-snippets-${process.pid}`);
  const snippets = documentationFiles().flatMap((file) =>
    codeBlocks(read(file))
      .filter((block) => block.marker === MARKER)
      .map((block) => ({ source: `${repoPath(file)}:${block.line}`, code: block.code })),
  );

  beforeAll(() => mkdirSync(dir, { recursive: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has snippets to compile (the README first app among them)', () => {
    expect(snippets.filter((s) => s.source.startsWith('README.md:')).length).toBeGreaterThanOrEqual(1);
  });

  it('compiles every marked snippet under strict settings', () => {
    const files = snippets.map((snippet, index) => {
      const file = join(dir, `snippet-${index}.ts`);
      writeFileSync(file, `// ${snippet.source}\n${snippet.code}\n`);
      return file;
    });
    expect(typeCheck(files)).toEqual([]);
  });

  it('reports a snippet that does not compile (the check can fail)', () => {
    const file = join(dir, 'broken.ts');
    writeFileSync(
      file,
      "import { CashlinkModule } from 'nestjs-cashlink';\nCashlinkModule.forRoot({ clientId: 1 });\n",
    );
    expect(typeCheck([file]).length).toBeGreaterThan(0);
  });
});
