#!/usr/bin/env node
// The `viber` command. OpenViber's sources are TypeScript run directly by Node's type stripping,
// which needs Node >= 22.18 (the project pins Node 24 through the `node` devDependency).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `viber: Node.js ${process.versions.node} is too old; OpenViber needs Node 24 (>= 22.18).\n` +
      'Run it through npm (`npm start`, `npm run viber -- ...`), which uses the Node 24 installed by `npm install`.',
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
