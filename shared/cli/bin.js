#!/usr/bin/env node
// The dialtone CLI. TypeScript runs directly through tsx, so a checkout needs no build step.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./main.ts')
  .main(process.argv)
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
