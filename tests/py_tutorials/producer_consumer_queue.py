import queue
import threading

q = queue.Queue(maxsize=5)
results = []
results_lock = threading.Lock()
SENTINEL = None


def producer(n):
    for i in range(n):
        q.put(i)
    q.put(SENTINEL)


def consumer():
    while True:
        item = q.get()
        if item is SENTINEL:
            q.task_done()
            break
        with results_lock:
            results.append(item * item)
        q.task_done()


p = threading.Thread(target=producer, args=(20,))
c = threading.Thread(target=consumer)
p.start()
c.start()
p.join()
c.join()
q.join()
print(sorted(results))
print("total:", sum(results))
