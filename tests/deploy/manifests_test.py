#!/usr/bin/env python3
"""Checks deploy/: every manifest parses, the probes point at the gateway's
/readyz and /healthz on the port it listens on, the gateway runs as a user
other than root with nothing it does not need, and no secret is written into
a committed file. With systemd-analyze, nginx or kubectl present, the unit
is verified, the load balancer's config tested and the Kubernetes manifests
rendered too.

Usage: manifests_test.py SOURCE_DIR [CAREBRIDGE_BINARY]
Exit status 0 when every check holds; otherwise each failure is printed."""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml  # Debian: python3-yaml (deploy/install-deps.sh)

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def strip_json_comments(text):
    """The config's // and /* */ comments, outside strings (the store URL has //)."""
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\":
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def listen_port(args):
    """The port of --listen HOST:PORT in a gateway's arguments."""
    if "--listen" not in args:
        return None
    return int(args[args.index("--listen") + 1].rsplit(":", 1)[1])


def check_config(source):
    path = os.path.join(source, "deploy/config/carebridge.json")
    with open(path, encoding="utf-8") as f:
        config = json.loads(strip_json_comments(f.read()))
    store = config.get("store", "")
    check(store.startswith("postgresql://"), "config: the scaled-out store is PostgreSQL, found " + store)
    check(not re.search(r"password=|://[^/@]*:[^/@]*@", store), "config: the store URL holds a password")
    check("tls" in config["listener"] and not config["listener"].get("plain_http"), "config: the listener is TLS")
    return config


