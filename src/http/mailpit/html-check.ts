import {
  buildWarning,
  hasFeature,
  listPlatforms,
  type HtmlCheckWarning,
} from './html-check-data.js';
import { collectFacts, type HtmlFacts } from './html-check-features.js';
import { FEATURE_TESTS } from './html-check-tests.js';

/** Mailpit's HTML check result, built from the caniemail.com data of the `caniemail` package. */
export interface HtmlCheckResponse {
  /** Client family display names by platform, for every platform of the data set. */
  Platforms: Record<string, string[]>;
  Total: {
    /** Element nodes of the message, without `html`, `head` and `meta`. */
    Nodes: number;
    /** Number of feature tests run. */
    Tests: number;
    /** Percentages that add up to 100. */
    Supported: number;
    Partial: number;
    Unsupported: number;
  };
  /** Found features that some client does not fully support, worst first. */
  Warnings: HtmlCheckWarning[];
}

/** Script types that carry data instead of code, which Mailpit leaves out of the `<script>` warning. */
const DATA_SCRIPT_TYPES = new Set(['application/ld+json', 'application/json']);

/** Builds Mailpit's `<script>` warning, which has no caniemail entry and no client results. */
function scriptWarning(facts: HtmlFacts): HtmlCheckWarning | null {
  const found = facts.elements.filter(
    (element) =>
      element.name === 'script' &&
      !DATA_SCRIPT_TYPES.has(element.attributes.type?.trim().toLowerCase() ?? ''),
  ).length;
  if (found === 0) return null;
  return {
    Slug: 'html-script',
    Title: '<script> element',
    Description: 'JavaScript is not supported in any email client.',
    Category: 'html',
    Keywords: '',
    Tags: [],
    URL: '',
    NotesByNumber: {},
    Score: { Found: found, Supported: 0, Partial: 0, Unsupported: 100 },
    Results: [],
  };
}

/** Returns the share of the message that a warning's score affects, as a factor up to 1. */
function weight(warning: HtmlCheckWarning, nodes: number): number {
  return nodes === 0 ? 1 : Math.min(1, warning.Score.Found / nodes);
}

/**
 * Computes the totals as Mailpit does: Unsupported and Partial are each the worst weighted
 * score of a single warning, where the weight is the feature's matches per element node, and
 * Supported is the rest.
 *
 * NOTE: Mailpit does not cap the weight or the sum, so its totals can leave 0–100 when a
 * feature is found more often than there are nodes. Here both are capped so the three
 * percentages always add up to 100.
 */
function computeTotals(
  warnings: HtmlCheckWarning[],
  nodes: number,
): { Supported: number; Partial: number; Unsupported: number } {
  let partial = 0;
  let unsupported = 0;
  for (const warning of warnings) {
    partial = Math.max(partial, warning.Score.Partial * weight(warning, nodes));
    unsupported = Math.max(unsupported, warning.Score.Unsupported * weight(warning, nodes));
  }
  unsupported = Math.min(100, unsupported);
  partial = Math.min(100 - unsupported, partial);
  return { Supported: 100 - partial - unsupported, Partial: partial, Unsupported: unsupported };
}

/**
 * Checks a message's HTML body against the caniemail.com data: finds the HTML elements,
 * attributes, image formats and CSS features that it uses and reports how email clients
 * support each one. Features that every listed client supports are counted in Tests but
 * reported with no warning.
 */
export function checkHtml(html: string): HtmlCheckResponse {
  const { facts, nodes } = collectFacts(html);
  const tests = FEATURE_TESTS.filter((test) => hasFeature(test.slug));

  const warnings: HtmlCheckWarning[] = [];
  const script = scriptWarning(facts);
  if (script !== null) warnings.push(script);
  for (const test of tests) {
    const found = test.count(facts);
    if (found === 0) continue;
    const warning = buildWarning(test.slug, found);
    if (warning.Score.Supported < 100) warnings.push(warning);
  }

  const severity = (warning: HtmlCheckWarning): number =>
    (warning.Score.Unsupported + warning.Score.Partial) * weight(warning, nodes);
  warnings.sort((a, b) => severity(b) - severity(a) || a.Slug.localeCompare(b.Slug));

  return {
    Platforms: listPlatforms(),
    Total: { Nodes: nodes, Tests: tests.length + 1, ...computeTotals(warnings, nodes) },
    Warnings: warnings,
  };
}
