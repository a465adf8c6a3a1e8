import threading, queue
from concurrent.futures import ThreadPoolExecutor, Future
import concurrent.futures as cf

def work(x, scale=1):
    return x * scale
results = []
def cb(fut):
    results.append(fut.result())
with ThreadPoolExecutor(max_workers=2, thread_name_prefix="calc") as ex:
    for i in range(4):
        f = ex.submit(work, i, scale=10)
        f.add_done_callback(cb)
print(sorted(results))
fut = Future()
print(fut.done(), fut.running(), fut.cancel(), fut.cancelled())
q = queue.Queue()
def daemon_worker():
    while True:
        item = q.get()
        results.append(item)
        q.task_done()
threading.Thread(target=daemon_worker, daemon=True).start()
for i in range(5):
    q.put(i)
q.join()
print(len(results))
print("a", "b", sep="-", end="!\n", flush=True)
names = []
def nm():
    names.append(threading.current_thread().name)
with ThreadPoolExecutor(max_workers=2, thread_name_prefix="calc") as ex:
    list(ex.map(lambda _: nm(), range(2)))
print(sorted(set(names))[0].startswith("calc_"))
class Acc(threading.Thread):
    def __init__(self, n):
        threading.Thread.__init__(self)
        self.n = n
        self.total = 0
    def run(self):
        for i in range(self.n):
            self.total += i
a = Acc(10); a.start(); a.join(); print(a.total)
