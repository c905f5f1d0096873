import { useState } from "react";
import { ErrorNotice, Field, formatTime, Notice, PageTitle } from "../components.tsx";
import { GrantForm } from "../forms.tsx";
import { actionsColumn, ResourceTable } from "../lists.tsx";
import { useAction, useResource } from "../resource.ts";
import { api } from "../session.tsx";

/** API keys: the secret is shown once, when made; afterwards only its prefix. */
export function ApiKeysPage() {
  const keys = useResource(
    () => api.GET("/v1/api-keys", { params: { query: { limit: 200 } } }),
    "",
  );
  const create = useAction();
  const remove = useAction();
  const [secret, setSecret] = useState<{ name: string; key: string }>();

  return (
    <section>
      <PageTitle>API keys</PageTitle>
      <h2>New key</h2>
      {secret && (
        <Notice>
          <p>
            The key “{secret.name}”. Copy it now: it is shown only once and cannot be read again.
          </p>
          <code className="secret" data-testid="api-key-secret">
            {secret.key}
          </code>
          <p>
            <button type="button" onClick={() => setSecret(undefined)}>
              I have copied it
            </button>
          </p>
        </Notice>
      )}
      <GrantForm
        action={create}
        submit="Create key"
        busy="Creating…"
        onSubmit={async (values, form, role) => {
          setSecret(undefined);
          const answer = await create.run(() =>
            api.POST("/v1/api-keys", { body: { name: values.text("name"), role } }),
          );
          if (!answer?.data) return;
          form.reset();
          setSecret({ name: answer.data.name, key: answer.data.key });
          keys.reload();
        }}
      >
        <Field label="Name" name="name" required maxLength={100} />
      </GrantForm>
      <h2>Keys</h2>
      <ErrorNotice failure={remove.failure} />
      <ResourceTable
        list={keys}
        caption="API keys"
        loadingLabel="Loading keys…"
        empty="No keys yet."
        rowKey={(key) => key.id}
        columns={[
          { header: "Name", cell: (key) => key.name },
          { header: "Prefix", cell: (key) => <code>{key.keyPrefix}…</code> },
          { header: "Role", cell: (key) => key.role },
          { header: "Last used", cell: (key) => formatTime(key.lastUsedAt) },
          actionsColumn(keys, remove, {
            text: "Delete",
            label: (key) => `Delete the key ${key.name}`,
            request: (key) => api.DELETE("/v1/api-keys/{id}", { params: { path: { id: key.id } } }),
          }),
        ]}
      />
    </section>
  );
}
