// Reading a setting that was renamed: the new key wins when the user set it, else the old key
// when they set that, else the default. No vscode import (it takes inspect() results), so it is
// unit-tested in node.

type Inspected<T> = { globalValue?: T; workspaceValue?: T; workspaceFolderValue?: T } | undefined;

/** The value the user set (the most specific scope wins), or undefined when they set none. */
export function userValue<T>(i: Inspected<T>): T | undefined {
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

export function withLegacy<T>(current: Inspected<T>, legacy: Inspected<T>, fallback: T): T {
  return userValue(current) ?? userValue(legacy) ?? fallback;
}
