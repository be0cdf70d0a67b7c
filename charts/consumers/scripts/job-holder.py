"""Marks the consumer pod it runs in as holding a job, so that scale-down and node drains pass it over.

The consumer moves the job it works on into the list processing-<QUEUE>:<HOSTNAME> and removes it when
done (kiosk-redis-consumer@0.17.2 redis_consumer/consumers/base_consumer.py). While that list is not
empty, the pod is annotated with a high controller.kubernetes.io/pod-deletion-cost, so the ReplicaSet
controller deletes idle replicas first when the HPA scales down, and with
cluster-autoscaler.kubernetes.io/safe-to-evict "false", so the node autoscaler does not drain its node.
When the list empties, the cost drops to 0 and the pod may be evicted again.

Only the standard library: it runs with the consumer image's Python (3.8) and needs nothing installed.
It reaches the Redis master through Sentinel, as the consumer does, and patches only its own pod; a
ValidatingAdmissionPolicy holds its service account to exactly that.

Read at k8s.io/kubernetes@v1.35.4: pkg/controller/controller_utils.go ActivePodsWithRanks ranks a lower
pod-deletion-cost for deletion first (after unscheduled, pending and unready pods); pkg/kubelet/kubelet_pods.go
getServiceEnvVarMap sets KUBERNETES_SERVICE_HOST/PORT even with enableServiceLinks false.
"""
import json
import os
import signal
import socket
import ssl
import sys
import time
import urllib.error
import urllib.request

DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
BUSY_COST = "1000"


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        sys.exit("job-holder: %s is not set" % name)
    return value


class Redis:
    """One RESP connection: enough for SENTINEL and LLEN."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, int(port)), timeout)
        self.reader = self.sock.makefile("rb")

    def call(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = str(arg).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(parts))
        return self.read()

    def read(self):
        line = self.reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise ConnectionError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.reader.read(size + 2)
            return data[:-2].decode()
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self.read() for _ in range(size)]
        raise ConnectionError("unexpected reply %r" % line)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Pod:
    """This pod in the Kubernetes API, patched with the service account token the kubelet mounts (re-read, as it rotates)."""

    def __init__(self):
        self.account = env("SERVICE_ACCOUNT_DIR", "/var/run/secrets/kubernetes.io/serviceaccount")
        host = env("KUBERNETES_SERVICE_HOST")
        if ":" in host:
            host = "[%s]" % host
        self.url = "https://%s:%s/api/v1/namespaces/%s/pods/%s" % (host, env("KUBERNETES_SERVICE_PORT"), env("POD_NAMESPACE"), env("POD_NAME"))
        self.tls = ssl.create_default_context(cafile=os.path.join(self.account, "ca.crt"))

    def annotate(self, annotations):
        with open(os.path.join(self.account, "token")) as token_file:
            token = token_file.read().strip()
        body = json.dumps({"metadata": {"annotations": annotations}}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="PATCH",
            headers={"Authorization": "Bearer " + token, "Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, context=self.tls, timeout=10) as response:
            response.read()


def annotations_for(busy):
    return {DELETION_COST: BUSY_COST if busy else "0", SAFE_TO_EVICT: "false" if busy else "true"}


def main():
    # PID 1 ignores SIGTERM unless it handles it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sentinel_host, sentinel_port = env("REDIS_HOST"), env("REDIS_PORT")
    master_set = env("REDIS_MASTER_SET")
    processing = "processing-%s:%s" % (env("QUEUE"), env("HOSTNAME", os.environ.get("POD_NAME")))
    interval = float(env("JOB_HOLDER_INTERVAL", "2"))
    # Touched on every round that reached Redis: the liveness probe reads its age.
    heartbeat = os.environ.get("JOB_HOLDER_HEARTBEAT")
    rediscover_every = float(env("JOB_HOLDER_REDISCOVER_SECONDS", "30"))
    timeout = 5
    pod = Pod()
    master, discovered = None, 0.0
    marked = None
    while True:
        try:
            if master is None or time.monotonic() - discovered > rediscover_every:
                if master is not None:
                    master.close()
                sentinel = Redis(sentinel_host, sentinel_port, timeout)
                try:
                    address = sentinel.call("SENTINEL", "get-master-addr-by-name", master_set)
                finally:
                    sentinel.close()
                if not address:
                    raise ConnectionError("Sentinel knows no master %s" % master_set)
                master, discovered = Redis(address[0], address[1], timeout), time.monotonic()
            busy = master.call("LLEN", processing) > 0
            if heartbeat:
                with open(heartbeat, "w") as beat:
                    beat.write(str(time.time()))
        except (OSError, ConnectionError, ValueError) as error:
            print("job-holder: Redis: %s" % error, file=sys.stderr, flush=True)
            if master is not None:
                master.close()
            master = None
            time.sleep(interval)
            continue
        if busy != marked:
            try:
                pod.annotate(annotations_for(busy))
                marked = busy
                print("job-holder: %s" % ("holding a job" if busy else "idle"), flush=True)
            except urllib.error.HTTPError as error:
                # The API server says why in a Status object; a refusal by the consumers' admission policy names its rule.
                detail = error.read().decode(errors="replace")[:500]
                print("job-holder: patching the pod: HTTP %s: %s" % (error.code, detail), file=sys.stderr, flush=True)
            except OSError as error:
                print("job-holder: patching the pod: %s" % error, file=sys.stderr, flush=True)
        time.sleep(interval)


if __name__ == "__main__":
    main()
