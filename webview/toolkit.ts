// The only file that knows about @vscode/webview-ui-toolkit: it registers the custom elements the
// panel's HTML uses (vscode-button, vscode-dropdown/vscode-option, vscode-text-area, vscode-badge,
// vscode-divider). Swapping the toolkit means changing this file and the tag names in render.ts.
import {
  provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeDivider, vsCodeDropdown, vsCodeOption, vsCodeTextArea,
} from '@vscode/webview-ui-toolkit';

export function registerToolkit(): void {
  provideVSCodeDesignSystem().register(
    vsCodeBadge(), vsCodeButton(), vsCodeDivider(), vsCodeDropdown(), vsCodeOption(), vsCodeTextArea(),
  );
}

/** A toolkit form control as the panel uses it (value in, value out, focus). */
export interface FieldElement extends HTMLElement { value: string; disabled: boolean }
