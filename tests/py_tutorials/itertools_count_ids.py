import itertools, threading
ids = itertools.count(1)
got = []
lock = threading.Lock()
def w():
    for _ in range(200):
        i = next(ids)
        with lock:
            got.append(i)
ts = [threading.Thread(target=w) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(len(got), len(set(got)), max(got))
