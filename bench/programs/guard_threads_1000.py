# 1,000 threads x 10 locked increments (callgrind guard).
import threading

counter = 0
lock = threading.Lock()

def increment():
    global counter
    for _ in range(10):
        with lock:
            counter += 1

threads = [threading.Thread(target=increment) for _ in range(1_000)]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)   # always exactly 10,000
