#!/usr/bin/python3
"""Worker cold start: process start (exec) to READY (bound and registered with the broker) and
to serving (the broker's assignment compiled and its route table applied), for a CPU worker that
takes a serving stage of fmnist-scnn. Starts its own redis-server (port 6399) and broker
(5655/5656); 8 timed workers, medians. Usage: /usr/bin/python3 scripts/cold_start_bench.py [BUILD_DIR]
"""
import os, re, subprocess, sys, time, statistics, signal
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
env = dict(os.environ)
def run(cmd, **kw): return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
procs = []
redis = subprocess.Popen(["redis-server", "--port", "6399", "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
procs.append(redis); time.sleep(0.3)
broker = subprocess.Popen([f"{B}/broker/spikeline-broker", "--redis", "127.0.0.1:6399", "--bind", "tcp://127.0.0.1:5655", "--pub", "tcp://127.0.0.1:5656"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs.append(broker); time.sleep(0.5)
subprocess.run([f"{B}/cli/spikeline", "deploy", os.path.join(ROOT, "topology/models/fmnist_scnn.yaml"), "--broker", "tcp://127.0.0.1:5655"], check=True, stdout=subprocess.DEVNULL)
def worker(name, backend):
    t0 = time.monotonic()
    p = subprocess.Popen([f"{B}/workers/spikeline-worker", "--broker", "tcp://127.0.0.1:5655", "--backend", backend, "--name", name, "--log-level", "info"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs.append(p)
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
