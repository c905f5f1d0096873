import { type FormEvent, useState } from "react";
import {
  Busy,
  ErrorNotice,
  Field,
  formatTime,
  Notice,
  PageTitle,
  RoleSelect,
} from "../components.tsx";
import { useAction, useResource } from "../resource.ts";
import { api, type Role, useSignedIn } from "../session.tsx";

/** API keys: the secret is shown once, when made; afterwards only its prefix. */
export function ApiKeysPage() {
  const session = useSignedIn();
  const keys = useResource(
    () => api.GET("/v1/api-keys", { params: { query: { limit: 200 } } }),
    "",
  );
  const create = useAction();
  const remove = useAction();
  const [role, setRole] = useState<Role>("member");
  const [secret, setSecret] = useState<{ name: string; key: string }>();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const name = String(new FormData(formElement).get("name"));
    setSecret(undefined);
    const answer = await create.run(() => api.POST("/v1/api-keys", { body: { name, role } }));
    if (!answer?.data) return;
    formElement.reset();
    setSecret({ name: answer.data.name, key: answer.data.key });
    keys.reload();
  }

  return (
    <section>
      <PageTitle>API keys</PageTitle>
      <h2>New key</h2>
      <ErrorNotice failure={create.failure} />
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
      <form onSubmit={submit} className="inline-form">
        <Field label="Name" name="name" required maxLength={100} />
        <RoleSelect
          label="Role"
          value={role}
          onChange={setRole}
          allowOwner={session.role === "owner"}
        />
        <button type="submit" disabled={create.busy}>
          {create.busy ? "Creating…" : "Create key"}
        </button>
      </form>
      <h2>Keys</h2>
      <ErrorNotice failure={keys.failure} />
      <ErrorNotice failure={remove.failure} />
      {keys.loading && !keys.data && <Busy label="Loading keys…" />}
      {keys.data && keys.data.items.length === 0 && <p>No keys yet.</p>}
      {keys.data && keys.data.items.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Role</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.keyPrefix}…</code>
                  </td>
                  <td>{key.role}</td>
                  <td>{formatTime(key.lastUsedAt)}</td>
                  <td>
                    <button
                      type="button"
                      className="danger-button"
                      aria-label={`Delete the key ${key.name}`}
                      onClick={async () => {
                        const answer = await remove.run(() =>
                          api.DELETE("/v1/api-keys/{id}", { params: { path: { id: key.id } } }),
                        );
                        if (answer?.response.ok) keys.reload();
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
