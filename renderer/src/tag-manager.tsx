import { useId, useState } from 'react';

import './tag-manager.css';

import { deleteTag, listTags, renameTag } from './api-client.js';
import { ModalDialog } from './app-dialog.js';
import { useResource } from './fetch-resource.js';

interface TagManagerProps {
  /** Grows when the live events report a tag change, so the list and counts reload. */
  version: number;
  /** Filters the delivery list by the tag. The dialog closes after it. */
  onFilter(name: string): void;
  onClose(): void;
}

/** The row being changed: its rename form or its delete confirmation. */
type RowAction =
  | { kind: 'rename'; name: string; draft: string; error: string | null; saving: boolean }
  | { kind: 'delete'; name: string; messages: number };

/**
 * Renders every tag with its message count. A tag can filter the list, be renamed on
 * every message or be deleted from every message after a confirmation.
 */
export function TagManager({ version, onFilter, onClose }: TagManagerProps) {
  const [localVersion, setLocalVersion] = useState(0);
  const tags = useResource('tags', version + localVersion, listTags);
  const [action, setAction] = useState<RowAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => setLocalVersion((current) => current + 1);

  const saveRename = (name: string, draft: string) => {
    if (draft.trim() === name) {
      setAction(null);
      return;
    }
    setAction({ kind: 'rename', name, draft, error: null, saving: true });
    renameTag(name, draft).then(
      () => {
        setAction(null);
        reload();
      },
      (failure: Error) =>
        setAction({ kind: 'rename', name, draft, error: failure.message, saving: false }),
    );
  };

  const confirmDelete = (name: string) => {
    setAction(null);
    setError(null);
    deleteTag(name).then(reload, (failure: Error) =>
      setError(`Could not delete the tag ${name}: ${failure.message}`),
    );
  };

  const rows = tags.data ?? [];
  return (
    <ModalDialog title="Tags" onClose={onClose} className="tags-dialog">
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {tags.error && (
        <p role="alert" className="error-text">
          Could not load the tags: {tags.error.message}
        </p>
      )}
      {tags.data && rows.length === 0 && <p className="muted">No message has a tag.</p>}
      {rows.length > 0 && (
        <table className="tags-table" aria-label="Tags">
          <thead>
            <tr>
              <th>Tag</th>
              <th>Messages</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((tag) => (
              <tr key={tag.name} data-tag={tag.name}>
                <td className="tag-name-cell">
                  {action?.kind === 'rename' && action.name === tag.name ? (
                    <RenameForm
                      action={action}
                      onDraft={(draft) => setAction({ ...action, draft, error: null })}
                      onSave={() => saveRename(tag.name, action.draft)}
                      onCancel={() => setAction(null)}
                    />
                  ) : (
                    <button
                      type="button"
                      className="tag-chip"
                      title={`Show messages tagged ${tag.name}`}
                      onClick={() => {
                        onFilter(tag.name);
                        onClose();
                      }}
                    >
                      {tag.name}
                    </button>
                  )}
                </td>
                <td className="tag-count">{tag.messages.toLocaleString()}</td>
                <td className="tag-buttons">
                  {action?.kind === 'delete' && action.name === tag.name ? (
                    <span className="tag-confirm">
                      Delete from {countMessages(action.messages)}?{' '}
                      <button type="button" autoFocus onClick={() => setAction(null)}>
                        Cancel
                      </button>{' '}
                      <button
                        type="button"
                        className="danger"
                        onClick={() => confirmDelete(tag.name)}
                      >
                        Delete tag
                      </button>
                    </span>
                  ) : (
                    <>
                      <button
                        type="button"
                        aria-label={`Rename tag ${tag.name}`}
                        onClick={() =>
                          setAction({
                            kind: 'rename',
                            name: tag.name,
                            draft: tag.name,
                            error: null,
                            saving: false,
                          })
                        }
                      >
                        Rename
                      </button>{' '}
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Delete tag ${tag.name}`}
                        onClick={() =>
                          setAction({ kind: 'delete', name: tag.name, messages: tag.messages })
                        }
                      >
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="dialog-buttons">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </ModalDialog>
  );
}

interface RenameFormProps {
  action: Extract<RowAction, { kind: 'rename' }>;
  onDraft(draft: string): void;
  onSave(): void;
  onCancel(): void;
}

/** Renders the inline rename field of one tag, with the API's error under it. */
function RenameForm({ action, onDraft, onSave, onCancel }: RenameFormProps) {
  const errorId = useId();
  return (
    <form
      className="tag-rename"
      onSubmit={(event) => {
        event.preventDefault();
        onSave();
      }}
    >
      <input
        type="text"
        aria-label={`New name for tag ${action.name}`}
        aria-invalid={action.error !== null}
        aria-describedby={action.error !== null ? errorId : undefined}
        autoFocus
        value={action.draft}
        disabled={action.saving}
        onChange={(event) => onDraft(event.target.value)}
        onKeyDown={(event) => {
          // Escape ends the rename. Without preventDefault it would also close the dialog.
          if (event.key !== 'Escape') return;
          event.preventDefault();
          onCancel();
        }}
      />{' '}
      <button type="submit" disabled={action.saving}>
        Save
      </button>{' '}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      {action.error !== null && (
        <p id={errorId} role="alert" className="error-text">
          {action.error}
        </p>
      )}
    </form>
  );
}

function countMessages(count: number): string {
  return `${count.toLocaleString()} message${count === 1 ? '' : 's'}`;
}
