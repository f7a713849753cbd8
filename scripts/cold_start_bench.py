#!/usr/bin/python3
"""Worker cold start: process start (exec) to READY (bound and registered with the broker) and
to serving (the broker's assignment compiled and its route table applied), for a CPU worker that
takes a serving stage of fmnist-scnn. Starts its own redis-server (a random port below the
kernel's ephemeral range, retried when taken) and broker (port 0: the ports come from its READY
line); 8 timed workers, medians. Every process it starts dies with it (PR_SET_PDEATHSIG), also
when the script itself is killed. Usage: /usr/bin/python3 scripts/cold_start_bench.py [BUILD_DIR]
"""
import ctypes, os, random, re, subprocess, sys, time, statistics, signal
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
libc = ctypes.CDLL("libc.so.6", use_errno=True)
def die_with_us():  # in the child, before exec: SIGKILL when this script dies
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
procs = []
def start(cmd, **kw):
    p = subprocess.Popen(cmd, preexec_fn=die_with_us, **kw)
    procs.append(p)
    return p
def ready_line(p):  # {key: endpoint} from the process's READY line on stdout
    for line in p.stdout:
        if line.startswith("READY"):
            return dict(w.split("=", 1) for w in line.split()[1:])
    raise SystemExit("%s exited before READY" % p.args[0])
def start_redis():
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    for _ in range(20):
        port = random.randint(10000, low - 1)
        r = start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in r.stdout:
            if "Ready to accept connections" in line: return port
            if "in use" in line: break
        r.wait()
    raise SystemExit("no free port for redis-server")
redis_port = start_redis()
broker = start([f"{B}/broker/spikeline-broker", "--redis", "127.0.0.1:%d" % redis_port, "--bind",
                "tcp://127.0.0.1:0", "--pub", "tcp://127.0.0.1:0"], stdout=subprocess.PIPE,
               stderr=subprocess.DEVNULL, text=True)
ends = ready_line(broker)
CONTROL, ROUTES = ends["control"], ends["routes"]
subprocess.run([f"{B}/cli/spikeline", "deploy", os.path.join(ROOT, "topology/models/fmnist_scnn.yaml"), "--broker", CONTROL], check=True, stdout=subprocess.DEVNULL)
def worker(name, backend):
    t0 = time.monotonic()
    p = start([f"{B}/workers/spikeline-worker", "--broker", CONTROL, "--broker-routes", ROUTES, "--backend", backend, "--name", name, "--log-level", "info"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return t0, p
results = {"cpu": [], "chip": []}
try:
    # Serving chips for features; the encoder on a CPU worker.
    for n, b in [("chip-0", "chip"), ("chip-1", "chip"), ("cpu-enc", "cpu")]:
        t0, p = worker(n, b)
        for line in p.stdout:
            if line.startswith("READY"): break
    time.sleep(1.0)
    # Now the classifier (serving) and the features standby are free: each timed worker takes one.
    for rep in range(8):
        backend = "cpu"
        t0, p = worker(f"cold-{rep}", backend)
        ready = serving = None; compile_ms = None; role = None
        for line in p.stdout:
            now = time.monotonic()
            if line.startswith("READY") and ready is None: ready = now - t0
            m = re.search(r"hosting .* as (serving|standby); prepared in ([0-9.]+) ms", line)
            if m:
                role, compile_ms = m.group(1), float(m.group(2))
            if "applied route epoch" in line and role is not None:
                serving = now - t0; break
            if now - t0 > 10: break
        results[backend].append((ready * 1e3 if ready else None, serving * 1e3 if serving else None, compile_ms, role))
        p.kill(); p.wait(); procs.remove(p)
        time.sleep(1.5)  # the broker notices (heartbeats) and frees the pool
finally:
    for p in procs:
        try: p.kill()
        except Exception: pass
for r in results["cpu"]: print(r)
ok = [r for r in results["cpu"] if r[0] and r[1]]
print("cpu worker: exec->READY median %.1f ms, exec->serving (assignment applied, route in) median %.1f ms, of which compile %.1f ms (n=%d)" % (
    statistics.median(r[0] for r in ok), statistics.median(r[1] for r in ok), statistics.median(r[2] for r in ok), len(ok)))
