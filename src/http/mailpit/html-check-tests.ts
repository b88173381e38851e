import type { HtmlFacts } from './html-check-features.js';

/** A detector for one caniemail.com feature: returns how often the message uses it. */
export interface FeatureTest {
  slug: string;
  count: (facts: HtmlFacts) => number;
}

type Attributes = Record<string, string>;

function elements(...names: string[]): (facts: HtmlFacts) => number {
  const accepted = new Set(names);
  return (facts) => facts.elements.filter((element) => accepted.has(element.name)).length;
}

function elementsWhere(
  match: (name: string, attributes: Attributes) => boolean,
): (facts: HtmlFacts) => number {
  return (facts) =>
    facts.elements.filter((element) => match(element.name, element.attributes)).length;
}

function attribute(name: string): (facts: HtmlFacts) => number {
  return elementsWhere((_tag, attributes) => name in attributes);
}

function inputType(tag: string, type: string): (facts: HtmlFacts) => number {
  return elementsWhere(
    (name, attributes) => name === tag && attributes.type?.trim().toLowerCase() === type,
  );
}

function properties(...names: string[]): (facts: HtmlFacts) => number {
  const accepted = new Set(names);
  return (facts) =>
    facts.declarations.filter((declaration) => accepted.has(declaration.property)).length;
}

function propertyMatching(pattern: RegExp): (facts: HtmlFacts) => number {
  return (facts) =>
    facts.declarations.filter((declaration) => pattern.test(declaration.property)).length;
}

/** Counts declarations of `property` whose whole value matches `value`. */
function propertyValue(property: string, value: RegExp): (facts: HtmlFacts) => number {
  return (facts) =>
    facts.declarations.filter(
      (declaration) => declaration.property === property && value.test(declaration.value.trim()),
    ).length;
}

/** Counts the occurrences of `pattern` (a global regular expression) in declaration values. */
function values(pattern: RegExp): (facts: HtmlFacts) => number {
  return (facts) =>
    facts.declarations.reduce(
      (total, declaration) => total + (declaration.value.match(pattern)?.length ?? 0),
      0,
    );
}

/** Counts CSS length units, for example `12px`, `1.5em` or `.5rem`. */
function unit(name: string): (facts: HtmlFacts) => number {
  return values(new RegExp(`(?:\\d|\\.\\d)${name === '%' ? '%' : `${name}\\b`}`, 'gi'));
}

function atRules(name: string, params?: RegExp): (facts: HtmlFacts) => number {
  return (facts) =>
    facts.atRules.filter(
      (atRule) => atRule.name === name && (params === undefined || params.test(atRule.params)),
    ).length;
}

/** Counts the selectors that match `pattern`, after quoted strings and attribute selectors are
 * blanked so their contents cannot match. */
