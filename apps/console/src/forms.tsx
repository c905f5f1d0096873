import { type FormEvent, type ReactNode, useState } from "react";
import { ErrorNotice, Notice, RoleSelect } from "./components.tsx";
import { ConflictNotice } from "./conflict.tsx";
import type { Failure } from "./problem.ts";
import { useAction } from "./resource.ts";
import { type Role, useSignedIn } from "./session.tsx";

/** A submitted form's values, read by the fields' names. */
export type FormValues = {
  /** The field's value as typed (passwords: never trimmed). */
  raw(name: string): string;
  /** The field's value without surrounding spaces; "" when absent. */
  text(name: string): string;
};

function valuesOf(form: HTMLFormElement): FormValues {
  const data = new FormData(form);
  const raw = (name: string) => String(data.get(name) ?? "");
  return { raw, text: (name) => raw(name).trim() };
}

/**
 * The console's form: its write's failure in words above the fields, the fields, and a submit
 * button that says when the write is running (and cannot be pressed twice meanwhile).
 * `onSubmit` gets the values and the form (to reset it after a success); it runs the write
 * through `action.run`, so the failure shown is the action's.
 */
export function ActionForm({
  action,
  submit,
  busy,
  onSubmit,
  children,
  className,
  danger = false,
}: {
  action: ReturnType<typeof useAction>;
  submit: string;
  busy?: string;
  onSubmit(values: FormValues, form: HTMLFormElement): Promise<unknown> | undefined;
  children: ReactNode;
  className?: string;
  danger?: boolean;
}) {
  async function handle(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    await onSubmit(valuesOf(form), form);
  }
  return (
    <form onSubmit={handle} {...(className ? { className } : {})}>
      <ErrorNotice failure={action.failure} />
      {children}
      <button
        type="submit"
        disabled={action.busy}
        {...(danger ? { className: "danger-button" } : {})}
      >
        {action.busy && busy ? busy : submit}
      </button>
    </form>
  );
}

/**
 * An inline form that gives someone or something a role (an API key, an invitation): `children`
 * are its own fields, then the role, a member's unless chosen, owner offered only to owners (the
 * API refuses the rest). `onSubmit` gets the role chosen beside the values.
 */
export function GrantForm({
  action,
  submit,
  busy,
  onSubmit,
  children,
}: {
  action: ReturnType<typeof useAction>;
  submit: string;
  busy: string;
  onSubmit(values: FormValues, form: HTMLFormElement, role: Role): Promise<unknown> | undefined;
  children: ReactNode;
}) {
  const session = useSignedIn();
  const [role, setRole] = useState<Role>("member");
  return (
    <ActionForm
      action={action}
      submit={submit}
      busy={busy}
      className="inline-form"
      onSubmit={(values, form) => onSubmit(values, form, role)}
    >
      {children}
      <RoleSelect
        label="Role"
        value={role}
        onChange={setRole}
        allowOwner={session.role === "owner"}
      />
    </ActionForm>
  );
}

/**
 * The edit form of one object loaded with its ETag: `save` sends the PATCH with `If-Match` (the
 * page has the ETag), and on success the page gets the saved object and its new ETag, and
 * "Saved." shows. A stale ETag (412) shows the conflict in words with "Reload the current
 * version" (`onReload`), from which the form starts again: nothing is merged silently.
 * `otherFailure` (a delete's, also If-Match) shows in the same place; `also` adds buttons.
 */
export function IfMatchForm<T extends { version: number }>({
  save: request,
  onSaved,
  onReload,
  otherFailure,
  also,
  children,
}: {
  save(values: FormValues): Promise<{ data?: T; error?: unknown; response: Response }>;
  onSaved(saved: T, etag: string): void;
  onReload(): void;
  otherFailure?: Failure | undefined;
  also?: ReactNode;
  children: ReactNode;
}) {
  const save = useAction();
  const [saved, setSaved] = useState(false);
  async function handle(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const values = valuesOf(event.currentTarget);
    setSaved(false);
    const answer = await save.run(() => request(values));
    if (answer?.data) {
      setSaved(true);
      onSaved(answer.data, answer.response.headers.get("etag") ?? `"${answer.data.version}"`);
    }
  }
  return (
    <>
      {saved && <Notice>Saved.</Notice>}
      <ConflictNotice failure={save.failure ?? otherFailure} onReload={onReload} />
      <form onSubmit={handle}>
        {children}
        <button type="submit" disabled={save.busy}>
          {save.busy ? "Saving…" : "Save changes"}
        </button>
        {also}
      </form>
    </>
  );
}
