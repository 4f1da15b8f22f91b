/** Stylesheets imported for their effect: esbuild bundles them into app.css beside app.js. */
declare module "*.css";
