import threading

ready = threading.Event()
results = []
lock = threading.Lock()


def waiter(i):
    ready.wait()
    with lock:
        results.append(i)


ts = [threading.Thread(target=waiter, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
print("set?", ready.is_set())
ready.set()
for t in ts:
    t.join()
print(sorted(results), ready.is_set())
print(ready.wait(0.1))
ready.clear()
print(ready.wait(0.1))