function selectors(pattern: RegExp): (facts: HtmlFacts) => number {
  return (facts) =>
    facts.selectors.filter((selector) =>
      pattern.test(selector.replace(/"[^"]*"|'[^']*'/g, '""').replace(/\[[^\]]*\]/g, '[]')),
    ).length;
}

function pseudoClass(name: string): (facts: HtmlFacts) => number {
  return selectors(new RegExp(`(?<!:):${name}(?![\\w-])`, 'i'));
}

function pseudoElement(name: string): (facts: HtmlFacts) => number {
  return selectors(new RegExp(`::?${name}(?![\\w-])`, 'i'));
}

/** Counts `<img>` elements whose `src` matches `pattern`. */
function imageSource(pattern: RegExp): (facts: HtmlFacts) => number {
  return elementsWhere((name, attributes) => name === 'img' && pattern.test(attributes.src ?? ''));
}

function imageExtension(...extensions: string[]): (facts: HtmlFacts) => number {
  return imageSource(new RegExp(`\\.(?:${extensions.join('|')})(?:[?#].*)?$`, 'i'));
}

/** Runs every detector and adds the counts up. */
function any(...tests: ((facts: HtmlFacts) => number)[]): (facts: HtmlFacts) => number {
  return (facts) => tests.reduce((total, test) => total + test(facts), 0);
}

const htmlTests: FeatureTest[] = [
  { slug: 'html-abbr', count: elements('abbr') },
  { slug: 'html-acronym', count: elements('acronym') },
  { slug: 'html-address', count: elements('address') },
  { slug: 'html-align', count: attribute('align') },
  {
    slug: 'html-anchor-links',
    count: elementsWhere((n, a) => n === 'a' && /^#/.test(a.href ?? '')),
  },
  { slug: 'html-aria-describedby', count: attribute('aria-describedby') },
  { slug: 'html-aria-hidden', count: attribute('aria-hidden') },
  { slug: 'html-aria-label', count: attribute('aria-label') },
  { slug: 'html-aria-labelledby', count: attribute('aria-labelledby') },
  { slug: 'html-aria-live', count: attribute('aria-live') },
  { slug: 'html-audio', count: elements('audio') },
  { slug: 'html-background', count: attribute('background') },
  { slug: 'html-base', count: elements('base') },
  { slug: 'html-bdi', count: elements('bdi') },
  { slug: 'html-blockquote', count: elements('blockquote') },
  { slug: 'html-body', count: elements('body') },
  { slug: 'html-button-reset', count: inputType('button', 'reset') },
  { slug: 'html-button-submit', count: inputType('button', 'submit') },
  { slug: 'html-cellpadding', count: attribute('cellpadding') },
  { slug: 'html-cellspacing', count: attribute('cellspacing') },
  { slug: 'html-code', count: elements('code') },
  { slug: 'html-comments', count: (facts) => facts.htmlComments },
  { slug: 'html-del', count: elements('del') },
  { slug: 'html-dfn', count: elements('dfn') },
  { slug: 'html-dialog', count: elements('dialog') },
  { slug: 'html-dir', count: attribute('dir') },
  { slug: 'html-div', count: elements('div') },
  { slug: 'html-doctype', count: (facts) => facts.doctypes },
  { slug: 'html-form', count: elements('form') },
  { slug: 'html-h1-h6', count: elements('h1', 'h2', 'h3', 'h4', 'h5', 'h6') },
  { slug: 'html-height', count: attribute('height') },
  { slug: 'html-hidden', count: attribute('hidden') },
  { slug: 'html-hr', count: elements('hr') },
  { slug: 'html-image-maps', count: any(elements('map'), attribute('usemap')) },
  { slug: 'html-img', count: elements('img') },
  { slug: 'html-input-checkbox', count: inputType('input', 'checkbox') },
  { slug: 'html-input-hidden', count: inputType('input', 'hidden') },
  { slug: 'html-input-radio', count: inputType('input', 'radio') },
  { slug: 'html-input-reset', count: inputType('input', 'reset') },
  { slug: 'html-input-submit', count: inputType('input', 'submit') },
  { slug: 'html-input-text', count: inputType('input', 'text') },
  { slug: 'html-lang', count: attribute('lang') },
  { slug: 'html-link', count: elements('link') },
  { slug: 'html-lists', count: elements('ul', 'ol', 'dl') },
  { slug: 'html-loading-attribute', count: attribute('loading') },
  {
    slug: 'html-mailto-links',
    count: elementsWhere((n, a) => n === 'a' && /^mailto:/i.test(a.href?.trim() ?? '')),
  },
  { slug: 'html-marquee', count: elements('marquee') },
  {
    slug: 'html-meta-color-scheme',
    count: elementsWhere(
      (n, a) => n === 'meta' && /^(?:supported-)?color-schemes?$/i.test(a.name ?? ''),
    ),
  },
  { slug: 'html-meter', count: elements('meter') },
  { slug: 'html-object', count: elements('object') },
  { slug: 'html-p', count: elements('p') },
  { slug: 'html-picture', count: elements('picture') },
  { slug: 'html-popover', count: attribute('popover') },
  { slug: 'html-pre', count: elements('pre') },
  { slug: 'html-progress', count: elements('progress') },
  { slug: 'html-required', count: attribute('required') },
  { slug: 'html-role', count: attribute('role') },
  { slug: 'html-rp', count: elements('rp') },
  { slug: 'html-rt', count: elements('rt') },
  { slug: 'html-ruby', count: elements('ruby') },
  { slug: 'html-select', count: elements('select') },
  {
    slug: 'html-semantics',
    count: elements(
      'article',
      'aside',
      'details',
      'figcaption',
      'figure',
      'footer',
      'header',
      'main',
      'mark',
      'nav',
      'section',
      'summary',
      'time',
    ),
  },
  { slug: 'html-small', count: elements('small') },
  { slug: 'html-span', count: elements('span') },
  { slug: 'html-srcset', count: attribute('srcset') },
  { slug: 'html-strike', count: elements('strike') },
  { slug: 'html-strong', count: elements('strong') },
  { slug: 'html-style', count: elements('style') },
  { slug: 'html-svg', count: elements('svg') },
  { slug: 'html-table', count: elements('table') },
  { slug: 'html-target', count: attribute('target') },
  { slug: 'html-textarea', count: elements('textarea') },
  { slug: 'html-valign', count: attribute('valign') },
  { slug: 'html-video', count: elements('video') },
  { slug: 'html-wbr', count: elements('wbr') },
  { slug: 'html-width', count: attribute('width') },
];

const imageTests: FeatureTest[] = [
  { slug: 'image-apng', count: imageExtension('apng') },
  { slug: 'image-avif', count: imageExtension('avif') },
  { slug: 'image-base64', count: imageSource(/^\s*data:image\//i) },
  { slug: 'image-bmp', count: imageExtension('bmp') },
  { slug: 'image-gif', count: imageExtension('gif') },
  { slug: 'image-hdr', count: imageExtension('hdr') },
  { slug: 'image-heif', count: imageExtension('heif', 'heic') },
  { slug: 'image-ico', count: imageExtension('ico') },
  { slug: 'image-jpg', count: imageExtension('jpe?g') },
  { slug: 'image-mp4', count: imageExtension('mp4') },
  { slug: 'image-png', count: imageExtension('png') },
  { slug: 'image-svg', count: imageExtension('svg') },
  { slug: 'image-tiff', count: imageExtension('tiff?') },
  { slug: 'image-webp', count: imageExtension('webp') },
];

/** CSS features that a property name alone identifies, by caniemail slug. */
const propertyFeatures: Record<string, string[]> = {
  'css-accent-color': ['accent-color'],
  'css-align-items': ['align-items'],
  'css-animation': [
    'animation',
    'animation-name',
    'animation-duration',
    'animation-timing-function',
    'animation-delay',
    'animation-iteration-count',
    'animation-direction',
    'animation-fill-mode',
    'animation-play-state',
  ],
  'css-aspect-ratio': ['aspect-ratio'],
  'css-backdrop-filter': ['backdrop-filter'],
  'css-background-blend-mode': ['background-blend-mode'],
  'css-background-clip': ['background-clip'],
  'css-background-color': ['background-color'],
  'css-background-image': ['background-image'],
  'css-background-origin': ['background-origin'],
  'css-background-position': ['background-position'],
  'css-background-repeat': ['background-repeat'],
  'css-background-size': ['background-size'],
  'css-background': ['background'],
  'css-block-inline-size': ['block-size', 'inline-size'],
  'css-border-collapse': ['border-collapse'],
  'css-border-image': ['border-image'],
  'css-border-inline-block-individual': [
    'border-inline-start',
    'border-inline-end',
    'border-block-start',
    'border-block-end',
  ],
  'css-border-inline-block-longhand': [
    'border-inline-width',
    'border-inline-style',
    'border-inline-color',
    'border-block-width',
    'border-block-style',
    'border-block-color',
  ],
  'css-border-inline-block': ['border-inline', 'border-block'],
  'css-border-radius-logical': [
    'border-start-start-radius',
    'border-start-end-radius',
    'border-end-start-radius',
    'border-end-end-radius',
  ],
  'css-border-radius': ['border-radius'],
  'css-border-spacing': ['border-spacing'],
  'css-border': ['border'],
  'css-box-shadow': ['box-shadow'],
  'css-box-sizing': ['box-sizing'],
  'css-caption-side': ['caption-side'],
  'css-clear': ['clear'],
  'css-clip-path': ['clip-path'],
  'css-color-scheme': ['color-scheme'],
  'css-column-count': ['column-count'],
  'css-column-layout-properties': [
    'columns',
    'column-fill',
    'column-rule',
    'column-span',
    'column-width',
  ],
  'css-cursor': ['cursor'],
  'css-direction': ['direction'],
  'css-display': ['display'],
  'css-empty-cells': ['empty-cells'],
  'css-filter': ['filter'],
  'css-flex-direction': ['flex-direction'],
  'css-flex-wrap': ['flex-wrap'],
  'css-float': ['float'],
  'css-font-kerning': ['font-kerning'],
  'css-font-size-adjust': ['font-size-adjust'],
  'css-font-size': ['font-size'],
  'css-font-stretch': ['font-stretch'],
  'css-font-weight': ['font-weight'],
  'css-font': ['font'],
  'css-gap': ['gap', 'column-gap', 'row-gap'],
  'css-grid-template': [
    'grid-template',
    'grid-template-areas',
    'grid-template-columns',
    'grid-template-rows',
  ],
  'css-height': ['height'],
  'css-hyphenate-character': ['hyphenate-character'],
  'css-hyphenate-limit-chars': ['hyphenate-limit-chars'],
  'css-hyphens': ['hyphens'],
  'css-inline-size': ['inline-size'],
  'css-inset': ['inset'],
  'css-justify-content': ['justify-content'],
  'css-left-right-top-bottom': ['left', 'right', 'top', 'bottom'],
  'css-letter-spacing': ['letter-spacing'],
  'css-line-height': ['line-height'],
  'css-list-style-image': ['list-style-image'],
  'css-list-style-position': ['list-style-position'],
  'css-list-style-type': ['list-style-type'],
  'css-list-style': ['list-style'],
  'css-margin-block-start-end': ['margin-block-start', 'margin-block-end'],
  'css-margin-inline-block': ['margin-inline', 'margin-block'],
  'css-margin-inline-start-end': ['margin-inline-start', 'margin-inline-end'],
  'css-margin': ['margin'],
  'css-mask-image': ['mask-image'],
  'css-max-block-size': ['max-block-size'],
  'css-max-height': ['max-height'],
  'css-max-inline-size': ['max-inline-size'],
  'css-max-width': ['max-width'],
  'css-min-block-size': ['min-block-size'],
  'css-min-height': ['min-height'],
  'css-min-inline-size': ['min-inline-size'],
  'css-min-width': ['min-width'],
  'css-mix-blend-mode': ['mix-blend-mode'],
  'css-object-fit': ['object-fit'],
  'css-object-position': ['object-position'],
  'css-opacity': ['opacity'],
  'css-orphans': ['orphans'],
  'css-outline-offset': ['outline-offset'],
  'css-outline': ['outline'],
  'css-overflow-wrap': ['overflow-wrap'],
  'css-overflow': ['overflow', 'overflow-x', 'overflow-y'],
  'css-padding-block-start-end': ['padding-block-start', 'padding-block-end'],
  'css-padding-inline-block': ['padding-inline', 'padding-block'],
  'css-padding-inline-start-end': ['padding-inline-start', 'padding-inline-end'],
  'css-padding': ['padding'],
  'css-position': ['position'],
  'css-resize': ['resize'],
  'css-scroll-snap': ['scroll-snap-type', 'scroll-snap-align', 'scroll-snap-stop'],
  'css-shape-margin': ['shape-margin'],
  'css-shape-outside': ['shape-outside'],
  'css-tab-size': ['tab-size'],
  'css-table-layout': ['table-layout'],
  'css-text-align-last': ['text-align-last'],
  'css-text-align': ['text-align'],
  'css-text-decoration-color': ['text-decoration-color'],
  'css-text-decoration-line': ['text-decoration-line'],
  'css-text-decoration-skip-ink': ['text-decoration-skip-ink'],
  'css-text-decoration-style': ['text-decoration-style'],
  'css-text-decoration-thickness': ['text-decoration-thickness'],
  'css-text-decoration': ['text-decoration'],
  'css-text-emphasis-position': ['text-emphasis-position'],
  'css-text-emphasis': ['text-emphasis', 'text-emphasis-style', 'text-emphasis-color'],
  'css-text-indent': ['text-indent'],
  'css-text-justify': ['text-justify'],
  'css-text-orientation': ['text-orientation'],
  'css-text-overflow': ['text-overflow'],
  'css-text-shadow': ['text-shadow'],
  'css-text-transform': ['text-transform'],
  'css-text-underline-offset': ['text-underline-offset'],
  'css-text-underline-position': ['text-underline-position'],
  'css-text-wrap': ['text-wrap', 'text-wrap-mode', 'text-wrap-style'],
  'css-transform': ['transform'],
  'css-transition': [
    'transition',
    'transition-property',
    'transition-duration',
    'transition-timing-function',
    'transition-delay',
  ],
  'css-user-select': ['user-select'],
  'css-vertical-align': ['vertical-align'],
  'css-visibility': ['visibility'],
  'css-white-space-collapse': ['white-space-collapse'],
  'css-white-space': ['white-space'],
  'css-widows': ['widows'],
  'css-width': ['width'],
  'css-word-break': ['word-break'],
  'css-word-spacing': ['word-spacing'],
  'css-word-wrap': ['word-wrap'],
  'css-writing-mode': ['writing-mode'],
  'css-z-index': ['z-index'],
};

const cssTests: FeatureTest[] = [
  ...Object.entries(propertyFeatures).map(([slug, names]) => ({
    slug,
    count: properties(...names),
  })),
  { slug: 'css-display-flex', count: propertyValue('display', /^(?:inline-)?flex\b/i) },
  { slug: 'css-display-grid', count: propertyValue('display', /^(?:inline-)?grid\b/i) },
  { slug: 'css-display-none', count: propertyValue('display', /^none\b/i) },
  { slug: 'css-important', count: (facts) => facts.declarations.filter((d) => d.important).length },
  { slug: 'css-variables', count: any(propertyMatching(/^--/), values(/\bvar\(/gi)) },
  { slug: 'css-unit-calc', count: values(/\bcalc\(/gi) },
  { slug: 'css-function-clamp', count: values(/\bclamp\(/gi) },
  { slug: 'css-function-light-dark', count: values(/\blight-dark\(/gi) },
  { slug: 'css-function-max', count: values(/(?<![\w-])max\(/gi) },
  { slug: 'css-function-min', count: values(/(?<![\w-])min\(/gi) },
  { slug: 'css-conic-gradient', count: values(/\b(?:repeating-)?conic-gradient\(/gi) },
  { slug: 'css-linear-gradient', count: values(/\b(?:repeating-)?linear-gradient\(/gi) },
  { slug: 'css-radial-gradient', count: values(/\b(?:repeating-)?radial-gradient\(/gi) },
  { slug: 'css-rgb', count: values(/\brgb\(/gi) },
  { slug: 'css-rgba', count: values(/\brgba\(/gi) },
  { slug: 'css-modern-color', count: values(/(?<![\w-])(?:lab|lch|oklab|oklch)\(/gi) },
  {
    slug: 'css-sytem-ui',
    count: values(
      /(?<![\w-])(?:system-ui|ui-serif|ui-sans-serif|ui-rounded|ui-monospace)(?![\w-])/gi,
    ),
  },
  { slug: 'css-intrinsic-size', count: values(/(?<![\w-])(?:fit|min|max)-content(?![\w-])/gi) },
  { slug: 'css-unit-initial', count: values(/(?<![\w-])initial(?![\w-])/gi) },
  ...['ch', 'cm', 'em', 'ex', 'in', 'mm', 'pc', 'pt', 'px', 'rem', 'vh', 'vmax', 'vmin', 'vw'].map(
    (name) => ({ slug: `css-unit-${name}`, count: unit(name) }),
  ),
  { slug: 'css-unit-percent', count: unit('%') },
  { slug: 'css-comments', count: (facts) => facts.cssComments },
  { slug: 'css-nesting', count: (facts) => facts.nestedRules },
  { slug: 'css-inert-attribute', count: attribute('inert') },
  { slug: 'css-at-font-face', count: atRules('font-face') },
  { slug: 'css-at-import', count: atRules('import') },
  { slug: 'css-at-keyframes', count: atRules('keyframes') },
  { slug: 'css-at-media', count: atRules('media') },
  { slug: 'css-at-supports', count: atRules('supports') },
  {
    slug: 'css-at-media-device-pixel-ratio',
    count: atRules('media', /device-pixel-ratio|resolution/i),
  },
  { slug: 'css-at-media-hover', count: atRules('media', /\(\s*(?:any-)?hover\b/i) },
  { slug: 'css-at-media-orientation', count: atRules('media', /\borientation\b/i) },
  { slug: 'css-at-media-prefers-color-scheme', count: atRules('media', /prefers-color-scheme/i) },
  {
    slug: 'css-at-media-prefers-reduced-motion',
    count: atRules('media', /prefers-reduced-motion/i),
  },
  ...[
    'active',
    'checked',
    'default',
    'first-child',
    'first-of-type',
    'focus-visible',
    'focus-within',
    'focus',
    'has',
    'hover',
    'lang',
    'last-child',
    'last-of-type',
    'link',
    'not',
    'nth-child',
    'nth-last-child',
    'nth-last-of-type',
    'nth-of-type',
    'only-child',
    'only-of-type',
    'target',
    'visited',
  ].map((name) => ({ slug: `css-pseudo-class-${name}`, count: pseudoClass(name) })),
  ...['after', 'before', 'first-letter', 'first-line', 'marker', 'placeholder'].map((name) => ({
    slug: `css-pseudo-element-${name}`,
    count: pseudoElement(name),
  })),
  { slug: 'css-selector-adjacent-sibling', count: selectors(/\+/) },
  { slug: 'css-selector-attribute', count: selectors(/\[/) },
  { slug: 'css-selector-chaining', count: selectors(/[\w\])*-][.#[]/) },
  { slug: 'css-selector-child', count: selectors(/>/) },
  { slug: 'css-selector-class', count: selectors(/\.[_a-z-]/i) },
  { slug: 'css-selector-descendant', count: selectors(/[\w\])*]\s+(?![>+~\s])[\w.#[:*]/) },
  { slug: 'css-selector-general-sibling', count: selectors(/~/) },
  { slug: 'css-selector-grouping', count: (facts) => facts.groupedRules },
  { slug: 'css-selector-id', count: selectors(/#[_a-z-]/i) },
  { slug: 'css-selector-type', count: selectors(/(?:^|[\s>+~(])[a-z][\w-]*/i) },
  { slug: 'css-selector-universal', count: selectors(/\*/) },
];

/**
 * Detectors for the caniemail.com features that can be seen in a message's HTML source. Features
 * about the message as a whole (AMP, BIMI) are not detected.
 */
export const FEATURE_TESTS: readonly FeatureTest[] = [...htmlTests, ...imageTests, ...cssTests];
