#!/usr/bin/env node
// feedsift's entry point. The sources are TypeScript run by Node's type stripping,
// which needs Node >= 24 (pinned in devDependencies: `npm run feedsift -- …` uses it).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `feedsift needs Node.js 24 or newer (this is ${process.version}).\n` +
      'Run it through npm so the pinned Node is used: `npm run feedsift -- <command>`, or `npx feedsift <command>`.\n',
  );
  process.exit(1);
}
const { main } = await import('./main.ts');
main(process.argv).catch((err) => {
  process.stderr.write(`feedsift: ${err?.message ?? err}\n`);
  process.exit(1);
});
