import { type InputHTMLAttributes, type ReactNode, useEffect, useId, useRef } from "react";
import type { Failure } from "./problem.ts";

/** A page's heading; focused when the page is shown, so a screen reader announces it. */
export function PageTitle({ children }: { children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    if (typeof children === "string") document.title = `${children} · Oryn console`;
  }, [children]);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** An API failure in words, announced to screen readers as it appears. */
export function ErrorNotice({ failure, children }: { failure?: Failure; children?: ReactNode }) {
  if (!failure) return null;
  return (
    <div className="notice notice-error" role="alert">
      <p>
        <strong>{failure.title}</strong>
        {failure.detail ? ` ${failure.detail}` : ""}
      </p>
      {failure.fields.length > 0 && (
        <ul>
          {failure.fields.map((field) => (
            <li key={field}>{field}</li>
          ))}
        </ul>
      )}
      {children}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="notice" role="status">
      {children}
    </div>
  );
}

/** Work in progress, for assistive technology too. */
export function Busy({ label }: { label: string }) {
  return (
    <p className="busy" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** A labelled input; `hint` is tied to it with aria-describedby. */
export function Field({
  label,
  hint,
  ...input
}: { label: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/**
 * A password being chosen: the API's minimum of 10 characters checked before sending, and marked
 * `new-password` so a password manager offers to generate and save it.
 */
export function NewPasswordField({
  label = "Password",
  name = "password",
  hint = "At least 10 characters.",
}: {
  label?: string;
  name?: string;
  hint?: string;
}) {
  return (
    <Field
      label={label}
      name={name}
      type="password"
      required
      minLength={10}
      autoComplete="new-password"
      hint={hint}
    />
  );
}

export function RoleSelect({
  label,
  value,
  onChange,
  allowOwner = true,
}: {
  label: string;
  value: string;
  onChange(role: "owner" | "admin" | "member"): void;
  allowOwner?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value as "owner" | "admin" | "member")}
      >
        <option value="member">Member</option>
        <option value="admin">Admin</option>
        {allowOwner && <option value="owner">Owner</option>}
      </select>
    </div>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * Who did something, by a log's actor id: the member's name when the members list has it; else
 * (an API key, a former member) the id's first characters.
 */
export function Actor({ id, names }: { id: string | null; names: Map<string, string> }) {
  const name = id ? names.get(id) : undefined;
  return name ? name : <code>{id?.slice(0, 8) ?? "—"}</code>;
}
