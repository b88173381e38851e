import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { BrowserWindow, Rectangle } from 'electron';

/** Smallest window size, in pixels; the same limit applies to remembered bounds. */
export const MIN_WINDOW_SIZE = { width: 720, height: 480 };

/** Window bounds and maximized state as remembered between runs. */
export interface WindowState {
  /** Position of the window; absent when it would be off every display. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

/**
 * Reads the remembered window state from `file`. Returns null when the file is missing
 * or invalid. Drops the position when the window would not overlap any of `workAreas`
 * (a display that was unplugged), so the system places it instead.
 */
export function loadWindowState(file: string, workAreas: Rectangle[]): WindowState | null {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  const state = value as Partial<Record<keyof WindowState, unknown>>;
  const { width, height } = state;
  if (!isSize(width, MIN_WINDOW_SIZE.width) || !isSize(height, MIN_WINDOW_SIZE.height)) {
    return null;
  }

  const result: WindowState = { width, height, maximized: state.maximized === true };
  const { x, y } = state;
  if (Number.isInteger(x) && Number.isInteger(y)) {
    const bounds = { x: x as number, y: y as number, width, height };
    if (workAreas.some((area) => overlaps(bounds, area))) {
      result.x = bounds.x;
      result.y = bounds.y;
    }
  }
  return result;
}

/** Writes the state to `file` through a temporary file, so a crash leaves no half file. */
export function saveWindowState(file: string, state: WindowState): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, file);
}

/** Returns the state to remember: the bounds the window has when not maximized. */
export function windowStateOf(window: BrowserWindow): WindowState {
  const bounds = window.getNormalBounds();
  return { ...bounds, maximized: window.isMaximized() };
}

function isSize(value: unknown, minimum: number): value is number {
  return Number.isInteger(value) && (value as number) >= minimum && (value as number) <= 100_000;
}

function overlaps(a: Rectangle, b: Rectangle): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
