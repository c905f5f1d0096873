import { useEffect, useRef, useState } from "react";
import { Busy, ErrorNotice, Notice } from "../components.tsx";
import { operatorApi } from "./operator-session.tsx";
import { useOperatorAction } from "./use-operator.ts";
import { type OperatorTenant, steps } from "./words.ts";

/**
 * Retries a failed provisioning and follows it: the step being run as a progress bar, until the
 * tenant is active or has failed again (polls the tenant each second).
 */
export function RetryProvisioning({
  tenant,
  onSettled,
}: {
  tenant: OperatorTenant;
  onSettled?: (tenant: OperatorTenant) => void;
}) {
  const action = useOperatorAction();
  const [following, setFollowing] = useState<OperatorTenant>();
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  async function follow(id: string) {
    const { data } = await operatorApi.GET("/v1/operator/tenants/{tenantId}", {
      params: { path: { tenantId: id } },
    });
    if (!data) return;
    setFollowing(data);
    if (data.status === "provisioning") {
      timer.current = setTimeout(() => follow(id), 1000);
    } else {
      onSettled?.(data);
    }
  }

  const running = following?.status === "provisioning";
  const current = following ? steps.indexOf(following.provisioning.step as never) : -1;
  return (
    <div className="retry">
      <ErrorNotice failure={action.failure} />
      <button
        type="button"
        disabled={action.busy || running || following?.status === "active"}
        aria-describedby={`retry-${tenant.id}-hint`}
        onClick={async () => {
          const answer = await action.run(() =>
            operatorApi.POST("/v1/operator/tenants/{tenantId}/retry-provisioning", {
              params: { path: { tenantId: tenant.id } },
            }),
          );
          if (answer?.data) {
            setFollowing(answer.data);
            timer.current = setTimeout(() => follow(tenant.id), 500);
          }
        }}
      >
        {action.busy ? "Retrying…" : `Retry ${tenant.slug}`}
      </button>
      <small id={`retry-${tenant.id}-hint`} className="hint">
        Five fresh attempts from the first step; each step finds what earlier attempts made.
      </small>
      {following?.status === "active" && <Notice>{tenant.slug} is active now.</Notice>}
      {following?.status === "provisioning_failed" && (
        <ErrorNotice
          failure={{
            title: `Provisioning ${tenant.slug} failed again at ${following.provisioning.step ?? "its first step"}.`,
            ...(following.provisioning.errorDetail
              ? { detail: following.provisioning.errorDetail }
              : {}),
            fields: [],
          }}
        />
      )}
      {running && (
        <div>
          <Busy
            label={`Provisioning ${tenant.slug}: ${following.provisioning.step ?? "queued"} (attempt ${Math.max(following.provisioning.attempts, 1)})`}
          />
          <progress
            aria-label={`Provisioning progress of ${tenant.slug}`}
            max={steps.length}
            value={Math.max(current, 0)}
          />
        </div>
      )}
    </div>
  );
}