def check_kubernetes(source, drain_seconds):
    docs = []
    kustomization = load_yaml(os.path.join(source, "deploy/kustomization.yaml"))[0]
    for resource in kustomization["resources"]:
        path = os.path.join(source, "deploy", resource)
        if check(os.path.exists(path), "kustomization: " + resource + " does not exist"):
            docs += load_yaml(path)
    for generator in kustomization.get("configMapGenerator", []):
        for entry in generator["files"]:
            check(os.path.exists(os.path.join(source, "deploy", entry.split("=")[-1])),
                  "kustomization: " + entry + " does not exist")
    kinds = {d["kind"] for d in docs}
    check({"Deployment", "Service", "StatefulSet"} <= kinds, "kubernetes: Deployment, Service and StatefulSet expected")
    check("Secret" not in kinds, "kubernetes: a Secret with its values is committed")

    gateways = [d for d in docs if d["kind"] == "Deployment"]
    check(len(gateways) == 1, "kubernetes: one gateway Deployment")
    for deployment in gateways:
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        check(spec.get("replicas", 1) >= 2, "deployment: several replicas")
        check(pod.get("terminationGracePeriodSeconds", 30) > drain_seconds,
              "deployment: terminationGracePeriodSeconds must exceed the drain timeout")
        pod_security = pod.get("securityContext", {})
        for container in pod["containers"]:
            name = "deployment container " + container["name"]
            security = container.get("securityContext", {})
            run_as = security.get("runAsUser", pod_security.get("runAsUser"))
            check(security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is True, name + ": runAsNonRoot")
            check(run_as not in (None, 0), name + ": runs as a numeric user other than root")
            check(security.get("readOnlyRootFilesystem") is True, name + ": read-only root filesystem")
            check(security.get("allowPrivilegeEscalation") is False, name + ": no privilege escalation")
            check(security.get("capabilities", {}).get("drop") == ["ALL"], name + ": drops every capability")
            port = listen_port(container.get("args", []))
            ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
            check(port in ports.values(), name + ": --listen's port is a container port")
            for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
                get = container.get(probe, {}).get("httpGet", {})
                check(get.get("path") == path, name + ": " + probe + " must GET " + path)
                check(get.get("scheme") == "HTTPS", name + ": " + probe + " over HTTPS, as the gateway listens")
                probe_port = ports.get(get.get("port"), get.get("port"))
                check(probe_port == port, name + ": " + probe + " must reach the port the gateway listens on")
            for env in container.get("env", []):
                check("value" not in env or "PASSWORD" not in env["name"], name + ": " + env["name"] + " is inline")
            check(any(e["name"] == "PGPASSWORD" and "secretKeyRef" in e.get("valueFrom", {})
                      for e in container.get("env", [])), name + ": PGPASSWORD comes from a Secret")

    for service in (d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "carebridge"):
        check(service["spec"]["selector"] == gateways[0]["spec"]["selector"]["matchLabels"],
              "service: selects the gateway's pods")
    for statefulset in (d for d in docs if d["kind"] == "StatefulSet"):
        for container in statefulset["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e for e in container.get("env", [])}
            check("secretKeyRef" in env.get("POSTGRES_PASSWORD", {}).get("valueFrom", {}),
                  "postgres: POSTGRES_PASSWORD comes from a Secret")


def check_compose(source, drain_seconds):
    compose = load_yaml(os.path.join(source, "deploy/compose.yaml"))[0]
    services = compose["services"]
    check({"gateway", "postgres", "loadbalancer"} <= set(services), "compose: gateway, postgres, loadbalancer")
    gateway = services["gateway"]
    check(gateway.get("deploy", {}).get("replicas") not in (None, 0, 1), "compose: several gateway replicas")
    check(gateway.get("user", "0").split(":")[0] not in ("0", "root"), "compose: the gateway is not root")
    check(gateway.get("read_only") is True, "compose: the gateway's root filesystem is read-only")
    check(gateway.get("cap_drop") == ["ALL"], "compose: the gateway drops every capability")
    check(any("no-new-privileges" in o for o in gateway.get("security_opt", [])), "compose: no-new-privileges")
    health = " ".join(gateway.get("healthcheck", {}).get("test", []))
    port = listen_port(gateway["command"])
    check("/readyz" in health and ":%d/" % port in health, "compose: the gateway's health check asks /readyz")
    check(int(gateway["stop_grace_period"].rstrip("s")) > drain_seconds, "compose: stop_grace_period > drain")
    check(gateway["environment"]["PGPASSWORD"].startswith("${"), "compose: PGPASSWORD comes from the environment")
    check(services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${"),
          "compose: POSTGRES_PASSWORD comes from the environment")
    check(services["loadbalancer"]["depends_on"]["gateway"]["condition"] == "service_healthy",
          "compose: the load balancer waits for ready gateways")
    for volume in gateway["volumes"] + services["loadbalancer"]["volumes"]:
        host = volume.split(":")[0]
        if host.startswith("./") and not host.startswith(("./tls", "./audit")):
            check(os.path.exists(os.path.join(source, "deploy", host)), "compose: " + host + " does not exist")
    with open(os.path.join(source, "deploy/compose/nginx.conf"), encoding="utf-8") as f:
        nginx = f.read()
    check(re.search(r"server\s+gateway:%d\b" % port, nginx), "nginx: proxies to gateway:%d" % port)
    check("http_503" in nginx, "nginx: a replica's 503 (not ready, draining) goes to the next one")


def check_containerfile(source):
    with open(os.path.join(source, "deploy/container/Containerfile"), encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    stages = [l for l in lines if l.startswith("FROM ")]
    check(len(stages) >= 2 and all("bookworm" in s for s in stages), "Containerfile: multi-stage, Debian bookworm")
    runtime = lines[lines.index(stages[-1]):]
    users = [l.split()[1] for l in runtime if l.startswith("USER ")]
    check(users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0",
          "Containerfile: the runtime stage ends as a numeric user other than root")
    health = [l for l in runtime if l.startswith("HEALTHCHECK ")]
    env = " ".join(l for l in runtime if l.startswith("ENV "))
    check(health and ("/healthz" in health[0] or "/healthz" in env), "Containerfile: HEALTHCHECK asks /healthz")
    check(any(l == "STOPSIGNAL SIGTERM" for l in runtime), "Containerfile: STOPSIGNAL SIGTERM (it drains)")
    check(any("deploy/build.sh" in l and "Release" in l for l in lines), "Containerfile: built with deploy/build.sh")
    check(not any(re.search(r"\b(g\+\+|cmake|clang)\b", l) for l in runtime if l.startswith("RUN ")),
          "Containerfile: no compiler in the runtime image")


def check_systemd(source, binary):
    path = os.path.join(source, "deploy/systemd/carebridge.service")
    unit = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
    unit.optionxform = str
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Repeated keys (SystemCallFilter=) are legal in units; strict=False keeps the last.
    unit.read_string(text)
    service = unit["Service"]
    expect = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
              "KillSignal": "SIGTERM", "CapabilityBoundingSet": ""}
    for key, value in expect.items():
        check(service.get(key) == value, "systemd: %s=%s, found %s" % (key, value, service.get(key)))
    check(service.get("User") not in (None, "", "root") or service.get("DynamicUser") == "yes",
          "systemd: its own user")
    check("-HUP" in service.get("ExecReload", ""), "systemd: ExecReload sends SIGHUP")
    check(int(service.get("TimeoutStopSec", "0")) > 30, "systemd: TimeoutStopSec exceeds the 30 s drain")
    check(service.get("ReadWritePaths") == "/var/lib/" + service.get("StateDirectory", ""),
          "systemd: it writes only to its state directory")
    check("--data " + service.get("ReadWritePaths", "?") in service.get("ExecStart", ""),
          "systemd: --data is the writable directory")
    check("SystemCallFilter=@system-service" in text, "systemd: SystemCallFilter=@system-service")
    check("AF_INET" in service.get("RestrictAddressFamilies", ""), "systemd: RestrictAddressFamilies")

    analyze = shutil.which("systemd-analyze")
    if not analyze or not binary:
        print("manifests_test: systemd-analyze verify skipped (%s)" %
              ("no systemd-analyze" if not analyze else "no binary given"))
        return
    # verify needs ExecStart's binary to exist: the one just built stands in.
    with tempfile.TemporaryDirectory() as work:
        copy = os.path.join(work, "carebridge.service")
        with open(copy, "w", encoding="utf-8") as f:
            f.write(text.replace("/usr/local/bin/carebridge", os.path.abspath(binary)))
        result = subprocess.run([analyze, "verify", copy], capture_output=True, text=True)
        output = (result.stdout + result.stderr).strip()
        # It also reports unrelated units of the host; only lines about this one count.
        ours = [l for l in output.splitlines() if "carebridge" in l]
        check(result.returncode == 0 and not ours, "systemd-analyze verify: " + (output or "failed"))


def check_nginx(source):
    """nginx -t on the load balancer's config, when nginx is installed: the
    upstream and certificate paths pointed at this machine, nothing else changed."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    openssl = shutil.which("openssl")
    if not nginx or not openssl:
        print("manifests_test: nginx -t skipped (no nginx or openssl)")
        return
    with open(os.path.join(source, "deploy/compose/nginx.conf"), encoding="utf-8") as f:
        text = f.read()
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", os.path.join(work, "tls.key"), "-out", os.path.join(work, "tls.crt"),
                        "-subj", "/CN=localhost", "-days", "1"], capture_output=True, check=True)
        local = re.sub(r"server\s+gateway:", "server 127.0.0.1:", text)
        local = local.replace("/etc/nginx/tls/", work + "/").replace("/var/run/nginx.pid", work + "/nginx.pid")
        # Temporary directories of its own, so nginx -t runs without root.
        temp_paths = "".join("  %s_temp_path %s/%s;\n" % (kind, work, kind)
                             for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        local = local.replace("http {\n", "http {\n" + temp_paths, 1)
        conf = os.path.join(work, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(local)
        result = subprocess.run([nginx, "-t", "-c", conf, "-e", os.path.join(work, "error.log")],
                                capture_output=True, text=True)
        check(result.returncode == 0, "nginx -t: " + (result.stdout + result.stderr).strip())


def check_kustomize(source):
    """The Kubernetes manifests as kubectl would apply them, when kubectl is installed."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        print("manifests_test: kubectl kustomize skipped (no kubectl)")
        return
    result = subprocess.run([kubectl, "kustomize", os.path.join(source, "deploy")], capture_output=True, text=True)
    if not check(result.returncode == 0, "kubectl kustomize: " + result.stderr.strip()):
        return
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    configmaps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        for volume in deployment["spec"]["template"]["spec"]["volumes"]:
            name = volume.get("configMap", {}).get("name")
            if name and name.startswith("carebridge-config"):
                check(name in configmaps, "kustomize: the Deployment mounts the generated config " + name)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 1
    source = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else None
    config = check_config(source)
    drain_seconds = config.get("limits", {}).get("drain_timeout_ms", 30000) / 1000
    check_kubernetes(source, drain_seconds)
    check_compose(source, drain_seconds)
    check_containerfile(source)
    check_systemd(source, binary)
    check_nginx(source)
    check_kustomize(source)
    for failure in failures:
        print("FAIL " + failure)
    if not failures:
        print("manifests_test: deploy/ manifests check out")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
