import { ErrorNotice } from "./components.tsx";
import type { Failure } from "./problem.ts";

/**
 * A write's failure; when it is a stale ETag (412), the words say so and offer to load the
 * current version, which the form then starts from (the user's edits are not silently merged).
 */
export function ConflictNotice({ failure, onReload }: { failure?: Failure; onReload(): void }) {
  if (!failure) return null;
  return (
    <ErrorNotice failure={failure}>
      {failure.status === 412 && (
        <button type="button" onClick={onReload}>
          Reload the current version
        </button>
      )}
    </ErrorNotice>
  );
}
