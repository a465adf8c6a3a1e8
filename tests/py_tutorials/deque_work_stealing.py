import threading
from collections import deque

tasks = deque(range(1, 21))
done = []
lock = threading.Lock()


def worker():
    while True:
        try:
            n = tasks.popleft()
        except IndexError:
            return
        with lock:
            done.append(n * 2)


ts = [threading.Thread(target=worker) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(done))
print(len(tasks), tasks)
d = deque([1, 2, 3, 4, 5], maxlen=5)
d.rotate(2)
print(d)
d.rotate(-1)
print(d, d[0], d[-1], 3 in d, d.index(4))
d.extend([6, 7])
print(d, d.maxlen)
d.extendleft([0])
print(d)
try:
    deque().pop()
except IndexError as e:
    print("IndexError:", e)
print(list(reversed(d)), d.count(3))
d.clear()
print(d, bool(d))
