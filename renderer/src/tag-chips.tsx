import { useState } from 'react';

import { addMessageTags, removeMessageTag } from './api-client.js';
import { useNotify } from './app-notices.js';

/** Returns the search query that lists the messages with tag `name`. */
export function tagQuery(name: string): string {
  return /\s/.test(name) ? `tag:"${name}"` : `tag:${name}`;
}

interface TagChipsProps {
  tags: string[];
  /** Filters the list by the tag; without it the chips are plain labels. */
  onTagClick?(name: string): void;
}

/** Renders tags as chips. A click on a chip filters the list by its tag. */
export function TagChips({ tags, onTagClick }: TagChipsProps) {
  if (tags.length === 0) return null;
  return (
    <span className="tag-chips">
      {tags.map((name) =>
        onTagClick ? (
          <button
            key={name}
            type="button"
            className="tag-chip"
            title={`Show messages tagged ${name}`}
            onClick={(event) => {
              // The chip sits inside a list row, which opens on click.
              event.stopPropagation();
              onTagClick(name);
            }}
          >
            {name}
          </button>
        ) : (
          <span key={name} className="tag-chip">
            {name}
          </span>
        ),
      )}
    </span>
  );
}

interface TagEditorProps {
  messageId: string;
  tags: string[];
  onTagClick(name: string): void;
}

/**
 * Renders the tags of a message with a remove button each and a field that adds tags
 * (comma-separated). The server sends a `message.tags` live event, which reloads the
 * detail, so the editor shows the stored tags after each change.
 */
export function TagEditor({ messageId, tags, onTagClick }: TagEditorProps) {
  const notify = useNotify();
  const [draft, setDraft] = useState('');

  const add = () => {
    const names = draft
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    if (names.length === 0) return;
    addMessageTags(messageId, names).then(
      () => setDraft(''),
      (error: Error) => notify(`Could not add the tags: ${error.message}`, 'error'),
    );
  };

  return (
    <div className="tag-editor">
      {tags.map((name) => (
        <span key={name} className="tag-chip editable">
          <button
            type="button"
            className="tag-chip-name"
            title={`Show messages tagged ${name}`}
            onClick={() => onTagClick(name)}
          >
            {name}
          </button>
          <button
            type="button"
            className="tag-chip-remove"
            aria-label={`Remove tag ${name}`}
            onClick={() =>
              removeMessageTag(messageId, name).catch((error: Error) =>
                notify(`Could not remove the tag ${name}: ${error.message}`, 'error'),
              )
            }
          >
            ×
          </button>
        </span>
      ))}
      <form
        className="tag-add"
        onSubmit={(event) => {
          event.preventDefault();
          add();
        }}
      >
        <input
          type="text"
          aria-label="Add tags"
          placeholder="Add tag"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
      </form>
    </div>
  );
}
