import type { Key, ReactNode } from "react";
import { useSearchParams } from "react-router";
import { Busy, ErrorNotice } from "./components.tsx";
import type { Failure } from "./problem.ts";
import type { useAction } from "./resource.ts";

/** One column of a table: its header, and what a row shows in it. */
export type Column<T> = { header: string; cell(row: T): ReactNode };

/**
 * A page of the API's `{items, nextCursor}` as the console shows every list: the failure in
 * words, a busy line while the first load runs, a sentence when it is empty, else a
 * `DataTable`.
 */
export function ResourceTable<T>({
  list,
  caption,
  columns,
  rowKey,
  empty,
  loadingLabel,
}: {
  list: { data?: { items: T[] } | undefined; failure?: Failure | undefined; loading: boolean };
  caption: string;
  columns: Array<Column<T> | false>;
  rowKey(row: T): Key;
  empty: string;
  loadingLabel: string;
}) {
  return (
    <>
      <ErrorNotice failure={list.failure} />
      {list.loading && !list.data && <Busy label={loadingLabel} />}
      {list.data && list.data.items.length === 0 && <p>{empty}</p>}
      {list.data && list.data.items.length > 0 && (
        <DataTable caption={caption} columns={columns} rows={list.data.items} rowKey={rowKey} />
      )}
    </>
  );
}

/**
 * Rows already at hand as a table: a caption for screen readers (visually hidden: the page's
 * heading says it already), column headers, a row per item keyed by `rowKey`. Columns that are
 * `false` (not for this role) are left out.
 */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
}: {
  caption: string;
  columns: Array<Column<T> | false>;
  rows: T[];
  rowKey(row: T): Key;
}) {
  const shown = columns.filter((column): column is Column<T> => column !== false);
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {shown.map((column) => (
              <th key={column.header} scope="col">
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {shown.map((column) => (
                <td key={column.header}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A list's position in the URL (`?cursor=`), beside its other parameters (filters), so a page of
 * a list has its own address and the back button returns to the page before. A new filter starts
 * from the first page.
 */
export function useListParams() {
  const [params, setParams] = useSearchParams();
  const cursor = params.get("cursor") ?? undefined;
  return {
    params,
    cursor,
    /** Everything in the URL that decides what the list loads: the key for useResource. */
    key: params.toString(),
    /** A filter's new value (empty: removed), back at the first page. */
    filter(name: string, value: string) {
      const next = new URLSearchParams(params);
      next.delete("cursor");
      if (value) next.set(name, value);
      else next.delete(name);
      setParams(next);
    },
    next(nextCursor: string) {
      const next = new URLSearchParams(params);
      next.set("cursor", nextCursor);
      setParams(next);
    },
  };
}

/** "Next page" for a list whose cursor is in the URL; nothing on the last page. */
export function NextPage({
  nextCursor,
  onNext,
  label = "Next page",
}: {
  nextCursor: string | null | undefined;
  onNext(cursor: string): void;
  label?: string;
}) {
  if (!nextCursor) return null;
  return (
    <button type="button" onClick={() => onNext(nextCursor)}>
      {label}
    </button>
  );
}

/**
 * A row's destructive button (delete, revoke, end): runs the write through `action` (whose
 * failure the page shows above its list), then `onDone` (a reload) when the API agreed. The
 * label names the row for screen readers: "Delete" alone does not say which.
 */
export function RowAction({
  action,
  label,
  children,
  request,
  onDone,
}: {
  action: ReturnType<typeof useAction>;
  label: string;
  children: ReactNode;
  request(): Promise<{ response: Response; error?: unknown; data?: unknown }>;
  onDone(): void;
}) {
  return (
    <button
      type="button"
      className="danger-button"
      aria-label={label}
      disabled={action.busy}
      onClick={async () => {
        const answer = await action.run(request);
        if (answer?.response.ok) onDone();
      }}
    >
      {children}
    </button>
  );
}

/**
 * A list's last column: each row's `RowAction` (`text`, e.g. "Delete"), named for screen readers
 * by `label`, sending `request` and reloading `list` once the API agreed.
 */
export function actionsColumn<T>(
  list: { data?: { items: T[] } | undefined; reload(): void },
  action: ReturnType<typeof useAction>,
  {
    text,
    label,
    request,
  }: {
    text: string;
    label(row: T): string;
    request(row: T): Promise<{ response: Response; error?: unknown; data?: unknown }>;
  },
): Column<T> {
  return {
    header: "Actions",
    cell: (row) => (
      <RowAction
        action={action}
        label={label(row)}
        request={() => request(row)}
        onDone={list.reload}
      >
        {text}
      </RowAction>
    ),
  };
}
