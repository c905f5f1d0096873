import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, type Placement, placed } from "@oryn/testing/processes";
import { stopChild, untilAnswering } from "./children.ts";

const nginxBinary = "/usr/sbin/nginx";
const run = promisify(execFile);

/**
 * The peer: nginx as teams put it in front of a service, a plain reverse proxy with a keep-alive
 * upstream. One worker, like our one gateway process; no access log, as the gateway logs nothing
 * per request at the bench's log level. The same text goes into docs/benchmarks.md.
 */
export function nginxConfig(options: { dir: string; port: number; upstream: string }): string {
  return `daemon off;
worker_processes 1;
pid ${options.dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${options.dir}/body;
  proxy_temp_path ${options.dir}/proxy;
  fastcgi_temp_path ${options.dir}/fastcgi;
  uwsgi_temp_path ${options.dir}/uwsgi;
  scgi_temp_path ${options.dir}/scgi;
  upstream workspace {
    server ${options.upstream};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${options.port};
    location / {
      proxy_pass http://workspace;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
}

export type Nginx = { url: string; config: string; version: string; stop(): Promise<void> };

/** Debian's nginx (installed with apt-get when missing) in the foreground, in a temp folder. */
export async function startNginx(upstream: string, placement: Placement): Promise<Nginx> {
  if (!existsSync(nginxBinary)) {
    console.log("[bench] installing Debian's nginx package");
    await run("apt-get", ["install", "-y", "-q", "nginx"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  const version = (await run(nginxBinary, ["-v"])).stderr.trim();
  const dir = mkdtempSync(join(tmpdir(), "oryn-benchsuite-nginx-"));
  const port = await freePort();
  const config = nginxConfig({ dir, port, upstream: new URL(upstream).host });
  writeFileSync(join(dir, "nginx.conf"), config);
  const { command, args } = placed(
    nginxBinary,
    ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")],
    placement,
  );
  const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilAnswering(url, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, config, version, stop };
}
