// `npm run build`: bundle the browser code in assets/ (with bpmn-js from node_modules) into
// app/web/static/dist/ for Flask to serve as static files:
//   case_diagram.js/.css  the case diagram (bpmn-js viewer) on task and case pages
//   modeler.js/.css       the process owners' modeler (bpmn-js Modeler, our properties panel,
//                         dmn-js decision-table editor for the .dmn files)
//   model_diff.js/.css    two versions of a process compared (bpmn-js viewer)
// The modeler's icon fonts (bpmn-font, dmn-font) are emitted as files next to the CSS: the CSP allows fonts
// from 'self' only, so the font is never inlined as a data: URL.
// LVYUE_ASSETS_DEBUG=1 npm run build: the same bundles unminified (readable stack traces).
import { build } from 'esbuild';

await build({
  entryPoints: {
    case_diagram: 'assets/case_diagram.js',
    modeler: 'assets/modeler.js',
    model_diff: 'assets/model_diff.js'
  },
  outdir: 'app/web/static/dist',
  bundle: true,
  minify: !process.env.LVYUE_ASSETS_DEBUG,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  // dmn.css asks for its fonts with a cache-busting query (dmn.woff2?17170957): the file loader
  // sees the path without it
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: 'fonts/[name]-[hash]',
  legalComments: 'eof',
  logLevel: 'warning'
});
