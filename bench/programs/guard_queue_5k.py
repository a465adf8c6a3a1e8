# (d) at 2 producers x 5,000 items (callgrind guard): queue.Queue, 2 consumers, shut down by one sentinel each.
import threading
from queue import Queue

ITEMS = 5_000
q = Queue()
lock = threading.Lock()
total = 0

def producer(base):
    for i in range(ITEMS):
        q.put(base + i)

def consumer():
    global total
    s = 0
    while True:
        item = q.get()
        if item is None:
            break
        s += item
    with lock:
        total += s

producers = [threading.Thread(target=producer, args=(k * ITEMS,)) for k in range(2)]
consumers = [threading.Thread(target=consumer) for _ in range(2)]
[t.start() for t in consumers]
[t.start() for t in producers]
[t.join() for t in producers]
q.put(None)
q.put(None)
[t.join() for t in consumers]
n = 2 * ITEMS
print(total, total == n * (n - 1) // 2)
