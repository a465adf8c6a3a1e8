import threading

barrier = threading.Barrier(3)
order = []
lock = threading.Lock()


def runner(name):
    with lock:
        order.append(f"{name} ready")
    idx = barrier.wait()
    with lock:
        order.append(f"{name} go")


threads = [threading.Thread(target=runner, args=(n,)) for n in "ABC"]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(order))
print(sorted(order[:3]))
print(sorted(order[3:]))
print(barrier.parties, barrier.n_waiting, barrier.broken)
