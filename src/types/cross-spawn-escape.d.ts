// cross-spawn's own escaper for cmd.exe (the part of cross-spawn we use on Windows); it has no types.
declare module 'cross-spawn/lib/util/escape.js' {
  const escape: {
    /** A program path for a cmd.exe command line: metacharacters caret-escaped. */
    command(arg: string): string;
    /** One argument, quoted for the program's argv parser, then caret-escaped once (twice for a batch file that passes it on). */
    argument(arg: string, doubleEscapeMetaChars?: boolean): string;
  };
  export = escape;
}
