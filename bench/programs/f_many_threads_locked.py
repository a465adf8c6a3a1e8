# (f) 1,000 threads x 100 locked increments.
import threading

counter = 0
lock = threading.Lock()

def increment():
    global counter
    for _ in range(100):
        with lock:
            counter += 1

threads = [threading.Thread(target=increment) for _ in range(1_000)]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)   # always exactly 100,000
