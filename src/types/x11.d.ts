// The x11 package ships no types; desktopd wraps it in src/desktop/builtin/x11.ts.
declare module "x11" {
  const x11: any;
  export default x11;
}
