// `npm run build`: bundle the browser code in assets/ (with bpmn-js from node_modules) into
// app/web/static/dist/ — case_diagram.js and case_diagram.css — for Flask to serve as static files.
import { build } from 'esbuild';

await build({
  entryPoints: { case_diagram: 'assets/case_diagram.js' },
  outdir: 'app/web/static/dist',
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  legalComments: 'eof',
  logLevel: 'warning'
});
