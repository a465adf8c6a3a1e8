import threading
import time

pool = threading.BoundedSemaphore(2)
active = 0
peak = 0
lock = threading.Lock()


def use_connection(i):
    global active, peak
    with pool:
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.01)
        with lock:
            active -= 1


threads = [threading.Thread(target=use_connection, args=(i,)) for i in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("peak concurrent:", peak)
try:
    pool.release()
except ValueError as e:
    print("ValueError:", e)
