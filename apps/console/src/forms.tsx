import type { FormEvent, ReactNode } from "react";
import { ErrorNotice } from "./components.tsx";
import type { useAction } from "./resource.ts";

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
