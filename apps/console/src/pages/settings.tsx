import type { components } from "@oryn/client";
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router";
import { Busy, ErrorNotice, Field, Notice, PageTitle } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { useAction, useResource } from "../resource.ts";
import { api, atLeast, useSession, useSignedIn } from "../session.tsx";
import { MfaPolicy } from "./mfa-policy.tsx";

type TenantExport = components["schemas"]["TenantExport"];

/** The organisation's settings: export its data, delete it (owners). */
export function SettingsPage() {
  const session = useSignedIn();
  const owner = atLeast(session.role, "owner");
  return (
    <section>
      <PageTitle>Settings</PageTitle>
      <ul>
        <li>
          <Link to="/account/security">Your sign-in and security</Link>
        </li>
        <li>
          <Link to="/settings/webhooks">Webhooks</Link>
        </li>
        {atLeast(session.role, "admin") && (
          <li>
            <Link to="/security-log">Security log</Link>
          </li>
        )}
      </ul>
      {owner ? (
        <>
          <Export />
          <MfaPolicy />
          <DeleteTenant />
        </>
      ) : (
        <p>Exports and deleting the organisation are for its owners.</p>
      )}
    </section>
  );
}

function Export() {
  const request = useAction();
  const download = useAction();
  const [current, setCurrent] = useState<TenantExport>();

  // An export runs in the background: ask for its state until it is ready or failed.
  useEffect(() => {
    if (!current || current.status === "ready" || current.status === "failed") return;
    const timer = setTimeout(async () => {
      const { data } = await api
        .GET("/v1/tenant/exports/{id}", { params: { path: { id: current.id } } })
        .catch(() => ({ data: undefined }));
      setCurrent((previous) => data ?? (previous ? { ...previous } : previous));
    }, 1000);
    return () => clearTimeout(timer);
  }, [current]);

  async function save() {
    if (!current) return;
    const answer = await download.run(() =>
      api.GET("/v1/tenant/exports/{id}/download", {
        params: { path: { id: current.id } },
        parseAs: "blob",
      }),
    );
    if (!answer?.data) return;
    // The archive came through the typed client (with the bearer token); the browser saves it
    // from a blob: URL, which the Content-Security-Policy does not need to allow for a download.
    const url = URL.createObjectURL(answer.data as unknown as Blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = `oryn-export-${current.id}.tar.gz`;
    link.click();
    URL.revokeObjectURL(url);
  }

  return (
    <>
      <h2>Export</h2>
      <p>An archive of all your organisation's data: one file per table, and a manifest.</p>
      <ErrorNotice failure={request.failure} />
      <ErrorNotice failure={download.failure} />
      {current && current.status !== "ready" && current.status !== "failed" && (
        <Busy label={`Export ${current.status}…`} />
      )}
      {current?.status === "failed" && (
        <ErrorNotice failure={{ title: "The export failed. Try again.", fields: [] }} />
      )}
      {current?.status === "ready" && (
        <Notice>
          The export is ready
          {current.sizeBytes !== null ? ` (${Math.ceil(current.sizeBytes / 1024)} KiB)` : ""}.{" "}
          <button type="button" onClick={save} disabled={download.busy}>
            Download
          </button>
        </Notice>
      )}
      <button
        type="button"
        disabled={request.busy || (current !== undefined && current.status === "running")}
        onClick={async () => {
          const answer = await request.run(() => api.POST("/v1/tenant/exports"));
          if (answer?.data) setCurrent(answer.data);
        }}
      >
        Export all data
      </button>
    </>
  );
}

function DeleteTenant() {
  const tenant = useResource(() => api.GET("/v1/tenant"), "");
  const remove = useAction();
  const { end } = useSession();
  const navigate = useNavigate();
  const [deleted, setDeleted] = useState<string | null>();

  if (deleted !== undefined) {
    return (
      <div className="danger">
        <h2>Deleted</h2>
        <p role="status">
          The organisation is being deleted; its data is removed after{" "}
          {deleted ? new Date(deleted).toLocaleString() : "the grace period"}. Ask the team running
          Oryn before then to restore it.
        </p>
        <button
          type="button"
          onClick={async () => {
            await end();
            navigate("/sign-in");
          }}
        >
          Sign out
        </button>
      </div>
    );
  }
  return (
    <div className="danger">
      <h2>Delete the organisation</h2>
      <p>
        Everyone is signed out within seconds and the data is removed after a grace period.
        {tenant.data && (
          <>
            {" "}
            Type <code>{tenant.data.slug}</code> to confirm.
          </>
        )}
      </p>
      <ActionForm
        action={remove}
        submit="Delete the organisation"
        danger
        onSubmit={async (values) => {
          const confirm = values.text("confirm");
          const answer = await remove.run(() => api.DELETE("/v1/tenant", { body: { confirm } }));
          if (answer?.data) setDeleted(answer.data.deleteAfter);
        }}
      >
        <Field label="The organisation's slug" name="confirm" required autoComplete="off" />
      </ActionForm>
    </div>
  );
}
