import type { components } from "@oryn/client";
import { useState } from "react";
import { Busy, ErrorNotice, Field, formatTime, Notice, PageTitle } from "../components.tsx";
import { ActionForm } from "../forms.tsx";
import { ResourceTable, RowAction } from "../lists.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

type Endpoint = components["schemas"]["WebhookEndpoint"];
type EventType = components["schemas"]["WebhookEndpointRequest"]["events"][number];

/** The tenant's webhook endpoints: add one (its secret shown once), its delivery log, remove it. */
export function WebhooksPage() {
  const endpoints = useResource(
    () => api.GET("/v1/webhook-endpoints", { params: { query: { limit: 100 } } }),
    "",
  );
  const create = useAction();
  const remove = useAction();
  const [secret, setSecret] = useState<string>();
  const [open, setOpen] = useState<string>();

  return (
    <section>
      <PageTitle>Webhooks</PageTitle>
      <h2>New endpoint</h2>
      {secret && (
        <Notice>
          <p>The endpoint's signing secret. Copy it now: it is shown only once.</p>
          <code className="secret" data-testid="webhook-secret">
            {secret}
          </code>
        </Notice>
      )}
      <ActionForm
        action={create}
        submit="Add endpoint"
        onSubmit={async (values, form) => {
          const events = (values.text("events") || "*")
            .split(",")
            .map((name) => name.trim())
            .filter(Boolean) as EventType[];
          setSecret(undefined);
          const answer = await create.run(() =>
            api.POST("/v1/webhook-endpoints", {
              body: { url: values.text("url"), events: events.length > 0 ? events : ["*"] },
            }),
          );
          if (!answer?.data) return;
          form.reset();
          setSecret(answer.data.secret);
          endpoints.reload();
        }}
      >
        <Field label="URL" name="url" type="url" required placeholder="https://" />
        <Field
          label="Events"
          name="events"
          defaultValue="*"
          hint="Comma-separated, e.g. project.created, task.updated; * for every event."
        />
      </ActionForm>
      <h2>Endpoints</h2>
      <ErrorNotice failure={endpoints.failure} />
      <ErrorNotice failure={remove.failure} />
      {endpoints.loading && !endpoints.data && <Busy label="Loading endpoints…" />}
      {endpoints.data && endpoints.data.items.length === 0 && <p>No endpoints yet.</p>}
      {endpoints.data?.items.map((endpoint) => (
        <article key={endpoint.id} className="endpoint">
          <h3>{endpoint.url}</h3>
          <p>
            {endpoint.status} · {endpoint.events.join(", ")}
          </p>
          <button
            type="button"
            aria-expanded={open === endpoint.id}
            onClick={() => setOpen(open === endpoint.id ? undefined : endpoint.id)}
          >
            {open === endpoint.id ? "Hide deliveries" : "Show deliveries"}
          </button>{" "}
          <RowAction
            action={remove}
            label={`Remove the endpoint ${endpoint.url}`}
            request={() =>
              api.DELETE("/v1/webhook-endpoints/{id}", { params: { path: { id: endpoint.id } } })
            }
            onDone={endpoints.reload}
          >
            Remove
          </RowAction>
          {open === endpoint.id && <Deliveries endpoint={endpoint} />}
        </article>
      ))}
    </section>
  );
}

function Deliveries({ endpoint }: { endpoint: Endpoint }) {
  const deliveries = useResource(
    () =>
      api.GET("/v1/webhook-endpoints/{id}/deliveries", {
        params: { path: { id: endpoint.id }, query: { limit: 50 } },
      }),
    endpoint.id,
  );
  return (
    <ResourceTable
      list={deliveries}
      caption={`Deliveries to ${endpoint.url}`}
      loadingLabel="Loading deliveries…"
      empty="No deliveries yet."
      rowKey={(attempt) => attempt.id}
      columns={[
        { header: "When", cell: (attempt) => formatTime(attempt.at) },
        { header: "Event", cell: (attempt) => attempt.eventType },
        { header: "Attempt", cell: (attempt) => attempt.attempt },
        {
          header: "Answer",
          cell: (attempt) =>
            `${attempt.status} ${attempt.responseStatus ?? ""} (${attempt.durationMs} ms)`,
        },
      ]}
    />
  );
}
