import { createRequire } from 'node:module';

/**
 * One feature of the caniemail.com data set as the `caniemail` npm package ships it in
 * `caniemail/caniemail.json`.
 */
interface CaniemailFeature {
  slug: string;
  title: string;
  description: string | null;
  url: string;
  category: string;
  tags: string[] | null;
  keywords: string | null;
  /** Support by family, platform and client version: `y`, `n`, `a` (partial) or `u`
   * (unknown), optionally followed by note references such as ` #1`. */
  stats: Record<string, Record<string, Record<string, string>>>;
  notes_by_num: Record<string, string> | null;
}

interface CaniemailData {
  nicenames: { family: Record<string, string>; platform: Record<string, string> };
  data: CaniemailFeature[];
}

export interface HtmlCheckResult {
  Name: string;
  Family: string;
  Platform: string;
  Version: string;
  Support: 'yes' | 'no' | 'partial';
  NoteNumber: string;
}

export interface HtmlCheckScore {
  /** Number of matches in the message. */
  Found: number;
  /** Percentages of the client results. */
  Supported: number;
  Partial: number;
  Unsupported: number;
}

export interface HtmlCheckWarning {
  Slug: string;
  Title: string;
  /** HTML converted from the data set's Markdown. */
  Description: string;
  Category: string;
  Keywords: string;
  Tags: string[];
  URL: string;
  NotesByNumber: Record<string, string>;
  Score: HtmlCheckScore;
  Results: HtmlCheckResult[];
}

const CANIEMAIL_SITE = 'https://www.caniemail.com';

let cached: { features: Map<string, CaniemailFeature>; data: CaniemailData } | undefined;

/** Loads the bundled caniemail.com data once, on the first HTML check (about 650 KB). */
function loadData(): { features: Map<string, CaniemailFeature>; data: CaniemailData } {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    const data = require('caniemail/caniemail.json') as CaniemailData;
    cached = { data, features: new Map(data.data.map((feature) => [feature.slug, feature])) };
  }
  return cached;
}

/** Returns true when the data set has a feature with this slug. */
export function hasFeature(slug: string): boolean {
  return loadData().features.has(slug);
}

let platformsCache: Record<string, string[]> | undefined;

/** Returns every platform of the data set with the sorted display names of its client families. */
export function listPlatforms(): Record<string, string[]> {
  platformsCache ??= collectPlatforms();
  return platformsCache;
}

function collectPlatforms(): Record<string, string[]> {
  const { data } = loadData();
  const platforms = new Map<string, Set<string>>();
  for (const feature of data.data) {
    for (const [family, byPlatform] of Object.entries(feature.stats)) {
      const familyName = data.nicenames.family[family] ?? family;
      for (const platform of Object.keys(byPlatform)) {
        const families = platforms.get(platform) ?? new Set<string>();
        families.add(familyName);
        platforms.set(platform, families);
      }
    }
  }
  return Object.fromEntries(
    [...platforms].map(([platform, families]) => [platform, [...families].sort()]),
  );
}

/**
 * Converts the Markdown used in caniemail.com descriptions and notes (code spans and links,
 * nothing else) to HTML. Links relative to caniemail.com are made absolute.
 */
export function markdownToHtml(markdown: string): string {
  const escaped = markdown
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  return escaped
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_match, text: string, href: string) => {
      const url = href.startsWith('/') ? CANIEMAIL_SITE + href : href;
      return `<a href="${url}" target="_blank">${text}</a>`;
    });
}

/**
 * Maps a caniemail support value to Mailpit's three levels. `y` and `n` keep their meaning
 * even when a note follows. `a` (partial) is partial. Returns null for `u` (unknown).
 *
 * NOTE: Mailpit treats every value other than a bare `y` or `n` as partial, so a client
 * marked "y #1" or "u" counts as partial there and as supported or absent here.
 */
function toSupport(value: string): HtmlCheckResult['Support'] | null {
  switch (value.trim().charAt(0)) {
    case 'y':
      return 'yes';
    case 'n':
      return 'no';
    case 'a':
      return 'partial';
    default:
      return null;
  }
}

function percent(part: number, total: number): number {
  return total === 0 ? 0 : (part / total) * 100;
}

/**
 * Builds the warning of one caniemail feature found `found` times, with a result per client
 * family, platform and version, in the data set's order.
 */
export function buildWarning(slug: string, found: number): HtmlCheckWarning {
  const { data, features } = loadData();
  const feature = features.get(slug);
  if (feature === undefined) throw new Error(`caniemail feature not found: ${slug}`);

  const results: HtmlCheckResult[] = [];
  for (const [family, byPlatform] of Object.entries(feature.stats)) {
    for (const [platform, byVersion] of Object.entries(byPlatform)) {
      for (const [version, value] of Object.entries(byVersion)) {
        const support = toSupport(value);
        if (support === null) continue;
        const familyName = data.nicenames.family[family] ?? family;
        const platformName = data.nicenames.platform[platform] ?? platform;
        results.push({
          Name: `${familyName} ${platformName} (${version})`,
          Family: family,
          Platform: platform,
          Version: version,
          Support: support,
          NoteNumber: /#(\d+)/.exec(value)?.[1] ?? '',
        });
      }
    }
  }

  const count = (support: HtmlCheckResult['Support']): number =>
    results.filter((result) => result.Support === support).length;
  const notes = Object.entries(feature.notes_by_num ?? {}).map(([number, note]) => [
    number,
    markdownToHtml(note),
  ]);
  return {
    Slug: feature.slug,
    Title: feature.title,
    Description: markdownToHtml(feature.description ?? ''),
    Category: feature.category,
    Keywords: feature.keywords ?? '',
    Tags: feature.tags ?? [],
    URL: feature.url,
    NotesByNumber: Object.fromEntries(notes),
    Score: {
      Found: found,
      Supported: percent(count('yes'), results.length),
      Partial: percent(count('partial'), results.length),
      Unsupported: percent(count('no'), results.length),
    },
    Results: results,
  };
}
